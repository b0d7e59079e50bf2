/**
 * Bundles a one-off test script (TypeScript source text importing repository modules by
 * absolute path) into one ESM file for a child `node` process, as pack.sh bundles the benches
 * for the GPU machine: tests of what only a separate process shows (a pool that keeps the
 * process alive, a writer killed mid-write).
 *
 *   await bundleScript(`import { x } from ${JSON.stringify(abs)}; ...`, dir, path.join(dir, 'a.mjs'));
 *   spawn(process.execPath, [path.join(dir, 'a.mjs'), ...args]);
 */
import { build } from 'esbuild';

export async function bundleScript(contents: string, resolveDir: string, outfile: string): Promise<void> {
  await build({ stdin: { contents, resolveDir, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent' });
}
