/**
 * Harness cases for the embedding lookup: every weight format, repeated and out-of-vocab ids,
 * a float table whose row length is not a multiple of 8, and a table split over two parts.
 */

import { embeddingPlan } from '../../engine/kernels/embedding.ts';
import { WEIGHT_FORMATS, weightRowBytes, type WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { embedding } from '../../engine/reference/ops.ts';
import type { KernelCase } from './harness.ts';
import { randomWeights } from './weights-ref.ts';

function embeddingCase(name: string, format: WeightFormat, vocab: number, dim: number, tokens: number, opts: { parts?: boolean; scale?: number } = {}): KernelCase {
  return {
    op: `embedding-${format}`,
    name,
    maxNmse: 1e-12,
    build({ rng, input, ctx }) {
      const w = randomWeights(format, vocab, dim, rng);
      const ids = new Uint32Array(tokens).map(() => rng.int(vocab));
      if (tokens > 2) {
        ids[1] = ids[0]!; // repeated id
        ids[tokens - 1] = vocab + 3; // out of vocabulary -> zeros
      }
      const expected = embedding(w.values, vocab, dim, ids, opts.scale ?? 1);
      const idb = input(ids);
      let table: Parameters<typeof embeddingPlan>[1]['table'];
      if (opts.parts) {
        // two buffers: rows [0, h) and [h, vocab), each starting at offset 0
        const h = Math.floor(vocab / 2);
        const rb = weightRowBytes(format, dim);
        table = [
          { buffer: input(w.bytes.slice(0, Math.ceil((h * rb) / 4) * 4 + 16)), rows: h },
          { buffer: input(w.bytes.slice(h * rb, Math.ceil((vocab * rb) / 4) * 4 + 16)), rows: vocab - h },
        ];
      } else {
        table = input(w.bytes);
      }
      return {
        outputs: [{ name: 'out', bytes: tokens * dim * 4, expected }],
        plans: async ([out]) => [await embeddingPlan(ctx, { table, format, vocab, dim, ids: idb, out: out!, tokens, ...(opts.scale ? { scale: opts.scale } : {}) })],
        bytes: tokens * dim * 6,
      };
    },
  };
}

export const EMBEDDING_CASES: KernelCase[] = [
  embeddingCase('debug', 'F32', 4, 8, 2),
  embeddingCase('debug', 'Q8_0', 4, 32, 2),
  embeddingCase('vocab=37 dim=13 (not a multiple of 8)', 'F16', 37, 13, 5, { scale: 1.5 }),
  embeddingCase('vocab=50 dim=96 in two parts', 'Q4_0', 50, 96, 7, { parts: true }),
  ...WEIGHT_FORMATS.map((f) => embeddingCase(`vocab=29 dim=${f.endsWith('_K') ? 512 : 96}`, f, 29, f.endsWith('_K') ? 512 : 96, 6)),
];
