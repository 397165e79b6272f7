// Xen tooling decisions: xend only for old Xen, pygrub probing, Debian's versioned pygrub package.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../helpers/fake-host.ts';
import { findPygrub, installedXenVersion, needsXend, pickXenUtils, predictedPygrub } from '../../../src/xen/tools.ts';

describe('xend', () => {
  it('is asked for only where the installed Xen is 4.4 or older', () => {
    expect(needsXend('4.4')).toBe(true);
    expect(needsXend('4.1.6')).toBe(true);
    expect(needsXend('3.4')).toBe(true);
    expect(needsXend('4.5')).toBe(false);
    expect(needsXend('4.20')).toBe(false);
    expect(needsXend(undefined)).toBe(false);
  });
});

describe('pygrub', () => {
  it('finds the newest versioned Debian path when /usr/bin/pygrub is absent', async () => {
    const h = new FakeHost().bin('/usr/lib/xen-4.17/bin/pygrub').bin('/usr/lib/xen-4.20/bin/pygrub').dir('/usr/lib/xen-common');
    expect(await findPygrub(h)).toBe('/usr/lib/xen-4.20/bin/pygrub');
    expect(await installedXenVersion(h)).toBe('4.20');
  });

  it('prefers /usr/bin/pygrub, and finds the RHEL/SUSE libexec paths', async () => {
    expect(await findPygrub(new FakeHost().bin('/usr/bin/pygrub').bin('/usr/lib/xen-4.20/bin/pygrub'))).toBe('/usr/bin/pygrub');
    expect(await findPygrub(new FakeHost().bin('/usr/libexec/xen/bin/pygrub'))).toBe('/usr/libexec/xen/bin/pygrub');
    expect(await findPygrub(new FakeHost().dir('/usr/lib'))).toBeUndefined();
  });

  it('plans the path of a package not installed yet', () => {
    expect(predictedPygrub('xen-utils-4.20')).toBe('/usr/lib/xen-4.20/bin/pygrub');
    expect(predictedPygrub('genisoimage')).toBeUndefined();
  });

  it('picks the highest xen-utils-<version> from apt-cache pkgnames, numerically', () => {
    expect(pickXenUtils('xen-utils-common\nxen-utils-4.9\nxen-utils-4.20\nxen-utils-4.17\n')).toBe('xen-utils-4.20');
    expect(pickXenUtils('xen-utils-common\n')).toBeUndefined();
  });
});
