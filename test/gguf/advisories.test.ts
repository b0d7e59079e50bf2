/**
 * One hand-made GGUF per advisory in reliability.md (b) (and llama.cpp's test-gguf cases): each
 * must end in a typed error, never a crash, a hang or a large allocation.
 */
import { describe, expect, it } from 'vitest';
import { GGUF_MAX_ARRAY_ELEMENTS, GGUF_MAX_STRING_BYTES, ggufParse } from '../../engine/formats/gguf-read.ts';
import { LongreadError } from '../../engine/errors.ts';
import { RawGguf } from './build.ts';

function rejects(bytes: Uint8Array, code: RegExp = /^gguf-(invalid|unsupported)$/): LongreadError {
  let err: unknown;
  const t0 = performance.now();
  try {
    ggufParse(bytes);
  } catch (e) {
    err = e;
  }
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(err).toBeInstanceOf(LongreadError);
  expect((err as LongreadError).code).toMatch(code);
  expect((err as LongreadError).hint.length).toBeGreaterThan(10);
  return err as LongreadError;
}

const F32 = 0;
const Q4_0 = 2;

describe('GGUF advisories', () => {
  it('CVE-2024-21802: n_dims above GGML_MAX_DIMS, zero and overflowing dims', () => {
    rejects(new RawGguf().header(1, 0).tensor('t', [1, 1, 1, 1, 1], F32, 0).padTo(32).zeros(64).build());
    rejects(new RawGguf().header(1, 0).tensor('t', [0], F32, 0).padTo(32).zeros(64).build());
    rejects(new RawGguf().header(1, 0).tensor('t', [2n ** 62n, 2n ** 62n], F32, 0).padTo(32).zeros(64).build());
  });

  it('CVE-2024-23605: huge n_kv / n_tensors counts', () => {
    expect(rejects(new RawGguf().header(0, 2n ** 63n).build()).details?.field).toBe('metadata_kv_count');
    rejects(new RawGguf().header(2n ** 61n, 0).build());
    rejects(new RawGguf().header(0, 0xffffffffffffffffn).build());
  });

  it('TALOS-2024-1913 / CVE-2024-21825: string length UINT64_MAX', () => {
    rejects(new RawGguf().header(0, 1).str('k', 0xffffffffffffffffn).build());
    rejects(new RawGguf().header(0, 1).kvU32('k', 0).build().slice(0, 30)); // truncated mid-value
    rejects(new RawGguf().header(0, 1).str('key').u32(8).u64(2n ** 40n).build()); // string value longer than the file
  });

  it('CVE-2025-49847 / metadata exhaustion: strings and arrays past the JS-safe caps are typed, not RangeErrors', () => {
    const e = rejects(new RawGguf().header(0, 1).str('k').u32(8).u64(GGUF_MAX_STRING_BYTES + 1).build(), /^gguf-unsupported$/);
    expect(e.details?.limit).toBe(GGUF_MAX_STRING_BYTES);
    rejects(new RawGguf().header(0, 1).str('k').u32(8).u64(2n ** 31n + 5n).build(), /^gguf-unsupported$/); // > INT32_MAX piece
    rejects(new RawGguf().header(0, 1).str('a').u32(9).u32(0).u64(GGUF_MAX_ARRAY_ELEMENTS + 1).build(), /^gguf-unsupported$/);
  });

  it('array counts beyond the file (metadata exhaustion)', () => {
    rejects(new RawGguf().header(0, 1).str('arr').u32(9).u32(6).u64(2n ** 50n).build());
    rejects(new RawGguf().header(0, 1).str('arr').u32(9).u32(8).u64(10_000_000).build());
  });

  it('CVE-2025-53630 / CVE-2026-27940: data-section sizes that sum past the file', () => {
    const g = new RawGguf().header(3, 0);
    for (let i = 0; i < 3; i++) g.tensor(`t${i}`, [2n ** 40n], F32, 0);
    rejects(g.padTo(32).zeros(64).build());
  });

  it('CVE-2026-33298: quantized byte size that wraps while the element count fits', () => {
    rejects(new RawGguf().header(1, 0).tensor('q', [2n ** 40n, 2n ** 20n], Q4_0, 0).padTo(32).zeros(64).build());
    // ne0 not a multiple of the block size
    rejects(new RawGguf().header(1, 0).tensor('q', [33], Q4_0, 0).padTo(32).zeros(64).build());
  });

  it('GGML_PAD bypass: F32 tensor with ne0 = SIZE_MAX/4', () => {
    rejects(new RawGguf().header(1, 0).tensor('t', [0xffffffffffffffffn / 4n], F32, 0).padTo(32).zeros(64).build());
  });

  it('general.alignment abuse: 0, not a power of two, huge, wrong type', () => {
    for (const a of [0, 3, 48, 0x80000000]) rejects(new RawGguf().header(0, 1).kvU32('general.alignment', a).build());
    rejects(new RawGguf().header(0, 1).kvU32('general.alignment', 32, 5 /* INT32 */).build());
  });

  it('bad offsets: out of file, misaligned, overlapping', () => {
    rejects(new RawGguf().header(1, 0).tensor('t', [8], F32, 4096).padTo(32).zeros(32).build());
    rejects(new RawGguf().header(1, 0).tensor('t', [8], F32, 4).padTo(32).zeros(64).build());
    rejects(new RawGguf().header(2, 0).tensor('a', [16], F32, 0).tensor('b', [16], F32, 32).padTo(32).zeros(128).build());
  });

  it('duplicate keys and names, empty key, unknown types, bad magic/version', () => {
    rejects(new RawGguf().header(0, 2).kvU32('k', 1).kvU32('k', 2).build());
    rejects(new RawGguf().header(2, 0).tensor('t', [8], F32, 0).tensor('t', [8], F32, 32).padTo(32).zeros(64).build());
    rejects(new RawGguf().header(0, 1).kvU32('', 1).build());
    rejects(new RawGguf().header(0, 1).str('k').u32(13).u32(0).build());
    rejects(new RawGguf().header(1, 0).tensor('t', [32], 4 /* removed Q4_2 */, 0).padTo(32).zeros(64).build());
    rejects(new RawGguf().u32(0x12345678).u32(3).u64(0).u64(0).build());
    rejects(new RawGguf().header(0, 0, 1).build(), /^gguf-unsupported$/);
    rejects(new RawGguf().header(0, 0, 99).build(), /^gguf-unsupported$/);
    rejects(new Uint8Array(0));
  });

  it('deep array nesting and bad booleans', () => {
    const g = new RawGguf().header(0, 1).str('n').u32(9);
    for (let i = 0; i < 8; i++) g.u32(9).u64(1);
    rejects(g.u32(4).u64(1).u32(1).build());
    rejects(new RawGguf().header(0, 1).str('b').u32(7).u8(7).build());
  });

  it('tokenizer arrays of the wrong element type parse as what they are (the tokenizer must check)', () => {
    const f = ggufParse(new RawGguf().header(0, 1).str('tokenizer.ggml.scores').u32(9).u32(1 /* INT8 */).u64(3).bytes([1, 2, 255]).build());
    expect(f.metadataTypes['tokenizer.ggml.scores']).toEqual({ array: 1 });
    expect(f.metadata['tokenizer.ggml.scores']).toEqual([1, 2, -1]);
  });
});
