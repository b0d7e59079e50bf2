/**
 * CPU references of the telemetry kernels (engine/kernels/attention-bin.ts).
 */

/**
 * out[row, layer, h, b] += sum_{j in [bounds[b], bounds[b+1])} probs[h, j], for one layer and
 * one step; `out` is [rows, layers, nHeads, nBins] (bins = bounds.length - 1), updated in place
 * (a copy is returned). Offsets past maxKvLen are ignored.
 */
export function attentionBin(out: Float32Array, probs: Float32Array, bounds: ArrayLike<number>, s: { nHeads: number; maxKvLen: number; layers: number; layer: number; row: number }): Float32Array {
  const nBins = bounds.length - 1;
  const res = out.slice();
  for (let h = 0; h < s.nHeads; h++) {
    for (let b = 0; b < nBins; b++) {
      let sum = 0;
      const hi = Math.min(bounds[b + 1]!, s.maxKvLen);
      for (let j = Math.min(bounds[b]!, s.maxKvLen); j < hi; j++) sum += probs[h * s.maxKvLen + j]!;
      const i = ((s.row * s.layers + s.layer) * s.nHeads + h) * nBins + b;
      res[i] = res[i]! + sum;
    }
  }
  return res;
}
