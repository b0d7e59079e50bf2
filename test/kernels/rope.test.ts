// Kernel harness: RoPE (cases in cases-rope.ts), plus the scaling formulas' fixed points.
import { describe, expect, it } from 'vitest';
import { ropeFreqs } from '../../engine/reference/ops-rope.ts';
import { kernelSuite } from './suite.ts';
import { ROPE_CASES } from './cases-rope.ts';

kernelSuite('rope', ROPE_CASES, { fallback: false }); // no subgroup code in rope.wgsl

describe('ropeFreqs', () => {
  const plain = ropeFreqs({ mode: 'norm', nRot: 128, base: 500000 }).freqs;
  it('llama3 keeps high frequencies and divides low ones by the factor', () => {
    const f = ropeFreqs({ mode: 'norm', nRot: 128, base: 500000, scaling: { kind: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 } }).freqs;
    expect(f[0]).toBe(plain[0]);
    expect(f[63]! * 8).toBeCloseTo(plain[63]!, 15);
    // the blend region is strictly between the two
    const mid = [...f.keys()].filter((i) => f[i] !== plain[i] && Math.abs(f[i]! * 8 - plain[i]!) > 1e-18);
    expect(mid.length).toBeGreaterThan(0);
    for (const i of mid) expect(f[i]! > plain[i]! / 8 && f[i]! < plain[i]!).toBe(true);
  });
  it('yarn with extFactor 0 is linear interpolation with mscale 1', () => {
    const y = ropeFreqs({ mode: 'neox', nRot: 64, base: 1e4, scaling: { kind: 'yarn', factor: 4, originalContext: 4096, extFactor: 0 } });
    const l = ropeFreqs({ mode: 'neox', nRot: 64, base: 1e4, scaling: { kind: 'linear', factor: 4 } });
    expect([...y.freqs]).toEqual([...l.freqs]);
    expect(y.mscale).toBe(1);
    const y1 = ropeFreqs({ mode: 'neox', nRot: 64, base: 1e4, scaling: { kind: 'yarn', factor: 4, originalContext: 4096 } });
    expect(y1.mscale).toBeCloseTo(1 + 0.1 * Math.log(4), 12);
    expect(y1.freqs[0]).toBeCloseTo(1, 12); // high frequency: extrapolation (unscaled)
  });
});
