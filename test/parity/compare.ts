/**
 * Helpers to compare next-token distributions of two engines: KL divergence of softmaxes,
 * top-1 and the reference's top-1/top-2 margin (so a mismatch can be judged: a near-tie is
 * rounding noise, a wide margin is a bug).
 */

export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]!);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! - lse;
  return out;
}

/** KL(p || q) of two logit rows. */
export function klDivergence(pLogits: ArrayLike<number>, qLogits: ArrayLike<number>): number {
  const lp = logSoftmax(pLogits);
  const lq = logSoftmax(qLogits);
  let kl = 0;
  for (let i = 0; i < lp.length; i++) kl += Math.exp(lp[i]!) * (lp[i]! - lq[i]!);
  return Math.max(0, kl);
}

export function top2(x: ArrayLike<number>): { top: number; margin: number } {
  let a = 0;
  let b = -1;
  for (let i = 1; i < x.length; i++) {
    if (x[i]! > x[a]!) {
      b = a;
      a = i;
    } else if (b < 0 || x[i]! > x[b]!) b = i;
  }
  return { top: a, margin: b < 0 ? Infinity : x[a]! - x[b]! };
}
