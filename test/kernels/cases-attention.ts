/**
 * Harness cases for the paged KV cache and attention: KV append, split-K decode attention
 * (with and without the probabilities tap), causal prefill flash attention with a query offset.
 * Head dims 64 and 128 (plus 8 = stories260K and 96), GQA ratios 1..16; KV lengths that end
 * mid-page.
 *
 * Every arena is poisoned: unused pages and the tail of the last page hold f16 NaN, and
 * physical pages are a random permutation, so reading a wrong page or a stale slot fails.
 */

import { decodeAttentionPlan, DECODE_TARGET_SOFTWARE } from '../../engine/kernels/attention-decode.ts';
import { prefillAttentionPlan } from '../../engine/kernels/attention-prefill.ts';
import { kvAppendPlan } from '../../engine/kernels/kv-append.ts';
import { KV_PAGE_NONE, kvPagesFor, type KvLayerView } from '../../engine/kernels/kv-layout.ts';
import { attention, kvArenaPoisoned, kvPagesRead, kvPagesWrite, type PageMap } from '../../engine/reference/ops-attention.ts';
import { f16BitsToF32 } from '../../engine/reference/ops-f16.ts';
import type { HarnessEnv, KernelCase } from './harness.ts';

interface PagedSetup {
  arena: Uint32Array;
  table: Uint32Array;
  map: PageMap;
  maxPages: number;
  tableOffset: number;
}

