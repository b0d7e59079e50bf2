// Decode with stacked weights and fused kernels, with the FFN side fused (fuseFfn) or not (the
// default) (q|k|v and gate|up uploaded into one buffer each;
// attn_norm + activation quantization + q|k|v, q/k norm + RoPE + KV append, ffn_norm + gate|up +
// SwiGLU, and the o / down matvecs with their quantization each ONE dispatch: gpu-weights.ts,
// gpu-layer-plans.ts, matvec-fused.ts, rope-kv.ts; the default FFN side folds ffn_norm and SwiGLU
// into the next matvec's activation quantization: act-quant.ts, gpu-decode-fused.ts) computes
// exactly what fully separate decode (fuseWeights: false: rmsnorm, SwiGLU and quantization as
// their own dispatches) computes: identical greedy tokens and bitwise-identical logits, for a
// plain llama block (q8_0 activations), a qwen2 block with q/k/v biases (q8_K), a qwen3 block
// with q/k norms and a Q4_K_M mix (a layer with a Q6_K attn_v stacks only q|k); and a profile
// that shows the fused ops, once per layer, in place of the separate ones. The default path also
// merges the attention's chunks and quantizes o's input in one dispatch (attention-decode.ts
// quantizeOut): 'fused attention merge+quantize' once per layer, o's matvec without its own
// quantization, one dispatch a layer fewer (9 for the plain llama block). The 65-token prompt
// ends in a one-token prefill piece, which takes the fused ops too. With the attention tap on
// (its own attention plans, quantizing into the plain plans' buffers) decode is still the same.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../gpu/device.ts';
import { ggufGenerate, type GenType } from '../../tools/gen-gguf/gen-gguf.ts';
import { sessionCreate } from '../decode/session.ts';
import { modelLoad } from './index.ts';
import { kvPagesOffload, kvTiersEnable } from '../kv/kv-tiers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-fuse-'));

