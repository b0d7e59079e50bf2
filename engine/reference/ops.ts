/**
 * CPU references of the element-wise and row ops (the oracle for the GPU kernels). Plain loops
 * over Float32Array, written to be read, not to be fast; every tensor's shape in a comment,
 * row-major, strides in elements.
 *
 * Extend: one exported function per op, named after the kernel module (rmsNorm <-> rmsnorm.ts).
 * Attention, KV and sampling references live in ops-attention.ts and ops-sample.ts.
 */

/** out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * w.  x, out: [rows, dim]; w: [dim] */
export function rmsNorm(x: Float32Array, w: Float32Array, rows: number, dim: number, eps: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i]! ** 2;
    const scale = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i]! * scale * w[i]!;
  }
  return out;
}

/** Element-wise a + b (same length). */
export function add(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** out[r, i] = x[r, i] + bias[i].  x: [rows, dim]; bias: [dim] */
export function biasAdd(x: Float32Array, bias: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i]! + bias[i]!;
  return out;
}

/** out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).  gate, up, out: [n] */
export function swiglu(gate: Float32Array, up: Float32Array): Float32Array {
  const out = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
  return out;
}

/** Row softmax of x * scale.  x, out: [rows, n] */
export function softmax(x: Float32Array, rows: number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, x[r * n + i]! * scale);
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(x[r * n + i]! * scale - m);
    for (let i = 0; i < n; i++) out[r * n + i] = Math.exp(x[r * n + i]! * scale - m) / s;
  }
  return out;
}

/**
 * Embedding lookup: out[t, :] = table[ids[t], :] * scale; ids >= vocab give zero rows.
 * table: [vocab, dim] (already dequantized); out: [tokens, dim]
 */
export function embedding(table: Float32Array, vocab: number, dim: number, ids: ArrayLike<number>, scale = 1): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    if (id >= vocab) continue;
    for (let i = 0; i < dim; i++) out[t * dim + i] = table[id * dim + i]! * scale;
  }
  return out;
}