/** Random page table (with a leading offset of other layers' entries) over a poisoned arena. */
function pagedSetup(env: HarnessEnv, maxTokens: number, nKv: number, hd: number): PagedSetup {
  const maxPages = kvPagesFor(maxTokens) + 1;
  const tableOffset = 3;
  const phys = nKv * maxPages + 2; // spare pages stay poisoned
  const perm = [...Array(phys).keys()];
  for (let i = perm.length - 1; i > 0; i--) {
    const j = env.rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const table = new Uint32Array(tableOffset + nKv * maxPages).fill(KV_PAGE_NONE);
  for (let h = 0; h < nKv; h++) for (let p = 0; p < maxPages; p++) table[tableOffset + h * maxPages + p] = perm[h * maxPages + p]!;
  const map: PageMap = (h, p) => table[tableOffset + h * maxPages + p]!;
  return { arena: kvArenaPoisoned(phys, hd), table, map, maxPages, tableOffset };
}


function kvAppendCase(name: string, nKv: number, hd: number, cached: number, tokens: number): KernelCase {
  return {
    op: `kv-append-hd${hd}`,
    name,
    maxNmse: 0,
    build(env) {
      const { rng, input, ctx } = env;
      const s = pagedSetup(env, cached + tokens, nKv, hd);
      // existing tokens [0, cached)
      kvPagesWrite(s.arena, rng.normal(cached * nKv * hd), rng.normal(cached * nKv * hd), cached, nKv, hd, s.map);
      const k = rng.normal(tokens * nKv * hd, 2);
      const v = rng.normal(tokens * nKv * hd);
      const expected = Uint32Array.from(s.arena);
      kvPagesWrite(expected, k, v, tokens, nKv, hd, s.map, cached);
      const idx = new Uint32Array(tokens).map((_, i) => cached + i);
      const kb = input(k);
      const vb = input(v);
      const ib = input(idx);
      const tb = input(s.table);
      return {
        outputs: [
          {
            name: 'pages',
            bytes: s.arena.byteLength,
            init: s.arena,
            expected,
            // pack2x16float may round either way at a tie: allow 1 ulp per half
            check: (got, exp) => {
              for (let i = 0; i < exp.length; i++) {
                if (got[i] === exp[i]) continue;
                for (const sh of [0, 16]) {
                  const a = (got[i]! >>> sh) & 0xffff;
                  const b = (exp[i]! >>> sh) & 0xffff;
                  if (Math.abs(a - b) > 1 || Number.isNaN(f16BitsToF32(a)) !== Number.isNaN(f16BitsToF32(b))) return `word ${i} is 0x${got[i]!.toString(16)}, expected 0x${exp[i]!.toString(16)}`;
                }
              }
              return null;
            },
          },
        ],
        plans: async ([pages]) => {
          const kv: KvLayerView = { pages: pages!, pageTable: tb, tableOffset: s.tableOffset, maxPages: s.maxPages, nKvHeads: nKv, headDim: hd };
          return [await kvAppendPlan(ctx, { k: kb, v: vb, cacheIndex: ib, kv, tokens })];
        },
      };
    },
  };
}

/**
 * q of `tokens` queries at positions qStart.., a filled paged cache of qStart + tokens tokens,
 * both as GPU inputs (q, then the pages, then the table) with the cache's layer view, and the
 * CPU reference over the f16-rounded K/V the cache holds.
 */
export function attentionInputs(env: HarnessEnv, nHeads: number, nKv: number, hd: number, qStart: number, tokens: number) {
  const kvLen = qStart + tokens;
  const s = pagedSetup(env, kvLen, nKv, hd);
  const k = env.rng.normal(kvLen * nKv * hd);
  const v = env.rng.normal(kvLen * nKv * hd);
  kvPagesWrite(s.arena, k, v, kvLen, nKv, hd, s.map);
  // the reference sees exactly what the cache holds (f16-rounded)
  const kr = kvPagesRead(s.arena, 'k', kvLen, nKv, hd, s.map);
  const vr = kvPagesRead(s.arena, 'v', kvLen, nKv, hd, s.map);
  const q = env.rng.normal(tokens * nHeads * hd, 2.5);
  const ref = attention(q, kr, vr, kvLen, { tokens, nHeads, nKvHeads: nKv, headDim: hd, qStart, scale: 1 / Math.sqrt(hd) });
  const qb = env.input(q);
  const kv: KvLayerView = { pages: env.input(s.arena), pageTable: env.input(s.table), tableOffset: s.tableOffset, maxPages: s.maxPages, nKvHeads: nKv, headDim: hd };
  return { ref, qb, kv };
}

interface DecodeOpts {
  probs?: boolean;
  target?: number;
  lanes?: number;
  /** the 'stream-r' pass 1 with these knobs (tokens per step, row groups; default streamDefaults) */
  stream?: { tokens?: number; rowGroups?: number };
  /** expected chunk count after update (checks the chunking, e.g. the stream-r variant's page cap) */
  chunks?: number;
}

function decodeCase(name: string, nHeads: number, nKv: number, hd: number, kvLen: number, opts: DecodeOpts = {}): KernelCase {
  return {
    op: `attn-decode${opts.stream ? '-stream-r' : ''}-hd${hd}`,
    name,
    maxNmse: 1e-9,
    build(env) {
      const { ctx } = env;
      const { ref, qb, kv } = attentionInputs(env, nHeads, nKv, hd, kvLen - 1, 1);
      const outputs = [{ name: 'out', bytes: nHeads * hd * 4, expected: ref.out }];
      if (opts.probs) outputs.push({ name: 'probs', bytes: nHeads * kvLen * 4, expected: ref.probs });
      return {
        outputs,
        plans: async ([out, probs]) => {
          const st = opts.stream;
          const p = await decodeAttentionPlan(ctx, {
            q: qb,
            out: out!,
            kv,
            nHeads,
            maxKvLen: kvLen,
            ...(probs ? { probs } : {}),
            ...(opts.target ? { targetWorkgroups: opts.target } : {}),
            ...(opts.lanes ? { lanesPerRow: opts.lanes } : {}),
            ...(st ? { variant: 'stream-r' as const, ...(st.tokens ? { tokensPerStep: st.tokens } : {}), ...(st.rowGroups ? { rowGroups: st.rowGroups } : {}) } : {}),
          });
          p.update(kvLen);
          if (opts.chunks !== undefined && p.chunks !== opts.chunks) throw new Error(`expected ${opts.chunks} chunks, the plan chose ${p.chunks}`);
          return [p];
        },
        bytes: kvLen * nKv * hd * 4,
        flops: 4 * kvLen * nHeads * hd,
      };
    },
  };
}

function prefillCase(name: string, nHeads: number, nKv: number, hd: number, qStart: number, tokens: number, opts: { target?: number; splits?: number; maxRows?: number } = {}): KernelCase {
  return {
    op: `attn-prefill-hd${hd}`,
    name,
    maxNmse: 1e-9,
    build(env) {
      const { ctx } = env;
      const { ref, qb, kv } = attentionInputs(env, nHeads, nKv, hd, qStart, tokens);
      return {
        outputs: [{ name: 'out', bytes: tokens * nHeads * hd * 4, expected: ref.out }],
        plans: async ([out]) => {
          const p = await prefillAttentionPlan(ctx, { q: qb, out: out!, kv, nHeads, tokens, qStart, ...(opts.target ? { targetWorkgroups: opts.target } : {}), ...(opts.maxRows ? { maxRows: opts.maxRows } : {}) });
          if (opts.splits !== undefined && p.splits !== opts.splits) throw new Error(`expected ${opts.splits} key splits, the plan chose ${p.splits}`);
          return [p];
        },
        flops: 2 * tokens * (qStart + tokens / 2) * nHeads * hd * 2,
      };
    },
  };
}

/** A case whose shape is drawn from the run's RNG (the seed in a failure report replays it). */
function randomShapeCase(op: string, make: (pick: <T>(xs: T[]) => T, int: (lo: number, hi: number) => number) => [KernelCase, string]): KernelCase {
  return {
    op,
    name: 'random shape',
    maxNmse: 1e-9,
    async build(env) {
      const pick = <T,>(xs: T[]): T => xs[env.rng.int(xs.length)]!;
      const int = (lo: number, hi: number) => lo + env.rng.int(hi - lo + 1);
      const [c, shape] = make(pick, int);
      const built = await c.build(env);
      // the drawn shape goes into every output's name, so failure reports show it
      return { ...built, outputs: built.outputs.map((o) => ({ ...o, name: `${o.name} [${shape}]` })) };
    },
  };
}

// Shader variants are (head dim, G, heads per P.V invocation, probs) for decode and (head dim, G)
// for prefill; each costs seconds of LLVM compile on lavapipe, so the cases below reuse a small
// set of variants and the random shapes draw from the same set.
const DECODE_VARIANTS: [number, number, boolean][] = [
  [64, 2, false],
  [64, 4, true],
  [128, 4, false],
  [128, 3, true],
  [8, 2, true],
  [96, 1, false],
];
const DECODE_STREAM_VARIANTS: [number, number, boolean][] = [
  [64, 4, false],
  [128, 7, false],
  [128, 4, true],
];
const PREFILL_VARIANTS: [number, number][] = [
  [64, 2],
  [64, 4],
  [128, 4],
  [128, 3],
  [8, 2],
];

export const DECODE_CASES: KernelCase[] = [
  decodeCase('debug', 2, 1, 64, 5),
  decodeCase('heads=8 kv=2 len=300 probs chunked', 8, 2, 64, 300, { probs: true, target: 4 }),
  decodeCase('debug', 4, 1, 128, 3),
  decodeCase('heads=8 kv=2 len=200 chunked', 8, 2, 128, 200, { target: 6 }),
  decodeCase('heads=6 kv=2 len=129 probs (G=3)', 6, 2, 128, 129, { probs: true }),
  decodeCase('heads=16 kv=2 len=190 (G=8) chunked', 16, 2, 128, 190, { target: 6 }),
  decodeCase('stories260K shape hd=8 heads=8 kv=4 len=100 probs', 8, 4, 8, 100, { probs: true }),
  decodeCase('hd=96 heads=3 kv=3 len=65 (G=1)', 3, 3, 96, 65),
  // chunk and page edges at the model shapes (Llama-3.2-1B 32/8 hd 64 and Llama-3-8B 32/8 hd 128:
  // G = 4; Qwen2.5-0.5B 14/2 hd 64: G = 7), one page per chunk and longer chunks
  decodeCase('G=4 len=1', 8, 2, 64, 1),
  decodeCase('G=4 len=63', 8, 2, 64, 63),
  decodeCase('G=4 len=64 (one full page)', 8, 2, 64, 64),
  decodeCase('G=4 len=65 (2-page chunk ending in a 1-token page)', 8, 2, 64, 65, { target: 2 }),
  decodeCase('G=4 len=1000 (8-page chunks)', 8, 2, 64, 1000, { target: 4 }),
  decodeCase('G=4 len=5000 (one page per chunk)', 8, 2, 64, 5000, { target: 512 }), // the GPU default: CPU adapters default to 8
  decodeCase('G=4 kv=1 len=20000 (313 chunks: merge loops past 256)', 4, 1, 64, 20000, { target: 512 }),
  decodeCase('G=4 len=5000 (CPU adapter default target)', 8, 2, 64, 5000, { target: DECODE_TARGET_SOFTWARE }),
  decodeCase('G=4 len=5000 (10-page chunks)', 8, 2, 128, 5000, { target: 16 }),
  decodeCase('G=4 len=1000 16 lanes per row', 8, 2, 128, 1000, { lanes: 16, target: 8 }),
  decodeCase('G=4 len=300 4 lanes per row', 8, 2, 64, 300, { lanes: 4, target: 4 }),
  decodeCase('Qwen2.5-0.5B shape heads=14 kv=2 len=1000 (G=7)', 14, 2, 64, 1000, { target: 8 }),
  decodeCase('heads=8 kv=1 len=1000 (G=8)', 8, 1, 128, 1000),
  decodeCase('heads=2 kv=2 len=63 (G=1)', 2, 2, 64, 63),
  decodeCase('heads=2 kv=2 len=5000 (G=1)', 2, 2, 64, 5000, { target: 8 }),
  randomShapeCase('attn-decode', (pick, int) => {
    const [hd, G, probs] = pick(DECODE_VARIANTS);
    const nKv = int(1, 3);
    const len = int(1, 400);
    const target = pick([4, 16, 1024]);
    return [decodeCase('random', nKv * G, nKv, hd, len, { probs, target }), `hd=${hd} kv=${nKv} G=${G} len=${len} probs=${probs} target=${target}`];
  }),
];

// The 'stream-r' pass 1 (the GPU default): ragged lengths (steps of TPW * U tokens that end
// mid-page and mid-chunk), head dims 64 and 128, G = 1, 4, 7, workgroups of 32..256
// invocations, 1, 2, 4 and 8 tokens per step, the 64-page chunk cap, the default knobs
// (streamDefaults) at G = 4 and 7. Few shader variants (lavapipe compile time); at hd 128, 16
// lanes (one word per invocation) run the workgroup-memory score sum on lavapipe (subgroups of
// 8), 8 lanes (2 words) the shuffles.
export const DECODE_STREAM_R_CASES: KernelCase[] = [
  decodeCase('stream-r G=4 len=1', 8, 2, 64, 1, { stream: {} }),
  decodeCase('stream-r G=4 len=1000 (8-page chunks, default 4 tokens x 16 row groups)', 8, 2, 64, 1000, { stream: {}, target: 4, chunks: 2 }),
  decodeCase('stream-r G=4 len=777 probs (2 tokens x 4 row groups of 16 lanes)', 8, 2, 128, 777, { stream: { tokens: 2, rowGroups: 4 }, target: 6, probs: true }),
  decodeCase('stream-r G=4 len=65 8 lanes (2 words per lane; chunk of 2 pages ending in a 1-token page)', 8, 2, 128, 65, { stream: { tokens: 2, rowGroups: 4 }, lanes: 8, target: 2 }),
  decodeCase('stream-r Qwen2.5-0.5B shape heads=14 kv=2 len=1000 (G=7, 8 tokens x 8 row groups)', 14, 2, 64, 1000, { stream: { tokens: 8, rowGroups: 8 }, target: 8 }),
  decodeCase('stream-r Qwen2.5-0.5B shape heads=14 kv=2 len=999 (G=7, default 4 tokens x 8 row groups)', 14, 2, 64, 999, { stream: {}, target: 16 }),
  decodeCase('stream-r G=7 hd=128 len=300 (default 4 tokens x 8 row groups of 16 lanes)', 7, 1, 128, 300, { stream: {}, target: 2 }),
  decodeCase('stream-r G=1 len=5000 (64-page cap: 2 chunks per head, 4 tokens x 32 row groups)', 2, 2, 64, 5000, { stream: { rowGroups: 32 }, target: 2, chunks: 2 }),
  decodeCase('stream-r G=1 hd=128 len=63 probs (1 token x 4 row groups of 8 lanes)', 3, 3, 128, 63, { stream: { tokens: 1, rowGroups: 4 }, probs: true }),
  decodeCase('stream-r G=4 len=5000 (one page per chunk)', 8, 2, 64, 5000, { stream: {}, target: 512 }),
  randomShapeCase('attn-decode-stream-r', (pick, int) => {
    const [hd, G, probs] = pick(DECODE_STREAM_VARIANTS);
    const nKv = int(1, 3);
    const len = int(1, 400);
    const target = pick([4, 16, 1024]);
    return [decodeCase('random', nKv * G, nKv, hd, len, { probs, target, stream: {} }), `hd=${hd} kv=${nKv} G=${G} len=${len} probs=${probs} target=${target}`];
  }),
];

export const KV_APPEND_CASES: KernelCase[] = [
  kvAppendCase('debug', 1, 64, 0, 2),
  kvAppendCase('kv=2 cached=61 +7 (crosses a page)', 2, 64, 61, 7),
  kvAppendCase('kv=3 cached=100 +1', 3, 128, 100, 1),
];

export const PREFILL_CASES: KernelCase[] = [
  prefillCase('debug', 2, 1, 64, 0, 3),
  prefillCase('heads=4 kv=2 start=0 t=45 direct', 4, 2, 64, 0, 45, { target: 1, splits: 1 }),
  prefillCase('heads=8 kv=2 start=70 t=21 direct', 8, 2, 64, 70, 21, { target: 1, splits: 1 }),
  prefillCase('split-K heads=8 kv=2 start=100 t=40 (empty splits)', 8, 2, 64, 100, 40, { target: 18, splits: 3 }),
  prefillCase('debug', 4, 1, 128, 0, 2),
  prefillCase('split-K heads=8 kv=2 start=300 t=3 (verification)', 8, 2, 128, 300, 3, { target: 64, splits: 10 }),
  prefillCase('heads=6 kv=2 start=33 t=40 (G=3) direct', 6, 2, 128, 33, 40, { target: 1, splits: 1 }),
  prefillCase('heads=16 kv=1 start=5 t=9 (G=16)', 16, 1, 128, 5, 9),
  prefillCase('stories260K shape hd=8 heads=8 kv=4 start=10 t=70 direct', 8, 4, 8, 10, 70, { target: 1, splits: 1 }),
  // Tile edges of the register-tiled kernel: 64-row workgroups at hd 64 (BQ = 9 tokens of 7 heads,
  // 63 rows; BQ = 64 tokens of 1 head), 24-row workgroups at hd 128 on a 32 KB device (BQ = 3 of
  // 7 heads); query blocks and 32-key tiles ending mid-block, q_start > 0 (chunked prefill).
  prefillCase('heads=14 kv=2 start=0 t=1 (G=7)', 14, 2, 64, 0, 1, { target: 1, splits: 1 }),
  prefillCase('heads=14 kv=2 start=0 t=63 (G=7)', 14, 2, 64, 0, 63, { target: 1, splits: 1 }),
  prefillCase('heads=14 kv=2 start=130 t=65 (G=7)', 14, 2, 64, 130, 65, { target: 1, splits: 1 }),
  prefillCase('heads=14 kv=2 start=0 t=300 (G=7)', 14, 2, 64, 0, 300, { target: 1, splits: 1 }),
  prefillCase('split-K heads=14 kv=2 start=77 t=300 (G=7)', 14, 2, 64, 77, 300, { target: 512, splits: 6 }),
  prefillCase('heads=2 kv=2 start=3 t=130 (G=1, 64-token blocks)', 2, 2, 64, 3, 130, { target: 1, splits: 1 }),
  prefillCase('split-K heads=14 kv=2 start=200 t=1 (G=7)', 14, 2, 128, 200, 1, { target: 64, splits: 7 }),
  prefillCase('heads=4 kv=2 start=40 t=50 16-row workgroups', 4, 2, 64, 40, 50, { target: 1, splits: 1, maxRows: 16 }),
  prefillCase('heads=14 kv=2 start=70 t=65 (G=7)', 14, 2, 128, 70, 65, { target: 1, splits: 1 }),
  prefillCase('heads=14 kv=2 start=0 t=63 (G=7)', 14, 2, 128, 0, 63, { target: 1, splits: 1 }),
  randomShapeCase('attn-prefill', (pick, int) => {
    const [hd, G] = pick(PREFILL_VARIANTS);
    const nKv = int(1, 3);
    const [start, t, target] = [int(0, 150), int(1, 40), pick([1, 16, 1024])];
    return [prefillCase('random', nKv * G, nKv, hd, start, t, { target }), `hd=${hd} kv=${nKv} G=${G} start=${start} t=${t} target=${target}`];
  }),
];

export const ATTENTION_CASES: KernelCase[] = [...KV_APPEND_CASES, ...DECODE_CASES, ...DECODE_STREAM_R_CASES, ...PREFILL_CASES];