describe('stacked decode weights', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await gpuAcquire();
  });
  afterAll(() => gpu?.dispose());

  for (const [shape, type] of [['tiny-llama', 'Q8_0'], ['tiny-qwen2', 'Q4_K'], ['tiny-qwen3', 'Q6_K'], ['tiny-llama', 'Q4_K_M']] as [string, GenType][]) {
    it(`${shape} ${type}: fused and separate decode agree exactly`, async () => {
      const file = path.join(dir, `${shape}-${type}.gguf`);
      ggufGenerate({ shape, type, out: file, seed: 7 });
      const run = async (fuseWeights: boolean, fuseFfn = false, tap = false, fuseQuant = true, fuseMergeQuant = false, fuseRope = false, offload = false) => {
        const m = await modelLoad(gpu, file, { contextLength: 512, chunk: 64, fuseWeights, fuseFfn, fuseQuant, fuseMergeQuant, fuseRope });
        try {
          if (offload) {
            // layers off the GPU: the plans are rebuilt against the staging views (gpu-forward.ts rebind)
            kvTiersEnable(m.kv);
            await kvPagesOffload(m.kv, 0, 'ram');
            await kvPagesOffload(m.kv, 1, 'disk');
          }
          const s = sessionCreate(m);
          const prompt = Array.from({ length: 65 }, (_, i) => 100 + ((i * 37) % 400));
          const r = await s.generate({ promptTokens: prompt, maxTokens: 24, temperature: 0, ...(tap ? { taps: { attention: true } } : {}) });
          if (tap) expect(r.attention!.steps).toBeGreaterThan(0);
          const logits = await m.forward.readLogits();
          // without timestamp-query (lavapipe) the profile times each op alone on the host clock
          const profile = offload ? [] : await m.forward.profile('decode', 200); // profiles need every layer on the GPU
          const calls = new Map(profile.map((o) => [o.op, o.calls]));
          const dispatches = new Map(profile.map((o) => [o.op, o.dispatches]));
          const tail = ['embedding', 'output_norm', 'matvec classifier', 'argmax'];
          const layerDispatches = profile.filter((o) => !tail.includes(o.op)).reduce((n, o) => n + o.dispatches, 0) / m.hp.nLayers;
          return { tokens: r.tokens, logits, ops: [...calls.keys()], calls, dispatches, layerDispatches, layers: m.hp.nLayers };
        } finally {
          m.dispose();
        }
      };
      const fused = await run(true, true);
      const attnFused = await run(true);
      const separate = await run(false);
      // stacked weights with the quantizations as their own dispatches (modelLoad fuseQuant: false, the A/B switch)
      const unquantFused = await run(true, false, false, false);
      // and with the attention merge quantizing o's input (fuseMergeQuant, off by default)
      const mergeFused = await run(true, false, false, true, true);
      // and with RoPE + the KV append in the q|k|v matvec's epilogue (fuseRope, off by default), alone and with everything else fused
      const ropeFused = await run(true, false, false, true, false, true);
      const allFused = await run(true, true, false, true, true, true);
      // the rope epilogue writes the cache through the views of layers moved to RAM / disk too
      const ropeTiers = shape === 'tiny-llama' && type === 'Q8_0' ? await run(true, false, false, true, false, true, true) : null;
      if (ropeTiers) expect(ropeTiers.tokens).toEqual(separate.tokens);
      for (const r of [fused, attnFused, unquantFused, mergeFused, ropeFused, allFused]) {
        expect(r.tokens).toEqual(separate.tokens);
        expect(Buffer.from(r.logits.buffer).equals(Buffer.from(separate.logits.buffer))).toBe(true);
      }
      // the tapped attention plans write the quantized output where o's matvec reads it (one
      // model per activation format: the tap's probabilities pass is slow on lavapipe); the
      // tap's pass 1 (PROBS) may round differently from the plain one, so tapped runs compare
      // with each other bitwise and with the plain run by tokens
      if (shape !== 'tiny-qwen3' && type !== 'Q4_K_M') {
        const tapped = await run(true, false, true, true, true);
        const tappedSeparate = await run(false, false, true);
        expect(tapped.tokens).toEqual(separate.tokens);
        expect(tapped.tokens).toEqual(tappedSeparate.tokens);
        expect(Buffer.from(tapped.logits.buffer).equals(Buffer.from(tappedSeparate.logits.buffer))).toBe(true);
      }
      {
        for (const ops of [fused.ops, attnFused.ops]) {
          expect(ops).toContain('fused attn_norm+matvec qkv');
          // Q4_K_M: layer 0's attn_v is Q6_K, so only its q|k are stacked
          if (type === 'Q4_K_M') expect(ops).toContain('fused attn_norm+matvec qk');
          expect(ops).toContain(shape === 'tiny-qwen3' ? 'fused q/k norm+rope+kv append' : 'fused rope+kv append');
        }
        expect(fused.ops).toContain('fused ffn_norm+matvec gate+up+swiglu');
        expect(fused.ops).toContain('fused matvec ffn_down (+residual)');
        expect(fused.ops).not.toContain('swiglu');
        expect(fused.ops).not.toContain('fused ffn_norm+quantize');
        expect(attnFused.ops).not.toContain('fused matvec ffn_down (+residual)');
        // the default FFN side: ffn_norm and SwiGLU folded into the quantizations, every layer
        for (const op of ['fused ffn_norm+quantize', 'matvec ffn_gate+up', 'fused swiglu+quantize', 'matvec ffn_down (+residual)']) {
          expect(attnFused.calls.get(op), op).toBe(attnFused.layers);
        }
        expect(attnFused.ops).not.toContain('ffn_norm');
        expect(attnFused.ops).not.toContain('swiglu');
        // with fuseMergeQuant the attention's merge quantizes o's input: pass 1, the fused merge and o's matvec are
        // one dispatch each, where the plain merge and o's own quantization take two more
        const L = attnFused.layers;
        expect(mergeFused.calls.get('fused attention merge+quantize')).toBe(L);
        for (const op of ['attention (decode)', 'fused attention merge+quantize', 'matvec attn_output (+residual)']) expect(mergeFused.dispatches.get(op), op).toBe(L);
        for (const r of [fused, separate, attnFused]) {
          expect(r.ops).not.toContain('fused attention merge+quantize');
          expect(r.dispatches.get('attention (decode)')).toBe(2 * L);
        }
        expect(separate.dispatches.get('matvec attn_output (+residual)')).toBe(2 * L);
        for (const op of ['ffn_norm', 'swiglu']) expect(unquantFused.calls.get(op), op).toBe(L);
        for (const op of ['fused ffn_norm+quantize', 'fused swiglu+quantize', 'fused attention merge+quantize']) expect(unquantFused.ops).not.toContain(op);
        expect(unquantFused.ops).toContain('fused attn_norm+matvec qkv');
        // the rope epilogue applies to a whole stacked q|k|v without q/k norms (not qwen3; not the
        // Q4_K_M mix, whose layer 0 stacks only q|k: that layer keeps rope-kv, the others fuse)
        if (shape === 'tiny-qwen3') {
          expect(ropeFused.ops).not.toContain('fused attn_norm+matvec qkv+rope+kv append');
        } else {
          for (const r of [ropeFused, allFused]) expect(r.calls.get('fused attn_norm+matvec qkv+rope+kv append')).toBe(type === 'Q4_K_M' ? L - 1 : L);
          if (type !== 'Q4_K_M') expect(ropeFused.ops).not.toContain('fused rope+kv append');
        }
        if (shape === 'tiny-llama' && type === 'Q8_0') {
          expect(ropeFused.layerDispatches).toBe(9);
          expect(allFused.layerDispatches).toBe(6);
          expect(unquantFused.layerDispatches).toBe(12);
          expect(attnFused.layerDispatches).toBe(10);
          expect(mergeFused.layerDispatches).toBe(9);
          expect(fused.layerDispatches).toBe(7);
        }
        expect(separate.ops).toContain('matvec attn_q');
        expect(separate.ops).not.toContain('matvec attn_qkv');
        expect(separate.ops).toContain('rope k');
        expect(separate.calls.get('ffn_norm')).toBe(separate.layers);
        expect(separate.calls.get('swiglu')).toBe(separate.layers);
        expect(separate.ops).not.toContain('fused ffn_norm+quantize');
        expect(separate.ops).not.toContain('fused swiglu+quantize');
      }
    });
  }
});
