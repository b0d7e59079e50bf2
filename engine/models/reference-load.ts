/**
 * Loads a GGUF file into the CPU reference forward pass (engine/reference/forward.ts): hparams
 * and tensor map from the architecture module, every tensor dequantized to f32 on first use.
 * Tiny models only (tests, parity tools); the GPU path is modelLoad (index.ts).
 *
 * Extend: nothing per architecture; the registry decides.
 */
import { ggmlTypeName } from '../formats/ggml-types.ts';
import { dequantize } from '../formats/quant.ts';
import { activationFormatOfType } from '../reference/ops-act-quant.ts';
import { refModelCreate, type RefModel } from '../reference/forward.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { tensorMapCheck, type ModelHparams } from './hparams.ts';
import { modelFileOpen } from './model-file.ts';
import { architectureFor } from './registry.ts';

export interface RefLoaded {
  hp: ModelHparams;
  tokenizer: Tokenizer;
  /** a fresh reference model (empty KV cache) over the same weights */
  create(): RefModel;
}

/**
 * `activationRounding` (default true): quantized matrices multiply x rounded the way llama.cpp's
 * CPU backend rounds it (q8_0 / q8_K, engine/reference/ops-act-quant.ts), like the GPU kernels.
 * `attention: 'ggml-cpu'` emulates llama.cpp's CPU attention numerics (peer parity analysis).
 */
export async function refModelLoad(path: string, opts: { activationRounding?: boolean; attention?: 'exact' | 'ggml-cpu' } = {}): Promise<RefLoaded> {
  const file = await modelFileOpen(path);
  try {
    const arch = architectureFor(file.metadata, path);
    const hp = arch.hparams(file.metadata, new Set(file.tensors.keys()));
    tensorMapCheck(arch.tensorMap(hp), file.tensors, path);
    const weights = new Map<string, Float32Array>();
    for (const t of file.tensors.values()) weights.set(t.name, dequantize(t.typeId, await file.read(t.name), t.elements));
    const rf = weights.get('rope_freqs.weight');
    const hpr: ModelHparams = rf ? { ...hp, rope: { ...hp.rope, freqFactors: rf } } : hp;
    const act = new Map([...file.tensors.values()].map((t) => [t.name, activationFormatOfType(ggmlTypeName(t.typeId))]));
    const create = () => refModelCreate(hpr, (n) => weights.get(n), { ...(opts.activationRounding === false ? {} : { act: (n: string) => act.get(n) ?? null }), attention: opts.attention ?? 'exact' });
    return { hp: hpr, tokenizer: tokenizerFromGguf(file.metadata), create };
  } finally {
    await file.close();
  }
}
