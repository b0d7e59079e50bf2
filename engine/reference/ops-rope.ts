/**
 * Rotary position embedding: the frequency table of every scaling scheme and the CPU reference
 * rotation. All schemes reduce to theta_i(pos) = pos * freq_i with cos/sin multiplied by
 * `mscale`, so the GPU kernel only needs `freqs` [nRot/2] and `mscale` (computed here, once per
 * model) plus explicit positions.
 *
 * Schemes (formulas as in llama.cpp ggml_rope_yarn / Meta's llama3 `apply_scaling`):
 *   none    freq_i = base^(-2i/nRot) / ff_i           (ff = optional rope_freqs factors)
 *   linear  freq_i = base^(-2i/nRot) / factor
 *   llama3  per-wavelength blend: wavelen < orig/high -> freq; > orig/low -> freq/factor; else
 *           smooth = (orig/wavelen - low) / (high - low), freq = (1-smooth)*freq/factor + smooth*freq
 *   yarn    ramp between interpolation (freq/factor) and extrapolation (freq) over the
 *           correction dims [corr0, corr1]; mscale = attnFactor * (1 + 0.1 ln(factor))
 * Modes: 'norm' rotates adjacent pairs (x[2i], x[2i+1]) (llama.cpp LLAMA_ROPE_TYPE_NORM, Llama
 * GGUFs); 'neox' rotates halves (x[i], x[i + nRot/2]) (Qwen, GPT-NeoX).
 *
 * Extend: a new scheme = a new RopeScaling kind + a branch in ropeFreqs.
 */

export type RopeMode = 'norm' | 'neox';

export type RopeScaling =
  | { kind: 'none' }
  | { kind: 'linear'; factor: number }
  | { kind: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalContext: number }
  | { kind: 'yarn'; factor: number; originalContext: number; betaFast?: number; betaSlow?: number; extFactor?: number; attnFactor?: number };

export interface RopeConfig {
  mode: RopeMode;
  /** Rotated dims (<= headDim, even); the rest pass through. */
  nRot: number;
  base: number;
  scaling?: RopeScaling;
  /** Per-pair divisors from a GGUF `rope_freqs` tensor (length nRot/2). */
  freqFactors?: Float32Array;
}

/** Per-pair angular frequencies [nRot/2] and the cos/sin multiplier. */
export function ropeFreqs(c: RopeConfig): { freqs: Float64Array; mscale: number } {
  const half = c.nRot / 2;
  const freqs = new Float64Array(half);
  const s = c.scaling ?? { kind: 'none' };
  let mscale = 1;
  let corr0 = 0;
  let corr1 = 0;
  if (s.kind === 'yarn') {
    const corrDim = (nRot: number) => (c.nRot * Math.log(s.originalContext / (nRot * 2 * Math.PI))) / (2 * Math.log(c.base));
    corr0 = Math.max(0, Math.floor(corrDim(s.betaFast ?? 32)));
    corr1 = Math.min(c.nRot - 1, Math.ceil(corrDim(s.betaSlow ?? 1)));
    mscale = (s.attnFactor ?? 1) * ((s.extFactor ?? 1) !== 0 ? 1 + 0.1 * Math.log(s.factor) : 1);
  }
  for (let i = 0; i < half; i++) {
    let f = c.base ** ((-2 * i) / c.nRot) / (c.freqFactors?.[i] ?? 1);
    if (s.kind === 'linear') f /= s.factor;
    else if (s.kind === 'llama3') {
      const wavelen = (2 * Math.PI) / f;
      const lowWavelen = s.originalContext / s.lowFreqFactor;
      const highWavelen = s.originalContext / s.highFreqFactor;
      if (wavelen > lowWavelen) f /= s.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (s.originalContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        f = ((1 - smooth) * f) / s.factor + smooth * f;
      }
    } else if (s.kind === 'yarn') {
      const ext = s.extFactor ?? 1;
      const y = (i - corr0) / Math.max(0.001, corr1 - corr0);
      const mix = (1 - Math.min(1, Math.max(0, y))) * ext;
      f = (f / s.factor) * (1 - mix) + f * mix;
    }
    freqs[i] = f;
  }
  return { freqs, mscale };
}

/**
 * Rotates x in a copy. x: [tokens, heads, headDim]; positions: [tokens].
 * Pair i of a head uses angle positions[t] * freqs[i] (computed in double here).
 */
export function rope(x: Float32Array, positions: ArrayLike<number>, tokens: number, heads: number, headDim: number, c: RopeConfig): Float32Array {
  const { freqs, mscale } = ropeFreqs(c);
  const out = Float32Array.from(x);
  const half = c.nRot / 2;
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const theta = positions[t]! * freqs[i]!;
        const cos = Math.cos(theta) * mscale;
        const sin = Math.sin(theta) * mscale;
        const [a, b] = c.mode === 'norm' ? [base + 2 * i, base + 2 * i + 1] : [base + i, base + i + half];
        const x0 = x[a]!;
        const x1 = x[b]!;
        out[a] = x0 * cos - x1 * sin;
        out[b] = x0 * sin + x1 * cos;
      }
    }
  }
  return out;
}
