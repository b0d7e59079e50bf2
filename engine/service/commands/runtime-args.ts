/**
 * Shared by `longread generate` and `longread ask`: the model path (--model, else the bundled
 * model, else a typed error with a hint), the sampling flags, and printing of a run's stats.
 *
 * Extend: a new sampling flag = one option in SAMPLING_OPTIONS + one field in `samplingFrom`.
 */
import path from 'node:path';
import { LongreadError } from '../../errors.ts';
import type { GenerationStats } from '../contract.ts';
import { bundledModelPath } from '../version.ts';

export const SAMPLING_OPTIONS = {
  model: { type: 'string' },
  'max-tokens': { type: 'string' },
  temperature: { type: 'string', default: '0' },
  'top-k': { type: 'string', default: '40' },
  'top-p': { type: 'string', default: '0.95' },
  'min-p': { type: 'string', default: '0.05' },
  seed: { type: 'string', default: '1' },
  context: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export function modelPathFrom(arg: string | undefined): string {
  if (arg) return path.resolve(arg);
  const bundled = bundledModelPath();
  if (!bundled) {
    throw new LongreadError('model-not-loaded', 'No --model was given and no bundled model was found in assets/models/.',
      'Pass --model path/to/model.gguf (e.g. one made by `npx tsx tools/gen-gguf/cli.ts`), or put a .gguf file in assets/models/.');
  }
  return bundled;
}

function num(name: string, v: string | undefined, fallback: number, check: (x: number) => boolean): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || !check(x)) throw new LongreadError('bad-request', `Invalid --${name} ${v}.`, `Give a valid number for --${name}.`, { field: name, value: v });
  return x;
}

export function samplingFrom(v: Record<string, string | boolean | undefined>, defaultMax: number) {
  const s = (k: string) => v[k] as string | undefined;
  return {
    maxTokens: num('max-tokens', s('max-tokens'), defaultMax, (x) => Number.isInteger(x) && x >= 1),
    temperature: num('temperature', s('temperature'), 0, (x) => x >= 0),
    topK: num('top-k', s('top-k'), 40, (x) => Number.isInteger(x) && x >= 0),
    topP: num('top-p', s('top-p'), 0.95, (x) => x > 0 && x <= 1),
    minP: num('min-p', s('min-p'), 0.05, (x) => x >= 0 && x < 1),
    seed: num('seed', s('seed'), 1, (x) => Number.isInteger(x) && x >= 0),
  };
}

export function contextFrom(v: string | undefined): number | undefined {
  return v === undefined ? undefined : num('context', v, 0, (x) => Number.isInteger(x) && x >= 1);
}

export function statsLine(s: GenerationStats): string {
  return `[${s.promptTokens} prompt tokens (${s.reusedPrefix} reused), prefill ${s.prefillTokensPerSecond.toFixed(1)} tok/s; ${s.generatedTokens} generated, decode ${s.decodeTokensPerSecond.toFixed(1)} tok/s; stop: ${s.stopReason}]`;
}
