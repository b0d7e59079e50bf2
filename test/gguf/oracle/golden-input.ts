/**
 * The fixed input of the ggml golden vectors (gen-golden.ts writes them, quant-golden.test.ts
 * checks quant.ts against them): 4096 values in 16 super-blocks of 256, each with its own shape
 * (zeros, constants, gaussian, tiny, huge, outliers, one-sided, per-32-block mixtures) so every
 * quantizer branch is reached; SPECIALS (inf, NaN, f16 edges, subnormals) are appended for F16
 * and BF16 only.
 */
export const SPECIALS = [
  Infinity, -Infinity, NaN, 65504, 65519.99, 65520, -65536, 6.1e-5, 6.0e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-10, -0, 0, 1,
  3.4e38, -3.4e38, 1.17549435e-38, 1e-45, 1.0009765625, 1.00048828125, 1.000244140625, 3.140625, 2.0078125, 255.5, -256.5, 0.1, -0.1, 1 / 3, 2 / 3, 100000,
];

export function goldenInput(): Float32Array {
  let s = 0x1234567;
  const u = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
  const g = () => (u() + u() + u() + u() - 2) * 1.7;
  const x = new Float32Array(4096);
  const shapes: ((i: number) => number)[] = [
    () => 0,
    () => 0.75,
    () => g(),
    () => g() * 1e-6,
    () => g() * 3e4,
    (i) => (i % 37 === 0 ? 40 * g() : g() * 0.1),
    () => Math.abs(g()) + 0.5,
    () => -Math.abs(g()) * 2 - 0.01,
  ];
  for (let sb = 0; sb < 16; sb++) {
    for (let i = 0; i < 256; i++) {
      const shape = sb < 8 ? shapes[sb]! : shapes[(sb * 3 + (i >> 5)) % shapes.length]!;
      x[sb * 256 + i] = shape(i);
    }
  }
  return x;
}

/** 32768 values (128 super-blocks) whose 32-value groups each get a random scale (2^-20..2^15),
 * offset and shape: a wide sweep compared by hash only. */
export function goldenInputWide(): Float32Array {
  let s = 0x7654321;
  const u = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
  const x = new Float32Array(32768);
  for (let g = 0; g < x.length / 32; g++) {
    const scale = 2 ** (-20 + 35 * u());
    const offset = u() < 0.3 ? (u() - 0.5) * 4 * scale : 0;
    const kind = Math.floor(u() * 4);
    for (let i = 0; i < 32; i++) {
      const n = u() + u() + u() - 1.5;
      const v = kind === 0 ? n : kind === 1 ? Math.abs(n) : kind === 2 ? (u() < 0.1 ? n * 20 : n * 0.5) : Math.round(n * 3) / 3;
      x[g * 32 + i] = v * scale + offset;
    }
  }
  return x;
}
