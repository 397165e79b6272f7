// Testbed constants: where images, state and keys live, and the address range reserved for test hosts.
import { createHash } from 'node:crypto';

export const CACHE_DIR = process.env.VMP_TESTBED_CACHE ?? '/var/cache/vm-provision-testbed';
export const STATE_DIR = process.env.VMP_TESTBED_STATE ?? '/run/vm-provision-testbed';
export const SUITE = 'trixie';
/** Mount point of the local package repository inside every node. */
export const NODE_REPO = '/srv/vm-provision-repo';
/** 10.213.0.0/16 is reserved for test hosts: one /30 per node (host end .1, node end .2). */
export const NET_PREFIX = [10, 213] as const;
export const MAX_SLOTS = 16384;
export const NAME_PREFIX = 'vmp';

/** A node an admin starts from: HTCondor as a one-node pool, a Debian kernel, nothing of the VM stack. */
export const BARE_PACKAGES = [
  'condor', 'condor-vm-gahp', 'openssh-server', 'systemd-sysv', 'dbus', 'procps', 'iproute2', 'nodejs',
  'linux-image-amd64', 'zstd', 'kmod', 'ca-certificates', 'less',
  // Installed servers have e2fsprogs and dmsetup (lvm2, cryptsetup), whose initramfs hooks are in their stock
  // initrd; without them, libvirt's dependencies make update-initramfs regenerate the stock image mid-install.
  'dmsetup', 'e2fsprogs',
];
/** What `full` adds over `bare`. dracut-core, not dracut: Debian's dracut package replaces initramfs-tools. */
export const FULL_PACKAGES = [
  'libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients', 'qemu-system-x86',
  'dracut-core', 'genisoimage', 'xen-utils-common', 'python3-apt',
];
/** Also in the local repository (not installed in `full`) so scenarios can install them: pygrub, xorriso, dracut. */
export const REPO_EXTRAS = ['xen-utils-4.20', 'xorriso', 'libvirt-daemon-driver-xen', 'dracut'];

/** Bump when the build steps change in a way the package lists do not show. */
export const BUILD_REVISION = 3;

export function imageKey(): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ SUITE, BARE_PACKAGES, FULL_PACKAGES, REPO_EXTRAS, BUILD_REVISION }));
  return h.digest('hex').slice(0, 12);
}

export const POOL_CONFIG = `# Written by the vm-provision testbed: a one-node pool (central manager + submit + execute).
CONDOR_HOST = 127.0.0.1
use ROLE : CentralManager
use ROLE : Submit
use ROLE : Execute
SEC_DEFAULT_AUTHENTICATION_METHODS = FS
SEC_CLIENT_AUTHENTICATION_METHODS = FS
ALLOW_READ = *
ALLOW_WRITE = *
ALLOW_ADMINISTRATOR = *
ALLOW_DAEMON = *
ALLOW_NEGOTIATOR = *
# Fast turnaround for tests: advertise slots quickly.
UPDATE_INTERVAL = 5
NEGOTIATOR_INTERVAL = 5
`;
