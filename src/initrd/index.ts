// A separate Xen initrd with the front-end drivers, built beside (never over) the node's stock initrd.
export * from './types.ts';
export * from './names.ts';
export * from './stock-names.ts';
export * from './argv.ts';
export * from './modules-files.ts';
export * from './listing.ts';
export * from './boot-loader.ts';
export * from './kernels.ts';
export * from './drivers.ts';
export * from './tool.ts';
export * from './stock.ts';
export * from './manifest.ts';
export * from './list-initrd.ts';
export * from './build.ts';
export * from './ownership.ts';
export { initrdError } from './errors.ts';
