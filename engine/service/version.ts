/**
 * Engine version (part of KV snapshot fingerprints and `engine.status`) and the location of the
 * bundled default model (assets/models/*.gguf, shipped with the app).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  // engine/service/version.ts -> repo root; in bundles LONGREAD_ROOT is set by the host.
  if (process.env.LONGREAD_ROOT) return process.env.LONGREAD_ROOT;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export const ROOT = repoRoot();

export const ENGINE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** The bundled model: the first .gguf in assets/models, or null when none is installed. */
export function bundledModelPath(): string | null {
  const dir = process.env.LONGREAD_MODELS_DIR ?? path.join(ROOT, 'assets', 'models');
  try {
    const f = readdirSync(dir).filter((n) => n.endsWith('.gguf')).sort()[0];
    return f ? path.join(dir, f) : null;
  } catch {
    return null;
  }
}
