/**
 * The llama.cpp reference peer for tests: node-llama-cpp's prebuilt CPU build, installed into
 * .peer/ by tools/peer/install.sh (outside the app's dependencies; .ci/run installs it). A
 * missing peer is an error that says how to install it, never a silent skip.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = path.join(root, '.peer', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NodeLlamaCpp = any;

let cached: Promise<{ lib: NodeLlamaCpp; llama: NodeLlamaCpp }> | null = null;

export function llamaCpp(): Promise<{ lib: NodeLlamaCpp; llama: NodeLlamaCpp }> {
  if (!existsSync(entry)) throw new Error('llama.cpp peer missing: run `bash tools/peer/install.sh` (CI does this in .ci/run)');
  cached ??= (async () => {
    const lib = await import(entry);
    const llama = await lib.getLlama({ gpu: false, logLevel: 'error', build: 'never' });
    return { lib, llama };
  })();
  return cached;
}
