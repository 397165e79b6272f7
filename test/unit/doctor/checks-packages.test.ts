// doctor's package checks over hand-built evidence (pure): an interrupted dpkg, a package the sources do not have.
import { describe, expect, it } from 'vitest';
import { checkDpkg, checkPackages, parseCandidates, type PackagesEvidence } from '../../../src/doctor/checks-packages.ts';
import type { Evidence } from '../../../src/doctor/evidence.ts';

const KVM = ['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients', 'qemu-system-x86', 'condor-vm-gahp'];
const evidence = (p: Partial<PackagesEvidence>, libvirtExit?: number) => ({
  packages: { dpkgUpdates: [], unfinished: [], wanted: KVM.map((name) => ({ name, installed: true })), sources: [], ...p },
  ...(libvirtExit !== undefined ? { libvirt: { uri: 'qemu:///session', virsh: '/usr/bin/virsh', exitCode: libvirtExit } } : {}),
}) as unknown as Evidence;
const bare = (candidate: (n: string) => string | undefined) => KVM.map((name) => ({ name, installed: name === 'condor-vm-gahp', ...(candidate(name) ? { candidate: candidate(name) } : {}) }));

describe('parseCandidates (apt-cache policy PKG…, apt 3.0)', () => {
  it('a candidate, (none), and a package apt has never heard of', () => {
    const out = 'libvirt-daemon-system:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\nqemu-system-x86:\n  Installed: (none)\n  Candidate: 1:10.0.13+ds-0+deb13u1\n  Version table:\n     1:10.0.13+ds-0+deb13u1 500\n        500 file:/srv/vm-provision-repo ./ Packages\n';
    const c = parseCandidates(out);
    expect(c.get('libvirt-daemon-system')).toBeUndefined();
    expect(c.has('libvirt-daemon-system')).toBe(true);
    expect(c.get('qemu-system-x86')).toBe('1:10.0.13+ds-0+deb13u1');
    expect(c.has('libvirt-clients')).toBe(false);
  });
});

describe('checkDpkg', () => {
  it('an interrupted run (updates journal + a half-configured package): problem, dpkg --configure -a next', () => {
    const f = checkDpkg(evidence({ dpkgUpdates: ['0000', '0001'], unfinished: [{ name: 'vmp-fault-hang', state: 'half configured' }] }))!;
    expect(f.status).toBe('problem');
    expect(f.summary).toMatch(/^dpkg was interrupted: a package install was killed halfway \(vmp-fault-hang half configured\); apt-get installs nothing until it is finished/);
    expect(f.evidence).toEqual(['/var/lib/dpkg/updates: 2 records of an unfinished dpkg run (0000 0001)', 'dpkg --audit: vmp-fault-hang half configured']);
    expect(f.action).toMatch(/^dpkg --configure -a /);
  });
  it('clean: ok; no evidence (not an apt node): no finding', () => {
    expect(checkDpkg(evidence({}))?.status).toBe('ok');
    expect(checkDpkg({} as Evidence)).toBeUndefined();
  });
});

describe('checkPackages', () => {
  it('libvirt-daemon-system with no candidate on a node without libvirt: problem naming it, the sources in the evidence', () => {
    const f = checkPackages(evidence({ wanted: bare((n) => (n === 'libvirt-daemon-system' ? undefined : '1.0')), sources: ['file:/srv/vmp-fault-repo ./'] }))!;
    expect(f.status).toBe('problem');
    expect(f.summary).toMatch(/^libvirt-daemon-system is not installed and cannot be: the node's package sources have no version of it/);
    expect(f.evidence).toContain('apt sources: file:/srv/vmp-fault-repo ./');
    expect(f.action).toMatch(/^add a repository that has libvirt-daemon-system/);
  });
  it('the same with a libvirt that answers (installed some other way): a warning', () => {
    expect(checkPackages(evidence({ wanted: bare(() => undefined) }, 0))?.status).toBe('warn');
  });
  it('missing but installable: a warning that apply installs them; all installed: ok', () => {
    const w = checkPackages(evidence({ wanted: bare(() => '1.0') }))!;
    expect(w.status).toBe('warn');
    expect(w.summary).toBe("not installed: libvirt-daemon-system, libvirt-daemon-driver-qemu, libvirt-clients, qemu-system-x86 (installable from the node's sources: vm-provision apply installs them)");
    expect(checkPackages(evidence({}))?.status).toBe('ok');
  });
});
