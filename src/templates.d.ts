// Templates are imported as text (`?raw`): Vitest reads them natively, esbuild embeds them in dist/vm-provision.mjs.
declare module '*?raw' {
  const text: string;
  export default text;
}
