// WGSL sources are imported as text: `import src from '../../shaders/matvec.wgsl'`.
// Vite/vitest (vitest.config.ts plugin), the CLI's Node loader hook (bin/wgsl-hook.mjs) and
// esbuild (--loader:.wgsl=text, used by ../shared/device/pack.sh) all honour this.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
