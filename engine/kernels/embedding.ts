/**
 * Embedding row lookup (shaders/embedding.wgsl) from a token table in any GGUF weight format
 * the matrix kernels support (F32, F16, BF16, Q4_0..Q8_0, Q2_K..Q6_K), dequantized on the GPU.
 *
 *   const p = await embeddingPlan(ctx, { table, format: 'Q4_K', vocab, dim, ids, out, tokens })
 *   p.encode(pass)   // out: f32 [tokens, dim]
 *
 * `table` is one BufferRef or row parts (WeightPart[]) exactly as for matvec; tables larger
 * than one storage binding are split by weightSplit and dispatched per slice. `scale`
 * multiplies the rows (Gemma-style sqrt(dim) embedding scaling); default 1. `update(tokens)`
 * re-targets the plan for a different token count (ids/out buffers must be large enough).
 */

import type { BufferRef } from '../gpu/buffer-pool.ts';
import { dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
import { weightRowBytes, weightSplit, type WeightFormat, type WeightPart } from './weight-layout.ts';
import source from '../../shaders/embedding.wgsl';

export interface EmbeddingArgs {
  table: BufferRef | WeightPart[];
  format: WeightFormat;
  vocab: number;
  dim: number;
  /** u32 [tokens] */
  ids: BufferRef;
  /** f32 [tokens, dim] */
  out: BufferRef;
  tokens: number;
  scale?: number;
}

export interface EmbeddingPlan extends KernelPlan {
  update(tokens: number): void;
}

export async function embeddingPlan(ctx: KernelContext, a: EmbeddingArgs): Promise<EmbeddingPlan> {
  const rowBytes = weightRowBytes(a.format, a.dim);
  const slices = weightSplit(a.format, a.vocab, a.dim, a.table, {
    maxStorageBufferBindingSize: ctx.maxStorageBufferBindingSize,
    minStorageBufferOffsetAlignment: Number(ctx.device.limits.minStorageBufferOffsetAlignment),
  });
  const params = (tokens: number, s: (typeof slices)[number]) =>
    new ParamsWriter()
      .u32(tokens)
      .u32(a.dim)
      .u32(rowBytes)
      .u32(s.rowStart)
      .u32(s.rows)
      .u32(a.vocab)
      .f32(a.scale ?? 1)
      .bytes();
  const grid = (tokens: number) => dispatch2d(ctx, Math.ceil((tokens * Math.ceil(a.dim / 8)) / 256));
  const plans: DispatchPlan[] = await Promise.all(
    slices.map((s) =>
      planCreate(ctx, {
        name: 'embedding.wgsl',
        source,
        defines: { FMT: a.format },
        params: params(a.tokens, s),
        buffers: [{ buffer: s.buffer, offset: s.offset, size: s.size }, a.ids, a.out],
        workgroups: grid(a.tokens),
      }),
    ),
  );
  return {
    encode(pass) {
      for (const p of plans) p.encode(pass);
    },
    update(tokens) {
      const [x, y] = grid(tokens);
      plans.forEach((p, i) => {
        p.writeParams(params(tokens, slices[i]!));
        p.workgroups[0] = x;
        p.workgroups[1] = y;
      });
    },
    dispose() {
      for (const p of plans) p.dispose();
    },
  };
}
