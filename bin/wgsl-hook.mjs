// Node module loader hook: `import src from './x.wgsl'` yields the file's text (as esbuild's
// text loader and the vitest plugin do), so the CLI runs the TypeScript sources unchanged.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function load(url, context, nextLoad) {
  if (url.endsWith('.wgsl')) {
    const text = await readFile(fileURLToPath(url), 'utf8');
    return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(text)};` };
  }
  return nextLoad(url, context);
}
