// docs/reliability.md's generator: the table from a results file, with what is not measured said as such.
import { describe, expect, it } from 'vitest';
import { CORPUS, reliabilityDoc, type ReliabilityResults } from '../../../scripts/gen-reliability.ts';

const results: ReliabilityResults = {
  format: 'vm-provision/reliability-results/v1', source: 'test/e2e/doctor.test.ts', started: '2026-12-01T16:05:10.564Z', finished: '2026-12-01T16:09:44.315Z', nodes: 1,
  faults: [
    { fault: 'libvirt daemon masked', injected: true, expectedCause: 'libvirt', doctor: { exitCode: 1, causeNamed: true, causeLine: 'libvirt: libvirt is not reachable | x', nextAction: 'systemctl unmask libvirtd.service' }, apply: null, nodeLeftAsPolicy: null, convergedAfterRemoval: true },
    { fault: 'gahp binary not executable', injected: true, expectedCause: 'gahp-binary', doctor: { exitCode: 1, causeNamed: false, causeLine: 'gahp-test: the last gahp test failed', nextAction: null }, apply: null, nodeLeftAsPolicy: null, convergedAfterRemoval: false },
  ],
  kills: null,
};

describe('gen-reliability', () => {
  const doc = reliabilityDoc([results], ['docs/reliability/doctor.json']);
  it('one row per corpus fault: measured ones with the cause line, the others "not measured"', () => {
    const rows = doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fault'));
    expect(rows).toHaveLength(CORPUS.length);
    expect(rows.find((r) => r.startsWith('| libvirt daemon masked |'))).toBe('| libvirt daemon masked | yes | not measured | yes (exit 1): `libvirt: libvirt is not reachable \\| x` | not measured | yes (doctor, after a startd restart) |');
    expect(rows.find((r) => r.startsWith('| gahp binary not executable |'))).toContain('| **no** (exit 1): `gahp-test: the last gahp test failed` | not measured | **no** (doctor, after a startd restart) |');
    expect(rows.find((r) => r.startsWith('| two runs at once |'))).toBe('| two runs at once | not measured | not measured | not measured | not measured | not measured |');
  });
  it('totals and the list of what is not measured yet, kills included', () => {
    expect(doc).toContain(`Faults measured: 2 of ${CORPUS.length} in the corpus; named by doctor: 1 of 2; named by apply: 0 of 2; converged after removal: 1 of 2.`);
    expect(doc).toContain('Kills (SIGKILL at random instants of a converging apply): not measured yet.');
    expect(doc).toMatch(/## Not measured yet\n\n- libvirt package not installable\n/);
    expect(doc).toContain("- apply's side of every fault");
    expect(doc).toContain('Results: `docs/reliability/doctor.json`.');
  });
});
