/**
 * The GPU forward pass of the llama-family block (llama, qwen2, qwen3; flags in hparams.ts),
 * built from the kernels in engine/kernels/ over the paged KV cache (engine/kv/kv-cache.ts).
 *
 *   const f = await gpuForwardCreate(ctx, hp, weights, kv, { chunk: 512 })
 *   const first = await f.prefill(tokens, start, sampler, onChunk)  // chunks of <= 512 tokens, 1 submit each
 *   const next = await f.decode(pos, sampler)                       // ONE submit; feeds the last sampled id
 *   const { id } = await f.decodeSubmit(pos, sampler)               // the same, returning once submitted:
 *   const { id: id2 } = await f.decodeSubmit(pos + 1, sampler)      //   the next step may go ahead of the read
 *
 * Prefill runs tokens through matmul kernels in chunks, writing K/V into the cache; its last
 * submit also computes the logits of the last token and samples the next one on the GPU.
 * Decode records the whole token (embedding -> layers -> norm -> classifier -> sampling) into
 * one command buffer; the sampled id stays on the GPU as the next step's input and only its
 * 4 bytes are read back. The attention tap (per-layer probabilities of each decoded token,
 * summed over steps and binned per answer-token row) is compiled only when asked for.
 *
 * KV tiers (engine/kv/kv-tiers.ts): when layers of the cache live off the GPU, a step is
 * submitted in segments, one per off-GPU layer: the layer's pages are written into its staging
 * slot before the submit that runs it, the slot of the layer after next is refilled right after
 * that submit (so the CPU prepares it while the GPU runs), and the pages the step wrote are
 * copied out and stored after the last submit. When the cache's layout changes (a layer moved),
 * the plans that bind KV views are rebuilt. With every layer on the GPU nothing changes: one
 * submit per decode step.
 *
 * Layers (gpu-layer-plans.ts): which ops a decode or prefill layer dispatches, the activation
 * buffers they read and write, and the options that choose fused decode kernels (stack,
 * fuseQuant, fuseMergeQuant, fuseFfn); this file records those plans and owns their lifetime.
 *
 * Extend: a new block flag gets its op in gpu-layer-plans.ts (`layerPlans`); compare with
 * engine/reference/forward.ts (test/parity/gpu-vs-ref.test.ts).
 */

