// VMware preflight: vmrun and vmware-vdiskmanager in PATH (/usr/bin, /usr/local/bin, …), and the Perl
// interpreter vmware.perl names (a command in PATH or an absolute path that exists).
import { describe, expect, it } from 'vitest';
import { vmwareChecks } from '../../../src/vmware/checks.ts';
import { VmpError } from '../../../src/errors/vmp-error.ts';
import { factsFixture } from '../../helpers/facts-fixture.ts';
import { FakeHost } from '../../helpers/fake-host.ts';
import { snapshotProfile } from './helpers.ts';

const facts = factsFixture();
const profile = (edits: Array<[string, string]> = []) => snapshotProfile('vmware', edits);

async function failure(host: FakeHost, p = profile()): Promise<VmpError> {
  try { await vmwareChecks(host, p, facts); } catch (e) { if (e instanceof VmpError) return e; throw e; }
  throw new Error('expected vmwareChecks to throw');
}

describe('vmwareChecks', () => {
  it('everything in /usr/bin: found items for the preflight summary, read-only', async () => {
    const host = new FakeHost().bin('/usr/bin/vmrun').bin('/usr/bin/vmware-vdiskmanager').bin('/usr/bin/perl');
    expect(await vmwareChecks(host, profile(), facts)).toEqual(['vmrun /usr/bin/vmrun', 'vmware-vdiskmanager /usr/bin/vmware-vdiskmanager', 'perl /usr/bin/perl']);
    expect(host.log.filter((o) => o.op !== 'exec')).toEqual([]);
  });

  it('tools in /usr/local/bin count', async () => {
    const host = new FakeHost().bin('/usr/local/bin/vmrun').bin('/usr/local/bin/vmware-vdiskmanager').bin('/usr/bin/perl');
    expect(await vmwareChecks(host, profile(), facts)).toContain('vmrun /usr/local/bin/vmrun');
  });

  it('vmware-vdiskmanager missing: PREFLIGHT naming it', async () => {
    const e = await failure(new FakeHost().bin('/usr/bin/vmrun').bin('/usr/bin/perl'));
    expect(e.code).toBe('PREFLIGHT');
    expect(e.message).toMatch(/^VMware node not ready: vmware-vdiskmanager not found \(looked in .*\/usr\/local\/bin.*\/usr\/bin/);
    expect(e.message).not.toMatch(/vmrun and/);
    expect(e.hint).toContain('install VMware Workstation/Player or VMware Server so that vmware-vdiskmanager is in /usr/bin or /usr/local/bin');
  });

  it('both tools and Perl missing: one error naming all three', async () => {
    const e = await failure(new FakeHost());
    expect(e.message).toContain('vmrun and vmware-vdiskmanager not found');
    expect(e.message).toContain('the Perl interpreter perl (vmware.perl) is not in');
    expect(e.hint).toContain('install Perl (apt-get install perl), or set vmware.perl to the interpreter\'s absolute path');
  });

  it('vmware.perl as an absolute path: must exist there', async () => {
    const tools = () => new FakeHost().bin('/usr/bin/vmrun').bin('/usr/bin/vmware-vdiskmanager');
    const p = profile([['perl: perl', 'perl: /opt/perl/bin/perl']]);
    const e = await failure(tools().bin('/usr/bin/perl'), p);
    expect(e.message).toBe('VMware node not ready: the Perl interpreter /opt/perl/bin/perl (vmware.perl) does not exist');
    expect(await vmwareChecks(tools().bin('/opt/perl/bin/perl'), p, facts)).toContain('perl /opt/perl/bin/perl');
  });

  it('an explicit vmware.script must exist', async () => {
    const host = new FakeHost().bin('/usr/bin/vmrun').bin('/usr/bin/vmware-vdiskmanager').bin('/usr/bin/perl');
    const p = profile([['script: auto', 'script: /opt/condor/sbin/condor_vm_vmware']]);
    expect((await failure(host, p)).message).toBe('VMware node not ready: the VMware control script /opt/condor/sbin/condor_vm_vmware (vmware.script) does not exist');
    host.bin('/opt/condor/sbin/condor_vm_vmware');
    expect(await vmwareChecks(host, p, facts)).toContain('VMware script /opt/condor/sbin/condor_vm_vmware');
  });
});
