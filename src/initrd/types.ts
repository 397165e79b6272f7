// Shared types of the Xen initrd module.
export type InitrdTool = 'dracut' | 'mkinitrd' | 'mkinitramfs';

/** One front-end driver as it will go into the initrd for one kernel. */
export interface DriverPlan {
  /** The name the profile asked for (xennet, xen-blkfront, ...). */
  requested: string;
  /** The module name for this kernel, as its file is named (xen-netfront; xennet on xenlinux). */
  module: string;
  /** builtin: compiled into the kernel, nothing to add to the initrd. */
  state: 'module' | 'builtin';
  /** Path under /lib/modules/KVER (modules only), e.g. kernel/drivers/net/xen-netfront.ko.xz. */
  file?: string;
}

export const KERNEL_VERSION_PLACEHOLDER = '{kernelVersion}';
export const DEFAULT_OUTPUT_TEMPLATE = '/boot/initrd-{kernelVersion}-condor-xen.img';
export const MODULES_DIR = '/lib/modules';
