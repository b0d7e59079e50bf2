#!/usr/bin/env node
// Builds what the app runs from:
//   node tools/build.mjs renderer   the React renderer -> dist/renderer (Vite)
//   node tools/build.mjs electron   main + preload + engine host bundles -> dist/electron (esbuild)
//   node tools/build.mjs all        both
// `npm ci` runs the renderer build (the `prepare` script) so `npx longread serve` works at once.
import { build as esbuild } from 'esbuild';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const what = process.argv[2] ?? 'all';

export async function buildRenderer() {
  if (!existsSync(path.join(root, 'renderer', 'index.html'))) {
    console.log('build: renderer/index.html missing; nothing to build');
    return;
  }
  const { build } = await import('vite');
  await build({
    root: path.join(root, 'renderer'),
    base: './',
    logLevel: 'warn',
    configFile: existsSync(path.join(root, 'renderer', 'vite.config.ts')) ? path.join(root, 'renderer', 'vite.config.ts') : false,
    build: { outDir: path.join(root, 'dist', 'renderer'), emptyOutDir: true, sourcemap: true, target: 'es2022' },
  });
  console.log('build: renderer -> dist/renderer');
}

export async function buildElectron() {
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    logLevel: 'warning',
    loader: { '.wgsl': 'text' },
    external: ['electron', 'webgpu'],
  };
  await esbuild({ ...common, entryPoints: [path.join(root, 'electron', 'main.ts')], format: 'cjs', outfile: path.join(root, 'dist', 'electron', 'main.cjs') });
  await esbuild({ ...common, entryPoints: [path.join(root, 'electron', 'preload.ts')], format: 'cjs', outfile: path.join(root, 'dist', 'electron', 'preload.cjs') });
  // Flat names beside main.cjs: main forks engine-host.mjs, the host finds documents-worker.mjs next to itself.
  await esbuild({
    ...common,
    entryPoints: { 'engine-host': path.join(root, 'electron', 'engine-host.ts'), 'documents-worker': path.join(root, 'engine', 'documents', 'worker.ts') },
    format: 'esm',
    outdir: path.join(root, 'dist', 'electron'),
    outExtension: { '.js': '.mjs' },
    banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
  });
  console.log('build: electron -> dist/electron');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (what === 'renderer' || what === 'all') await buildRenderer();
  if (what === 'electron' || what === 'all') await buildElectron();
}