import { LongreadError } from '../errors.ts';
import { STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { attentionTapCreate, type AttentionTap, type AttentionTapShape } from '../telemetry/attention-tap.ts';
import { decodeAttentionPlan, type DecodeAttentionPlan } from '../kernels/attention-decode.ts';
import { planDispatches, plansSubmit, type KernelContext, type KernelPlan } from '../kernels/context.ts';
import { embeddingPlan } from '../kernels/embedding.ts';
import { matvecPlan } from '../kernels/matvec.ts';
import { rmsNormPlan } from '../kernels/rmsnorm.ts';
import { ropeTable, type RopeTable } from '../kernels/rope.ts';
import { argmaxPlan, samplePlan, type SamplePlan, type SamplingConfig } from '../kernels/sample.ts';
import { kvCacheCheck, kvCacheEnsure, type KvCache } from '../kv/kv-cache.ts';
import { kvEncodeWriteBack, kvOffloadedLayers, kvStageIn, kvStagingSlots, kvStepBegin, kvStepEnd } from '../kv/kv-tiers.ts';
import { actsCreate, actsDispose, decodeLayerOps, layerPlans, type Acts, type LayerPlanEnv, type LayerPlans } from './gpu-layer-plans.ts';
import { tensorRef, type GpuTensor } from './gpu-weights.ts';
import type { ModelHparams } from './hparams.ts';
import type { Int8Tune } from '../kernels/matmul-int8.ts';

/**
 * Weight groups that decode reads as one stacked matrix when they were uploaded into one buffer
 * (engine/models/gpu-weights.ts, `fuseGroups`, first qualifying group wins): per layer q|k|v
 * (and their biases), else q|k (Q4_K_M's layers with a Q6_K attn_v), and gate|up.
 */
export function decodeFuseGroups(nLayers: number): string[][] {
  const g: string[][] = [];
  for (let l = 0; l < nLayers; l++) {
    const p = `blk.${l}.`;
    g.push([`${p}attn_q.weight`, `${p}attn_k.weight`, `${p}attn_v.weight`], [`${p}attn_q.bias`, `${p}attn_k.bias`, `${p}attn_v.bias`]);
    g.push([`${p}attn_q.weight`, `${p}attn_k.weight`], [`${p}attn_q.bias`, `${p}attn_k.bias`], [`${p}ffn_gate.weight`, `${p}ffn_up.weight`]);
  }
  return g;
}

export interface Sampler {
  /** temperature <= 0: greedy argmax */
  config: SamplingConfig;
}

/** Decode steps that may be submitted before their sampled ids are read (GpuForward.decodeSubmit). */
export const DECODE_READS_IN_FLIGHT = 3;

export interface GpuForward {
  /** Runs tokens at positions start.. (chunked), returns the id sampled after the last one. */
  prefill(tokens: readonly number[], start: number, sampler: Sampler, onChunk?: (done: number, total: number) => void, signal?: AbortSignal): Promise<number>;
  /**
   * Builds what a prefill of `tokens` tokens at positions start.. will use (plan sets for its
   * pieces, pipelines, activation buffers, the split-K attention variant for that position)
   * without running it, so a caller can do this while something else is in flight (a KV
   * snapshot being read) and the prefill itself pays no one-time costs.
   */
  prefillPrepare(tokens: number, start: number): Promise<void>;
  /** Feeds the last sampled id at position `pos`, returns the next sampled id. */
  decode(pos: number, sampler: Sampler, tap?: AttentionTap): Promise<number>;
  /**
   * decode, resolving as soon as the step is submitted, with its sampled id still to come. The
   * id stays on the GPU as the next step's input, so the step at pos + 1 can be submitted
   * before this one's id is read (the host records and submits while the GPU runs): at most
   * DECODE_READS_IN_FLIGHT steps unread. Not with KV tiers (their steps wait on uploads).
   */
  decodeSubmit(pos: number, sampler: Sampler, tap?: AttentionTap): Promise<{ id: Promise<number> }>;
  /** Restarts the sampler's random stream. */
  reseed(seed: number): void;
  /** Logits of the last step (tests and parity tools). */
  readLogits(): Promise<Float32Array>;
  /** The attention tap for a generation over `promptLen` prompt tokens (rows and bins: attention-tap.ts). */
  tapCreate(promptLen: number, opts?: Pick<AttentionTapShape, 'maxSteps' | 'binBounds' | 'maxRows'>): Promise<AttentionTap>;
  /**
   * GPU time per op of one decode step at position `pos` (kind 'decode') or of one prefill piece
   * of `tokens` tokens starting at `pos` (kind 'prefill'), each dispatch in its own timestamped
   * pass, summed over layers (without timestamp-query, e.g. on lavapipe: each dispatch submitted
   * alone and timed on the host to queue completion). Needs every KV layer on the GPU. It writes KV
   * at those positions: a benchmark tool; reset the session afterwards.
   */
  profile(kind: 'decode' | 'prefill', pos: number, tokens?: number): Promise<OpTime[]>;
  dispose(): void;
}

/** One row of a per-op profile: total GPU milliseconds of `op` over `calls` calls (`dispatches` in all). */
export interface OpTime {
  op: string;
  ms: number;
  calls: number;
  dispatches: number;
}

export async function gpuForwardCreate(ctx: KernelContext, hp: ModelHparams, w: Map<string, GpuTensor>, kv: KvCache, opts: { chunk?: number; stack?: boolean; fuseFfn?: boolean; fuseQuant?: boolean; fuseMergeQuant?: boolean; fuseRope?: boolean; int8Prefill?: boolean; int8Tune?: Int8Tune } = {}): Promise<GpuForward> {
  const device = ctx.device;
  const chunk = Math.max(1, Math.min(opts.chunk ?? 512, kv.maxTokens));
  const wt = (name: string) => {
    const t = w.get(name);
    if (!t) throw new LongreadError('internal', `GPU forward: tensor ${name} was not uploaded.`, 'This is a bug in Longread; please report it.');
    return t;
  };
  const ref = (name: string) => tensorRef(wt(name));
  const ropeFreqs = w.get('rope_freqs.weight');
  const rope: RopeTable = ropeTable(ctx, ropeFreqs ? { ...hp.rope, freqFactors: await readF32(device, ropeFreqs.buffer, hp.rope.nRot / 2) } : hp.rope);
  const lenv: LayerPlanEnv = { ctx, hp, wt, kv, rope, opts };
  const outW = hp.tiedOutput ? wt('token_embd.weight') : wt('output.weight');
  const embW = wt('token_embd.weight');
  const scale = 1 / Math.sqrt(hp.headDim);

  // Decode state: the sampled id buffer is the next step's input ids.
  const tok = device.createBuffer({ size: 16, usage: STORAGE, label: 'decode:tok' });
  const one = actsCreate(device, hp, 1, tok, opts.stack !== false);
  const logits = device.createBuffer({ size: hp.vocab * 4, usage: STORAGE, label: 'logits' });
  // one readback buffer per step in flight (a buffer being mapped cannot be copied into)
  const stagings = Array.from({ length: DECODE_READS_IN_FLIGHT }, (_, i) => ({
    buffer: device.createBuffer({ size: 4, usage: 0x01 | 0x08, label: `decode:readback${i}` }), // MAP_READ | COPY_DST
    read: Promise.resolve(0),
  }));
  let nextStaging = 0;

  // Decode plans (T = 1) and the shared tail: final norm, classifier, token selection.
  const decodeEmbed = await embeddingPlan(ctx, { table: embW.buffer, format: embW.format, vocab: hp.vocab, dim: hp.dim, ids: tok, out: one.x, tokens: 1 });
  const decodeLayers: LayerPlans[] = [];
  for (let l = 0; l < hp.nLayers; l++) decodeLayers.push(await layerPlans(lenv, one, l, 0));
  let boundLayout = kv.layoutVersion;
  let lastTap: AttentionTap | null = null;
  const tail: KernelPlan[] = [
    await rmsNormPlan(ctx, { x: one.x, weight: ref('output_norm.weight'), out: one.xn, rows: 1, dim: hp.dim, eps: hp.eps }),
    await matvecPlan(ctx, { format: outW.format, rows: hp.vocab, cols: hp.dim, weight: outW.buffer, x: one.xn, y: logits }),
  ];
  const greedy = await argmaxPlan(ctx, { logits, out: tok, rows: 1, vocab: hp.vocab });
  const sampler: SamplePlan = await samplePlan(ctx, { logits, out: tok, vocab: hp.vocab, seed: 0 });
  let samplerConfig = '';

  function encodeSelect(pass: GPUComputePassEncoder, s: Sampler): void {
    if (s.config.temperature <= 0) return greedy.encode(pass);
    const key = JSON.stringify(s.config);
    if (key !== samplerConfig) {
      sampler.configure(s.config);
      samplerConfig = key;
    }
    sampler.encode(pass);
  }

  /** Waits until the next readback buffer is unmapped (only with DECODE_READS_IN_FLIGHT steps unread). */
  async function readSlotFree(): Promise<void> {
    const slot = stagings[nextStaging]!;
    if (slot.buffer.mapState !== 'unmapped') await slot.read.catch(() => undefined);
  }

  /**
   * Submits `enc` with a copy of the sampled id, synchronously (so queue writes after the call
   * land after this step); the promise resolves to the id once read. Call readSlotFree first.
   */
  function submitAndRead(enc: GPUCommandEncoder): Promise<number> {
    const slot = stagings[nextStaging]!;
    if (slot.buffer.mapState !== 'unmapped') throw new LongreadError('internal', 'Decode readback buffer still mapped.', 'This is a bug in Longread; please report it.');
    nextStaging = (nextStaging + 1) % stagings.length;
    enc.copyBufferToBuffer(tok, 0, slot.buffer, 0, 4);
    device.queue.submit([enc.finish()]);
    slot.read = (async () => {
      await slot.buffer.mapAsync(0x0001);
      const id = new Uint32Array(slot.buffer.getMappedRange(0, 4))[0]!;
      slot.buffer.unmap();
      return id;
    })();
    return slot.read;
  }

  // Prefill plan sets by piece length (the chunk and powers of two below it, see prefillPieces).
  const prefillSets = new Map<number, { acts: Acts; embed: KernelPlan; layers: LayerPlans[]; attn: { update(u: { tokens: number; qStart: number }): void }[] }>();
  async function prefillSet(T: number) {
    let s = prefillSets.get(T);
    if (s) return s;
    const acts = actsCreate(device, hp, T, undefined, opts.stack !== false);
    const embed = await embeddingPlan(ctx, { table: embW.buffer, format: embW.format, vocab: hp.vocab, dim: hp.dim, ids: acts.ids, out: acts.x, tokens: T });
    const layers: LayerPlans[] = [];
    // a prefill chunk of one token (a prompt one past a chunk boundary, or one past a reused prefix) still uses the prefill path
    for (let l = 0; l < hp.nLayers; l++) layers.push(await layerPlans(lenv, acts, l, 0, true));
    const attn = layers.map((l) => l.prefillAttn!);
    s = { acts, embed, layers, attn };
    prefillSets.set(T, s);
    return s;
  }

  function disposeLayer(l: LayerPlans): void {
    for (const p of l.plans) p.dispose();
    l.attn?.dispose();
    l.attnTapped?.dispose();
  }

  function disposePrefillSet(s: { acts: Acts; embed: KernelPlan; layers: LayerPlans[] }): void {
    for (const l of s.layers) for (const p of l.plans) p.dispose();
    s.embed.dispose();
    actsDispose(s.acts, false);
  }

  /**
   * Layer l's decode attention with the probabilities tap: like its plain plan, writing the
   * quantized output (if that one does) into the plain plan's buffers, which o's matvec reads.
   */
  function tappedAttention(l: number, probs: BufferRef, maxKvLen: number): Promise<DecodeAttentionPlan> {
    const q = decodeLayers[l]!.attn!.quantized;
    const quantizeOut = q ? { quantizeOut: { format: q.format, out: { xq: q.xq, xs: q.xs } } } : {};
    return decodeAttentionPlan(ctx, { q: one.q, out: one.att, kv: kv.views[l]!, nHeads: hp.nHeads, maxKvLen, scale, probs, ...quantizeOut });
  }

  /** Rebuilds the plans that bind KV views after layers moved between tiers. */
  async function rebind(): Promise<void> {
    if (kv.layoutVersion === boundLayout) return;
    boundLayout = kv.layoutVersion;
    for (let l = 0; l < hp.nLayers; l++) {
      disposeLayer(decodeLayers[l]!);
      decodeLayers[l] = await layerPlans(lenv, one, l, 0);
      if (lastTap) decodeLayers[l]!.attnTapped = await tappedAttention(l, lastTap.probs[l]!, kv.maxPages * 64);
    }
    for (const s of prefillSets.values()) disposePrefillSet(s);
    prefillSets.clear();
  }

  /**
   * Records `pre`, then every layer, into command buffers: one when all KV is on the GPU,
   * else a submit before each off-GPU layer, whose pages are staged just before (see the header).
   * Returns the open encoder of the last segment (the caller adds the tail and submits it).
   */
  async function recordLayers(pre: (pass: GPUComputePassEncoder) => void, layer: (pass: GPUComputePassEncoder, l: number) => void, label: string): Promise<GPUCommandEncoder> {
    const off = kv.tiers ? kvOffloadedLayers(kv) : [];
    let enc = device.createCommandEncoder({ label });
    let pass = enc.beginComputePass({ label });
    pre(pass);
    if (off.length === 0) {
      for (let l = 0; l < hp.nLayers; l++) layer(pass, l);
      pass.end();
      return enc;
    }
    const slots = Math.min(off.length, kvStagingSlots(kv));
    for (let k = 0; k < slots; k++) await kvStageIn(kv, off[k]!);
    let k = 0;
    for (let l = 0; l < hp.nLayers; l++) {
      const isOff = l === off[k];
      if (isOff) {
        pass.end();
        device.queue.submit([enc.finish()]);
        // the slot of the previous off-GPU layer is free in queue order: refill it now
        if (k >= 1 && k - 1 + slots < off.length) await kvStageIn(kv, off[k - 1 + slots]!);
        enc = device.createCommandEncoder({ label });
        pass = enc.beginComputePass({ label });
      }
      layer(pass, l);
      if (isOff) {
        pass.end();
        kvEncodeWriteBack(kv, enc, l);
        pass = enc.beginComputePass({ label });
        k++;
      }
    }
    pass.end();
    return enc;
  }

  /** Each op in its own timestamped pass, one submit. */
  async function profileTimestamps(timed: [string, KernelPlan][], kind: string): Promise<{ label: string; ms: number }[]> {
    const timer = new GpuTimer(device, true, timed.length);
    const enc = device.createCommandEncoder({ label: `profile-${kind}` });
    for (const [name, plan] of timed) {
      const pass = timer.beginPass(enc, name);
      plan.encode(pass);
      pass.end();
    }
    timer.resolve(enc);
    device.queue.submit([enc.finish()]);
    const rows = await timer.read();
    timer.dispose();
    return rows;
  }

  /** Without timestamp-query (lavapipe): each op submitted alone, host clock to queue completion. */
  async function profileWall(timed: [string, KernelPlan][]): Promise<{ label: string; ms: number }[]> {
    const rows: { label: string; ms: number }[] = [];
    await device.queue.onSubmittedWorkDone();
    for (const [label, plan] of timed) rows.push({ label, ms: await GpuTimer.wall(device, () => plansSubmit(ctx, [plan], label)) });
    return rows;
  }

  const api: GpuForward = {
    async prefill(tokens, start, s, onChunk, signal) {
      if (tokens.length === 0) throw new LongreadError('bad-request', 'Prefill of an empty token list.', 'Pass at least one prompt token.');
      for (const id of tokens) {
        if (!(Number.isInteger(id) && id >= 0 && id < hp.vocab)) throw new LongreadError('bad-request', `Token id ${id} is outside the vocabulary (0..${hp.vocab - 1}).`, 'Pass ids from this model\'s tokenizer.');
      }
      if (kv.tiers) kvCacheCheck(kv, start + tokens.length);
      else kvCacheEnsure(kv, start + tokens.length);
      let id = -1;
      for (const [c, T] of prefillPieces(tokens.length, chunk)) {
        if (signal?.aborted) throw new LongreadError('cancelled', 'Prefill was cancelled.', 'Start it again when you are ready.');
        const q0 = start + c;
        if (kv.tiers) {
          await kvStepBegin(kv, q0, q0 + T);
          await rebind();
        }
        const set = await prefillSet(T);
        device.queue.writeBuffer(set.acts.ids, 0, Uint32Array.from(tokens.slice(c, c + T)));
        device.queue.writeBuffer(set.acts.pos, 0, Uint32Array.from({ length: T }, (_, i) => q0 + i));
        for (const a of set.attn) a.update({ tokens: T, qStart: q0 });
        const enc = await recordLayers((pass) => set.embed.encode(pass), (pass, l) => {
          for (const p of set.layers[l]!.plans) p.encode(pass);
        }, 'prefill');
        const last = c + T >= tokens.length;
        if (!last) {
          device.queue.submit([enc.finish()]);
          await device.queue.onSubmittedWorkDone();
        } else {
          enc.copyBufferToBuffer(set.acts.x, (T - 1) * hp.dim * 4, one.x, 0, hp.dim * 4);
          const pass = enc.beginComputePass({ label: 'prefill-tail' });
          for (const p of tail) p.encode(pass);
          encodeSelect(pass, s);
          pass.end();
          await readSlotFree();
          const read = submitAndRead(enc); // submits now; the write-back maps below wait alongside
          if (kv.tiers) await kvStepEnd(kv);
          id = await read;
        }
        if (kv.tiers && !last) await kvStepEnd(kv);
        onChunk?.(c + T, tokens.length);
      }
      return id;
    },

    async prefillPrepare(tokens, start) {
      if (tokens <= 0) return;
      for (const [c, T] of prefillPieces(tokens, chunk)) {
        const set = await prefillSet(T);
        // configures the attention for that position (creating its split-K pipelines if it needs
        // them); prefill() configures it again before use
        for (const a of set.attn) a.update({ tokens: T, qStart: start + c });
      }
    },

    async decode(pos, s, tap) {
      return (await api.decodeSubmit(pos, s, tap)).id;
    },

    async decodeSubmit(pos, s, tap) {
      await readSlotFree();
      if (kv.tiers) {
        await kvStepBegin(kv, pos, pos + 1);
        await rebind();
      } else {
        kvCacheEnsure(kv, pos + 1);
      }
      device.queue.writeBuffer(one.pos, 0, Uint32Array.of(pos));
      const enc = await recordLayers((pass) => decodeEmbed.encode(pass), (pass, i) => {
        const l = decodeLayers[i]!;
        const attn = tap ? l.attnTapped! : l.attn!;
        attn.update(pos + 1);
        decodeLayerOps(l, attn, (_, p) => p.encode(pass), tap ? () => tap.encodeLayer(pass, i) : undefined);
      }, 'decode');
      const pass = enc.beginComputePass({ label: 'decode-tail' });
      for (const p of tail) p.encode(pass);
      encodeSelect(pass, s);
      pass.end();
      const read = submitAndRead(enc); // submits now; the write-back maps wait alongside the token's
      read.catch(() => undefined); // observed by whoever awaits the id
      if (kv.tiers) await kvStepEnd(kv);
      return { id: read };
    },

    reseed(seed) {
      sampler.reseed(seed);
    },

    readLogits: () => readF32(device, logits, hp.vocab),

    async tapCreate(promptLen, opts = {}) {
      const maxKvLen = kv.maxPages * 64;
      await rebind();
      const tap = await attentionTapCreate(ctx, { nLayers: hp.nLayers, nHeads: hp.nHeads, maxKvLen, promptLen, ...opts });
      lastTap = tap;
      for (let l = 0; l < hp.nLayers; l++) {
        decodeLayers[l]!.attnTapped?.dispose();
        decodeLayers[l]!.attnTapped = await tappedAttention(l, tap.probs[l]!, maxKvLen);
      }
      return tap;
    },

    async profile(kind, pos, tokens = 1) {
      if (kv.tiers && kvOffloadedLayers(kv).length) throw new LongreadError('bad-request', 'Per-op profiles need every KV layer on the GPU.', 'Profile without a VRAM budget that moves layers off the GPU.');
      const T = kind === 'decode' ? 1 : tokens;
      kvCacheEnsure(kv, pos + T);
      const timed: [string, KernelPlan][] = [];
      if (kind === 'decode') {
        device.queue.writeBuffer(one.pos, 0, Uint32Array.of(pos));
        timed.push(['embedding', decodeEmbed]);
        for (const l of decodeLayers) {
          l.attn!.update(pos + 1);
          decodeLayerOps(l, l.attn!, (name, p) => timed.push([name, p]));
        }
        timed.push(['output_norm', tail[0]!], ['matvec classifier', tail[1]!], ['argmax', greedy]);
      } else {
        const set = await prefillSet(T);
        device.queue.writeBuffer(set.acts.ids, 0, Uint32Array.from({ length: T }, (_, i) => (i * 7919 + 13) % hp.vocab));
        device.queue.writeBuffer(set.acts.pos, 0, Uint32Array.from({ length: T }, (_, i) => pos + i));
        for (const a of set.attn) a.update({ tokens: T, qStart: pos });
        timed.push(['embedding', set.embed]);
        for (const l of set.layers) l.plans.forEach((p, j) => timed.push([l.names[j]!, p]));
      }
      const rows = device.features.has('timestamp-query') ? await profileTimestamps(timed, kind) : await profileWall(timed);
      const byOp = new Map<string, OpTime>();
      for (const [name, plan] of timed) {
        const o = byOp.get(name) ?? { op: name, ms: 0, calls: 0, dispatches: 0 };
        o.calls++;
        o.dispatches += planDispatches(plan);
        byOp.set(name, o);
      }
      for (const r of rows) byOp.get(r.label)!.ms += r.ms;
      return [...byOp.values()];
    },

    dispose() {
      for (const l of decodeLayers) disposeLayer(l);
      for (const s of prefillSets.values()) disposePrefillSet(s);
      for (const p of tail) p.dispose();
      decodeEmbed.dispose();
      greedy.dispose();
      sampler.dispose();
      actsDispose(one, false);
      logits.destroy();
      for (const st of stagings) st.buffer.destroy();
      rope.dispose();
    },
  };
  return api;
}

/**
 * Prefill pieces [offset, tokens]: whole chunks, then the remainder split into powers of two
 * (300 -> 256 + 32 + 8 + 4), so that plan sets exist for at most log2(chunk) + 1 sizes and are
 * built once per model instead of once per prompt length.
 */
export function prefillPieces(n: number, chunk: number): [number, number][] {
  const out: [number, number][] = [];
  let c = 0;
  for (; c + chunk <= n; c += chunk) out.push([c, chunk]);
  for (let bit = 1 << 30; bit >= 1; bit >>= 1) {
    if ((n - c) & bit) {
      out.push([c, bit]);
      c += bit;
    }
  }
  return out;
}

async function readF32(device: GPUDevice, buf: GPUBuffer, n: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: n * 4, usage: 0x01 | 0x08, label: 'readback:f32' });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x0001);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}
