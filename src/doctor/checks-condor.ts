// Checks of HTCondor itself: installed and running as root, the startd up (or held in the master's backoff),
// the gahp binary, and the last gahp test the startd ran (StartLog / VMGahpLog).
import { findGahpReason } from '../condor/gahp-reasons.ts';
import type { Evidence } from './evidence.ts';
import { ok, problem, warn, type Finding } from './finding.ts';
import { lastGahpTest, linesSince, pendingStartdBackoff } from './parse.ts';
import { knobEvidence } from './checks-config.ts';

const iso = (s: number) => new Date(s * 1000).toISOString();

export function checkHtcondor(e: Evidence): Finding {
  const c = e.facts.condor;
  if (!c.installed) return problem('htcondor', 'HTCondor is not installed (no condor_version in PATH)', 'install HTCondor (and condor-vm-gahp) from the HTCondor repository');
  const ver = `HTCondor ${c.version?.text ?? '(version unknown)'}`;
  if (!c.daemons.includes('condor_master')) return problem('htcondor', `${ver} is installed but condor_master is not running`, 'systemctl enable --now condor', [`running: ${c.daemons.join(' ') || 'no condor daemon'}`]);
  const vmType = e.files.VM_TYPE?.value?.trim().toLowerCase();
  if (c.masterRealUser !== 'root' && (vmType === 'kvm' || vmType === 'xen')) {
    return problem('htcondor', `condor_master runs as ${c.masterRealUser ?? 'an unknown user'}, not root: the VM gahp needs root for ${vmType} ("VMGahp server for Xen or KVM requires root privilege")`,
      'start HTCondor as root (the condor service does by default)', [`ps: condor_master real user ${c.masterRealUser}`]);
  }
  return ok('htcondor', `${ver}; condor_master runs as ${c.masterRealUser}`);
}

/** The startd is up, or the master holds it back (its restart backoff), or it is not running at all. */
export function checkStartd(e: Evidence): Finding[] {
  const c = e.facts.condor;
  if (!c.installed || !c.daemons.includes('condor_master')) return [];
  const out: Finding[] = [];
  const b = pendingStartdBackoff(e.logs.masterLog);
  const running = c.daemons.includes('condor_startd');
  if (b && b.until > e.now && !running) {
    out.push(problem('backoff', `the master holds the startd back: it restarts it in ${b.until - e.now} s (at ${iso(b.until)}) — HTCondor backs off a daemon that restarted often (MASTER_BACKOFF_CONSTANT 9 s × MASTER_BACKOFF_FACTOR 2 per restart, reset after MASTER_RECOVER_FACTOR 300 s of stable running)`,
      `wait ${b.until - e.now} s; do not condor_restart the startd meanwhile (a restart request fails while it waits, and each restart lengthens the next delay)`,
      [`${e.logs.paths.masterLog}: ${b.line}`]));
  }
  if (!running) {
    out.push(problem('startd', 'condor_startd is not running', `check ${e.logs.paths.masterLog} for why it exited, and that DAEMON_LIST includes STARTD; then condor_on -startd`,
      [`running: ${c.daemons.join(' ')}`], out.length ? 'backoff' : undefined));
  } else {
    out.push(ok('startd', `condor_startd runs${c.startdPid ? ` (pid ${c.startdPid})` : ''}`));
  }
  return out;
}

export function checkGahpBinary(e: Evidence): Finding | undefined {
  const s = e.files.VM_GAHP_SERVER;
  if (!e.files.VM_TYPE?.defined) return undefined;
  if (!s?.defined || !s.value?.trim()) {
    return problem('gahp-binary', "VM_GAHP_SERVER is not defined: the startd cannot test the VM universe (\"To support vm universe, 'VM_GAHP_SERVER' must be defined\")",
      'set VM_GAHP_SERVER = $(SBIN)/condor_vm-gahp and install condor-vm-gahp, then condor_restart -startd', s ? [knobEvidence(s)] : []);
  }
  const g = e.gahp;
  const path = s.value.trim();
  const info = g?.info?.kind === 'symlink' ? g.targetInfo : g?.info;
  const shown = g?.target ? `${path} (→ ${g.target})` : path;
  if (!info) {
    return problem('gahp-binary', `VM_GAHP_SERVER ${shown} does not exist: the startd turns the VM universe off ("must be executable")`,
      'install the condor-vm-gahp package (separate from condor since 10.8), or point VM_GAHP_SERVER at the installed condor_vm-gahp; then condor_restart -startd', [knobEvidence(s)]);
  }
  const mode = `0${info.mode.toString(8)}`;
  if (info.kind !== 'file' || (info.mode & 0o111) === 0) {
    return problem('gahp-binary', `VM_GAHP_SERVER ${shown} is not executable (${info.kind === 'file' ? `mode ${mode}` : `a ${info.kind}`}): the startd turns the VM universe off`,
      `chmod 755 ${g?.target ?? path} (or reinstall condor-vm-gahp), then condor_restart -startd`, [knobEvidence(s), `${g?.target ?? path}: ${info.kind}, mode ${mode}, uid ${info.uid}`]);
  }
  return ok('gahp-binary', `VM_GAHP_SERVER ${shown} is executable (mode ${mode})`);
}

/** The last gahp test the startd ran, and the gahp's own reason when it failed. */
export function checkGahpTest(e: Evidence): Finding | undefined {
  if (!e.files.VM_TYPE?.defined || !e.facts.condor.daemons.includes('condor_startd')) return undefined;
  const test = lastGahpTest(e.logs.startLog);
  const started = Math.min(...e.slots.ads.map((a) => a.daemonStartTime ?? Infinity));
  const since = test?.at ?? (Number.isFinite(started) ? started : 0);
  const reason = test?.passed ? undefined : findGahpReason({ vmGahpLog: linesSince(e.logs.vmGahpLog, since), startLog: linesSince(e.logs.startLog, since) }, since);
  const where = (l?: string) => (l ? [`${e.logs.paths.startLog}: ${l}`] : []);
  if (test?.passed) return ok('gahp-test', `the last gahp test passed (${iso(test.at)})`, where(test.resultLine));
  if (reason || test?.passed === false) {
    const ev = [...where(test?.startLine), ...(reason ? [`${reason.log === 'VMGahpLog' ? e.logs.paths.vmGahpLog : e.logs.paths.startLog}: ${reason.line}`] : []),
      ...(test?.resultLine && test.resultLine !== reason?.line ? where(test.resultLine) : [])];
    const failed = `the last gahp test failed${test ? ` (${iso(test.at)})` : ''}`;
    return { ...problem('gahp-test', `${failed}: ${reason?.reason ?? test?.resultLine ?? 'see StartLog'}`,
      `${reason?.hint ?? `read ${e.logs.paths.vmGahpLog}`}; then condor_restart -startd (the startd re-runs the test only when it starts, or every VM_RECHECK_INTERVAL after a failure)`, ev), consequence: failed };
  }
  return warn('gahp-test', `no gahp test found in ${e.logs.paths.startLog} since the startd started`, `read ${e.logs.paths.startLog} (D_ALWAYS lines "VM universe will be tested …")`);
}
