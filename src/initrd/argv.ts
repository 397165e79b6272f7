// The exact command line for each initrd tool. Pure: the output always comes before the kernel version.
import { initrdError } from './errors.ts';
import { isBlockDriver } from './names.ts';
import type { DriverPlan, InitrdTool } from './types.ts';

/**
 * dracut:      dracut -f --no-hostonly --add-drivers "a b" OUT KVER   (never the system dracut.conf.d)
 * mkinitrd:    mkinitrd -f --with=xennet --preload=xenblk OUT KVER    (RHEL5; block front-ends are preloaded)
 * mkinitramfs: mkinitramfs -d CONFDIR -o OUT KVER                      (CONFDIR: a private copy of /etc/initramfs-tools)
 * Built-in drivers are left out: there is nothing to add.
 */
export function buildArgv(tool: InitrdTool, out: string, kernelVersion: string, drivers: DriverPlan[], opts: { confDir?: string } = {}): [string, string[]] {
  const modules = drivers.filter((d) => d.state === 'module');
  switch (tool) {
    case 'dracut': {
      const add = modules.length ? ['--add-drivers', modules.map((d) => d.module).join(' ')] : [];
      return ['dracut', ['-f', '--no-hostonly', ...add, out, kernelVersion]];
    }
    case 'mkinitrd':
      return ['mkinitrd', ['-f', ...modules.map((d) => `${isBlockDriver(d.module, d.file) ? '--preload' : '--with'}=${d.module}`), out, kernelVersion]];
    case 'mkinitramfs':
      if (!opts.confDir) throw initrdError('mkinitramfs needs a private configuration directory (confDir)');
      return ['mkinitramfs', ['-d', opts.confDir, '-o', out, kernelVersion]];
  }
}

/** The initramfs-tools `modules` file with the drivers appended (each once; built-ins are not listed). */
export function appendModulesFile(existing: string, drivers: DriverPlan[]): string {
  const present = new Set(existing.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((w): w is string => !!w && !w.startsWith('#')));
  const add = drivers.filter((d) => d.state === 'module' && !present.has(d.module)).map((d) => d.module);
  if (!add.length) return existing;
  const base = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
  return `${base}# added by vm-provision: Xen front-end drivers\n${add.join('\n')}\n`;
}
