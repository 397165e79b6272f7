// The support table in README.md and docs/supported-versions.md is generated from the knob table: it must be in sync.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REGENERATE, SUPPORT, knobTableMarkdown, supportTableMarkdown, supportedVersionsDoc } from '../../../src/condor/support.ts';
import { KNOBS } from '../../../src/condor/knobs.ts';
import { END, START, withSupportTable } from '../../../scripts/gen-support-table.ts';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

describe('support table', () => {
  it(`README.md's block between the markers equals supportTableMarkdown() (else run: ${REGENERATE})`, () => {
    const readme = read('README.md');
    const a = readme.indexOf(START);
    const b = readme.indexOf(END);
    expect(a, `README.md has no ${START} marker`).toBeGreaterThanOrEqual(0);
    expect(b, `README.md has no ${END} marker after ${START}`).toBeGreaterThan(a);
    const block = readme.slice(a + START.length, b).replace(/^\n/, '').replace(/\n$/, '');
    expect(block, `the README support table is out of date: run ${REGENERATE}`).toBe(supportTableMarkdown());
    expect(readme.indexOf('## Supported HTCondor versions and hypervisors')).toBeLessThan(a);
    expect(readme.indexOf('## Supported HTCondor versions and hypervisors')).toBeLessThan(readme.indexOf('## Development'));
  });

  it(`docs/supported-versions.md equals supportedVersionsDoc() (else run: ${REGENERATE})`, () => {
    expect(read('docs/supported-versions.md'), `docs/supported-versions.md is out of date: run ${REGENERATE}`).toBe(supportedVersionsDoc());
  });

  it('the generator replaces only the block between the markers', () => {
    const text = `# x\n\nbefore\n${START}\nold\nlines\n${END}\nafter\n`;
    expect(withSupportTable(text, 'NEW')).toBe(`# x\n\nbefore\n${START}\nNEW\n${END}\nafter\n`);
    expect(() => withSupportTable('# no markers\n', 'NEW')).toThrow(/needs one/);
  });

  it('the tables are derived from the knob table', () => {
    expect(SUPPORT.map((b) => [b.label, b.hypervisors])).toEqual([
      ['7.0–7.3', ['xen', 'vmware']], ['7.4–9.11', ['kvm', 'xen', 'vmware']], ['9.12 and later', ['kvm', 'xen']],
    ]);
    const knobs = knobTableMarkdown();
    for (const k of KNOBS) expect(knobs).toContain(`| ${k.name}`);
    expect(knobs).toContain('| VM_NETWORKING_BRIDGE_INTERFACE | 7.4.3 and later, except 7.5.0–7.5.2 | all | yes: with bridge networking |');
    expect(knobs).toContain('| VM_GAHP_SERVER | all | all | yes: 7.0–8.1.2 |');
    expect(knobs).toContain('| LIBVIRT_XML_SCRIPT | 7.3.2 and later | KVM, Xen | yes: 7.4–8.1.2 |');
    expect(knobs).toContain('| VM_GAHP_CONFIG | 7.0–7.1.3 | all | yes |');
  });
});
