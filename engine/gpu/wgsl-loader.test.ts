import { describe, expect, it } from 'vitest';
import { wgslPreprocess, wgslRegister } from './wgsl-loader.ts';

describe('wgslPreprocess', () => {
  wgslRegister('test/a.wgsl', 'enable subgroups;\nfn a() -> u32 { return N; }');
  wgslRegister('test/b.wgsl', '#include "test/a.wgsl"\nfn b() -> u32 { return a(); }');

  it('includes once, hoists enables and substitutes defines as whole words', () => {
    const out = wgslPreprocess('m.wgsl', '#define N 4\n#include "test/b.wgsl"\n#include "test/a.wgsl"\nconst NN = N;', {});
    expect(out.split('\n')[0]).toBe('enable subgroups;');
    expect(out.match(/fn a\(\)/g)?.length).toBe(1);
    expect(out).toContain('return 4;');
    expect(out).toContain('const NN = 4;');
  });

  it('caller defines win over file defaults; #ifdef/#ifndef/#else/#if nest', () => {
    const src = '#define WG 64\n#ifdef FAST\nfast WG\n#ifndef SLOW\ninner\n#endif\n#else\nslow\n#endif\n#if MODE == neox\nneox\n#else\nnorm\n#endif';
    expect(wgslPreprocess('m', src, { FAST: true, WG: 256, MODE: 'neox' }).trim().split('\n')).toEqual(['fast 256', 'inner', 'neox']);
    expect(wgslPreprocess('m', src, { FAST: false }).trim().split('\n')).toEqual(['slow', 'norm']);
  });

  it('#for unrolls nested blocks with {i} replaced by the index; the count may be a define', () => {
    const src = '#for u < U\n#for w < 2\nlet k{u}_{w} = p[{u}u * 2u + {w}u];\n#endfor\n#ifdef F\nfirst {u}\n#endif\n#endfor\n#ifdef NO\n#for x < 9\n#endfor\n#endif\nend';
    expect(wgslPreprocess('m', src, { U: 2, F: true }).trim().split('\n')).toEqual(['let k0_0 = p[0u * 2u + 0u];', 'let k0_1 = p[0u * 2u + 1u];', 'first 0', 'let k1_0 = p[1u * 2u + 0u];', 'let k1_1 = p[1u * 2u + 1u];', 'first 1', 'end']);
    expect(wgslPreprocess('m', '#for u < 0\nx\n#endfor\ny').trim()).toBe('y');
    expect(() => wgslPreprocess('m.wgsl', '#for u < U\nx')).toThrow(/malformed #for/);
    expect(() => wgslPreprocess('m.wgsl', '#for u < 2\nx')).toThrow(/m\.wgsl:1.*without #endfor/);
    expect(() => wgslPreprocess('m.wgsl', 'x\n#endfor')).toThrow(/m\.wgsl:2/);
  });

  it('names the file and line of a missing include or unbalanced block', () => {
    expect(() => wgslPreprocess('m.wgsl', 'x\n#include "nope.wgsl"')).toThrow(/m\.wgsl:2.*not registered/);
    expect(() => wgslPreprocess('m.wgsl', '#ifdef A\nx')).toThrow(/unterminated/);
    expect(() => wgslPreprocess('m.wgsl', '#endif')).toThrow(/m\.wgsl:1/);
  });
});
