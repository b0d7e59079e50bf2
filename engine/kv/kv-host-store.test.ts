// The RAM / disk page store: pages keep their bytes through alloc / write / read / free and slot
// reuse; readMany (coalesced disk runs read in the thread pool, RAM pages copied) returns each
// page in order for any mix of handles; the page file is created in the given folder and removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KvHostStore } from './kv-host-store.ts';

describe('KvHostStore', () => {
  it('round-trips pages in RAM and on disk, in any order and mix', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-kvstore-'));
    const pb = 256;
    const s = new KvHostStore(pb, { diskDir: dir });
    const page = (seed: number) => Uint8Array.from({ length: pb }, (_, i) => (seed * 31 + i * 7) & 255);
    try {
      const handles: number[] = [];
      for (let i = 0; i < 40; i++) {
        const h = s.alloc(i % 3 === 0 ? 'ram' : 'disk');
        s.write(h, page(i));
        handles.push(h);
      }
      expect(s.ramPages).toBe(14);
      expect(s.diskPages).toBe(26);
      expect(path.dirname(s.diskPath!)).toBe(dir);
      // free some, reuse their slots with new contents
      for (const i of [4, 5, 9]) s.free(handles[i]!);
      for (const i of [4, 5, 9]) {
        handles[i] = s.alloc('disk');
        s.write(handles[i]!, page(100 + i));
      }
      const want = (i: number) => page([4, 5, 9].includes(i) ? 100 + i : i);
      const order = [...handles.keys()].sort((a, b) => ((a * 17) % 41) - ((b * 17) % 41));
      for (const sel of [handles.map((_, i) => i), order, [7, 8, 10, 11, 1, 2]]) {
        const out = new Uint8Array(sel.length * pb);
        await s.readMany(sel.map((i) => handles[i]!), out);
        sel.forEach((i, k) => expect(out.subarray(k * pb, (k + 1) * pb)).toEqual(want(i)));
      }
      const one = new Uint8Array(pb);
      s.read(handles[3]!, one);
      expect(one).toEqual(page(3));
      expect(() => s.write(handles[3]!, new Uint8Array(pb - 1))).toThrow(/page write/);
    } finally {
      s.dispose();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
