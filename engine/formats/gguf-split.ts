/**
 * Split GGUF models (llama.cpp's gguf-split: `name-00001-of-00003.gguf` ...): every part is a
 * GGUF file carrying `split.no` (u16), `split.count` (u16) and `split.tensors.count` (i32); the
 * first part holds the model's metadata. `ggufOpenModel(path)` opens a single file or all parts
 * of a split model (given any part's path) and presents them as one handle: metadata of the first
 * part, tensors of all parts (each with its `part` index), `readTensor` reading from the right
 * part. Checks as llama.cpp's loader does: parts numbered 0..n-1 in order, no duplicate tensor
 * names, the tensor total equal to `split.tensors.count`; a failure is `gguf-invalid`.
 *
 * Extend: a custom list of part paths would be a second entry point passing `paths` directly.
 */

import { LongreadError } from '../errors.ts';
import { ggufOpen, metaNumber, type GgufHandle, type GgufTensorInfo } from './gguf-read.ts';

const SPLIT_RE = /-(\d{5})-of-(\d{5})\.gguf$/;

/** The path of part `no` (0-based) of `count`, from the path of any part. */
export function splitPartPath(anyPart: string, no: number, count: number): string {
  const m = SPLIT_RE.exec(anyPart);
  if (!m) throw new LongreadError('gguf-invalid', `${anyPart}: a split model part must be named <name>-NNNNN-of-NNNNN.gguf.`, 'Keep the names gguf-split gave the parts.', { file: anyPart });
  const pad = (n: number) => String(n).padStart(5, '0');
  return `${anyPart.slice(0, m.index)}-${pad(no + 1)}-of-${pad(count)}.gguf`;
}

export interface GgufModelHandle extends GgufHandle {
  /** Number of files (1 for an unsplit model). */
  parts: number;
  paths: string[];
}

function splitError(file: string, msg: string, field: string): LongreadError {
  return new LongreadError('gguf-invalid', `${file}: ${msg}`, 'A part of the split model is missing, renamed or from another model: download all parts again.', { file, field });
}

/** Opens a GGUF model, single-file or split, given the path of any of its files. */
export async function ggufOpenModel(path: string): Promise<GgufModelHandle> {
  let first = await ggufOpen(path);
  const count = metaNumber(first, 'split.count') ?? 1;
  if (count <= 1) {
    return { ...first, tensors: first.tensors.map((t) => ({ ...t, part: 0 })), parts: 1, paths: [path] };
  }
  const handles: GgufHandle[] = [];
  try {
    const no = metaNumber(first, 'split.no') ?? 0;
    const paths = Array.from({ length: count }, (_, i) => (i === no ? path : splitPartPath(path, i, count)));
    if (no !== 0) {
      await first.close();
      first = await ggufOpen(paths[0]!);
    }
    handles.push(first);
    for (let i = 1; i < count; i++) handles.push(await ggufOpen(paths[i]!));
    const tensors: GgufTensorInfo[] = [];
    const seen = new Set<string>();
    handles.forEach((h, i) => {
      const hp = paths[i]!;
      if (metaNumber(h, 'split.no') !== i) throw splitError(hp, `is part ${String(metaNumber(h, 'split.no'))}, expected part ${i} of ${count}`, 'split.no');
      if (metaNumber(h, 'split.count') !== count) throw splitError(hp, `says split.count ${String(metaNumber(h, 'split.count'))}, the first part says ${count}`, 'split.count');
      for (const t of h.tensors) {
        if (seen.has(t.name)) throw splitError(hp, `tensor ${t.name} is also in another part`, 'tensor name');
        seen.add(t.name);
        tensors.push({ ...t, part: i });
      }
    });
    const expected = metaNumber(first, 'split.tensors.count');
    if (expected !== undefined && expected !== tensors.length) {
      throw splitError(paths[0]!, `split.tensors.count is ${expected} but the parts hold ${tensors.length} tensors`, 'split.tensors.count');
    }
    const readTensor = (t: GgufTensorInfo) => {
      const h = handles[t.part ?? 0];
      if (!h) throw new LongreadError('bad-request', `Tensor ${t.name} names part ${String(t.part)} of a ${count}-part model.`, 'Pass a tensor info from this handle.');
      return h.readTensor(t);
    };
    return {
      ...first,
      tensors,
      fileSize: handles.reduce((a, h) => a + h.fileSize, 0),
      parts: count,
      paths,
      readTensor,
      // Byte ranges are per file: in a split model they address the first part only.
      readRange: (offset, length) => first.readRange(offset, length),
      close: async () => { await Promise.all(handles.map((h) => h.close())); },
    };
  } catch (e) {
    await Promise.all([first, ...handles].map((h) => h.close()));
    throw e;
  }
}
