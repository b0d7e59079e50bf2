/**
 * CPU reference of token selection (the oracle of shaders/sample.wgsl): argmax and the
 * sampling chain top-k -> top-p -> min-p -> temperature (llama.cpp's default order), with the
 * same counter-based RNG (PCG hash), in double precision.
 */

/** PCG hash (u32 -> u32), as in the shader. */
export function pcg(x: number): number {
  const s = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** The uniform [0, 1) of draw `step` of `seed` (24 bits). */
export function sampleUniform(seed: number, step: number): number {
  return (pcg((pcg(seed) + step) >>> 0) >>> 8) / 16777216;
}

/** Index of the max of each row (lowest index on ties). logits: [rows, vocab] */
export function argmax(logits: Float32Array, rows: number, vocab: number): Uint32Array {
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let i = 1; i < vocab; i++) if (logits[r * vocab + i]! > logits[r * vocab + best]!) best = i;
    out[r] = best;
  }
  return out;
}

export interface SampleConfig {
  temperature: number;
  topK?: number;
  topP?: number;
  minP?: number;
}

/**
 * The kept set and the drawn token. Ties at a top-k / top-p boundary keep every equal logit.
 * The draw walks the kept tokens in index order (inverse CDF), like the shader.
 */
export function sample(logits: Float32Array, c: SampleConfig, u: number): { token: number; kept: Uint8Array } {
  const V = logits.length;
  const best = argmax(logits, 1, V)[0]!;
  const kept = new Uint8Array(V).fill(1);
  if (c.temperature <= 0) return { token: best, kept };
  const m = logits[best]!;
  const order = [...Array(V).keys()].sort((a, b) => logits[b]! - logits[a]!);
  let thr = -Infinity;
  if (c.topK && c.topK > 0 && c.topK < V) thr = logits[order[c.topK - 1]!]!;
  if (c.topP !== undefined && c.topP < 1) {
    let z = 0;
    for (const i of order) if (logits[i]! >= thr) z += Math.exp(logits[i]! - m);
    let acc = 0;
    for (const i of order) {
      if (logits[i]! < thr) break;
      acc += Math.exp(logits[i]! - m) / z;
      if (acc >= c.topP) {
        thr = Math.max(thr, logits[i]!);
        break;
      }
    }
  }
  const lmin = c.minP && c.minP > 0 ? m + Math.log(c.minP) : -Infinity;
  let total = 0;
  const w = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    kept[i] = logits[i]! >= thr && logits[i]! >= lmin ? 1 : 0;
    if (kept[i]) total += w[i] = Math.exp((logits[i]! - m) / c.temperature);
  }
  const target = u * total;
  let acc = 0;
  let token = best;
  for (let i = 0; i < V; i++) {
    if (!kept[i]) continue;
    token = i;
    acc += w[i]!;
    if (acc > target) break;
  }
  return { token, kept };
}
