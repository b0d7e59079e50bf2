// The GPU defaults of the matvec plan follow the H200 and H100 sweeps (engine/kernels/matvec.ts
// matvecShapeDefaults, MATVEC_LOOP); lavapipe's are tuned apart. Pure function: no device needed.
import { describe, expect, it } from 'vitest';
import { matvecDefaults } from '../../engine/kernels/matvec.ts';

const shape = (format: Parameters<typeof matvecDefaults>[0], rows: number, cols: number, activation?: 'int8' | 'f32') => {
  const d = matvecDefaults(format, cols, activation, false, rows);
  return `wg${d.wg} r${d.rowsPerWorkgroup}`;
};

describe('matvec defaults on GPUs', () => {
  it('long rows take 128 lanes, tall matrices 4 rows, the issue shapes keep wg 64 r 2', () => {
    expect(shape('Q8_0', 2048, 8192)).toBe('wg128 r2'); // the 1B's down projection
    expect(shape('Q8_0', 128256, 2048)).toBe('wg64 r4'); // the classifier
    expect(shape('Q4_K', 16384, 2048)).toBe('wg32 r4');
    expect(shape('Q4_K', 14336, 4096)).toBe('wg32 r4'); // K-quants' tall matrices keep 32 lanes to 4096 columns
    expect(shape('Q4_K', 2048, 8192)).toBe('wg64 r2');
    expect(shape('Q8_0', 16384, 2048)).toBe('wg64 r2');
    expect(shape('Q8_0', 14336, 4096)).toBe('wg64 r2');
    expect(shape('Q4_0', 14336, 4096)).toBe('wg64 r2');
    expect(shape('Q6_K', 14336, 4096)).toBe('wg64 r2');
    expect(shape('F16', 2048, 8192)).toBe('wg128 r2');
    expect(shape('F16', 128256, 2048)).toBe('wg64 r4');
    // without the row count (the fused kernel's call) the column rule alone applies
    expect(matvecDefaults('Q8_0', 2048).wg).toBe(64);
  });
  it('Q4_0 runs the unroll4 loop on GPUs, the other formats the base loop, CPU adapters always base', () => {
    expect(matvecDefaults('Q4_0', 4096, 'int8', false, 14336).loop).toBe('unroll4');
    for (const f of ['Q8_0', 'Q4_K', 'Q6_K'] as const) expect(matvecDefaults(f, 4096, 'int8', false, 14336).loop).toBe('base');
    expect(matvecDefaults('Q4_0', 4096, 'int8', true, 14336).loop).toBe('base');
    expect(matvecDefaults('Q4_0', 4096, 'f32', false, 14336).loop).toBe('unroll4'); // the f32 path has unroll too
  });
  it('CPU adapters keep their own shapes', () => {
    expect(matvecDefaults('Q8_0', 8192, 'int8', true, 2048)).toMatchObject({ wg: 8, rowsPerWorkgroup: 8 });
    expect(matvecDefaults('F16', 8192, 'f32', true, 2048).wg).not.toBe(128);
  });
});
