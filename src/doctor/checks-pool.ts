// What the pool sees (the startd's slot ads at the collector) and what vm-provision left on the node (its journal).
import { JOURNAL_FILE } from '../engine/journal.ts';
import type { Evidence } from './evidence.ts';
import { ok, problem, warn, type Finding } from './finding.ts';
import { isRunning } from '../condor/daemons.ts';

export function checkAdvertised(e: Evidence): Finding | undefined {
  const s = e.slots;
  if (!e.facts.condor.installed) return undefined;
  if (s.error && e.node?.daemonList?.includes('COLLECTOR') && !isRunning(e.facts.condor.daemons, 'condor_collector')) {
    const master = isRunning(e.facts.condor.daemons, 'condor_master');
    return problem('collector', `the collector runs on this node (DAEMON_LIST has COLLECTOR) and condor_collector is not running: no one can ask it for this machine's ads`,
      master ? 'condor_on -collector (the master starts it again), or systemctl restart condor; then condor_status -collector' : 'systemctl start condor (its master starts the collector)',
      [`running: ${e.facts.condor.daemons.join(' ') || 'no condor daemon'}`, `condor_status -constraint 'Machine == "${s.machine}"': ${s.error}`]);
  }
  if (s.error) {
    return problem('collector', `cannot ask the collector for this machine's ads: ${s.error}`,
      'check that the collector (CONDOR_HOST) is up and reachable from this node: condor_status -collector; condor_config_val CONDOR_HOST; the firewall (port 9618)',
      [`condor_status -constraint 'Machine == "${s.machine}"': ${s.error}`]);
  }
  if (!s.ads.length) {
    return problem('advertised', `the collector has no slot ad of ${s.machine}: the pool does not see this node`,
      'check that the startd runs and reports to the collector (StartLog: "Sending update to the collector"; ALLOW_ADVERTISE_STARTD at the collector)', [`condor_status -constraint 'Machine == "${s.machine}"': no ads`]);
  }
  const want = e.files.VM_TYPE?.value?.trim().toLowerCase();
  const line = (a: typeof s.ads[number]) => `${a.name}: HasVM = ${a.hasVm ?? 'undefined'}, VM_Type = ${a.vmType ?? 'undefined'}, VM_Memory = ${a.vmMemory ?? 'undefined'}`
    + `${a.vmOfflineReason ? `, VMOfflineReason = "${a.vmOfflineReason}"` : ''}${a.offlineUniverses ? `, OfflineUniverses = ${a.offlineUniverses}` : ''}`;
  const offline = s.ads.find((a) => a.vmOfflineReason);
  if (offline) {
    return problem('advertised', `the startd took the VM universe offline: ${offline.vmOfflineReason}`,
      'fix that cause, then bring the universe back: condor_restart -startd (or: echo "HasVM = True" | condor_update_machine_ad)', s.ads.map(line));
  }
  const novm = s.ads.filter((a) => !a.hasVm);
  if (novm.length) return problem('advertised', `the startd advertises HasVM = ${novm[0]!.hasVm ?? 'undefined'}: no VM job can match this node`,
    `read ${e.logs.paths.startLog} (from "VM universe will be tested") and ${e.logs.paths.vmGahpLog} for why the gahp test failed; condor_restart -startd runs it again`, s.ads.map(line));
  const other = want ? s.ads.filter((a) => a.vmType?.toLowerCase() !== want) : [];
  if (other.length) {
    return problem('advertised', `the startd advertises VM_Type = ${other[0]!.vmType}, the config says ${want}`, 'condor_restart -startd (it reads VM_TYPE only when it starts)', s.ads.map(line));
  }
  return ok('advertised', `${s.ads.length} slot${s.ads.length > 1 ? 's' : ''} advertise${s.ads.length > 1 ? '' : 's'} HasVM = true, VM_Type = ${s.ads[0]!.vmType}`, s.ads.map(line));
}

export function checkJournal(e: Evidence, restartOwed: boolean): Finding {
  const j = e.journal;
  if (!j.present) return ok('journal', 'no vm-provision journal: nothing of ours pending (a node set up by hand, or never applied)');
  if (j.error) return warn('journal', `${JOURNAL_FILE} is not valid JSON (${j.error}): the next apply starts fresh and restarts the startd`, 'run vm-provision apply PROFILE', [JOURNAL_FILE]);
  const d = j.data ?? {};
  const ev: string[] = [];
  if (d.pendingRestart) ev.push(`${JOURNAL_FILE}: pendingRestart since ${d.pendingRestart.since}: ${d.pendingRestart.reason}`);
  if (d.pendingDrain) ev.push(`${JOURNAL_FILE}: pendingDrain request id ${d.pendingDrain.requestId} on ${d.pendingDrain.target} since ${d.pendingDrain.since}: ${d.pendingDrain.reason}`);
  if (d.startdOff) {
    return problem('journal', `vm-provision turned the startd off at ${d.startdOff.since} to restart it and was stopped before turning it on: the master holds it off`,
      'condor_on -startd (or run vm-provision apply PROFILE: it does that first)', [`${JOURNAL_FILE}: startdOff since ${d.startdOff.since}`, ...ev]);
  }
  if (d.pendingDrain) {
    return warn('journal', `a drain vm-provision started is still on (request id ${d.pendingDrain.requestId}): the startd restarts with the new config when its jobs are done`,
      `let it finish (the next vm-provision apply sees it through), or cancel it: condor_drain -cancel -request-id ${d.pendingDrain.requestId} '${d.pendingDrain.target}'`, ev);
  }
  if (d.pendingRestart) {
    return warn('journal', restartOwed ? 'vm-provision owes this node a startd restart' : 'vm-provision\'s journal still records a restart owed, though the running startd has the config',
      restartOwed ? 'run vm-provision apply PROFILE again (it restarts the startd), or condor_restart -startd' : 'run vm-provision apply PROFILE: it sees the restart was taken and clears it', ev);
  }
  return ok('journal', `vm-provision's journal owes nothing${d.lastConfig ? ` (last config ${d.lastConfig.path}, written ${d.lastConfig.writtenAt}${d.lastConfig.verified ? ', verified' : ''})` : ''}`);
}

export function checkUser(e: Evidence): Finding | undefined {
  if (e.uid === 0) return undefined;
  return warn('user', `doctor runs as uid ${e.uid}, not root: /dev/kvm, libvirt and the logs were checked as this user, while the gahp runs as root`, 'run vm-provision doctor as root');
}
