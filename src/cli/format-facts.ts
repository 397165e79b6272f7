// `vm-provision facts` for humans.
import type { Facts } from '../facts/gather.ts';

export function formatFacts(f: Facts, hw: { cpu: { brand: string; cores: number; virtualization: boolean }; memory: { totalMiB: number } }): string {
  const c = f.condor;
  const rows: Array<[string, string]> = [
    ['host', f.hostname],
    ['os', `${f.os.prettyName} (ID=${f.os.id}${f.os.idLike.length ? `, ID_LIKE=${f.os.idLike.join(' ')}` : ''}, VERSION_ID=${f.os.versionId}; family ${f.os.family})`],
    ['package manager', f.packageManager ?? 'none found'],
    ['kernel', f.kernelRelease],
    ['root', f.isRoot ? 'yes' : 'no'],
    ['cpu', `${hw.cpu.brand}, ${hw.cpu.cores} cores, virtualization flags: ${f.kvm.vmx ? 'vmx' : f.kvm.svm ? 'svm' : 'none'}`],
    ['memory', `${f.memTotalMiB ?? hw.memory.totalMiB} MiB`],
    ['kvm', f.kvm.devKvm ? '/dev/kvm present' : '/dev/kvm missing'],
    ['xen', `${f.xen.role} (${f.xen.decidedBy})`],
    ['htcondor', c.installed ? `${c.version?.text ?? '?'} (${c.versionLine ?? ''})` : 'not installed'],
  ];
  if (c.installed) {
    rows.push(['  LOCAL_CONFIG_DIR', c.localConfigDirs.join(', ') || '(none)'], ['  SBIN / LOG', `${c.sbin ?? '?'} / ${c.log ?? '?'}`],
      ['  daemons', c.daemons.join(' ') || '(none running)'], ['  master runs as', c.masterRealUser ?? '(not running)'], ['  startd name', c.fullHostname ?? '?']);
  }
  rows.push(['virsh', f.libvirt.virsh ?? 'not installed']);
  const units = f.libvirt.units.filter((u) => u.loadState && u.loadState !== 'not-found');
  rows.push(['libvirt units', units.map((u) => `${u.name} ${u.activeState}/${u.unitFileState}`).join(', ') || 'none']);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
