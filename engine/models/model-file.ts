/**
 * A model file as the runtime sees it: metadata, tensor infos (name, ggml dims, type name,
 * absolute byte offset and size) and reads of tensor bytes, over the GGUF reader of
 * engine/formats (`ggufOpen`: bounds-checked header parse, data read lazily), so inspecting a
 * 4 GB file costs only its header.
 *
 * Extend: fields the runtime needs from the header are added to TensorInfo / ModelFile here.
 */

import { LongreadError } from '../errors.ts';
import { ggmlTypeName } from '../formats/ggml-types.ts';
import { ggufOpen, type GgufHandle } from '../formats/gguf-read.ts';

export interface TensorInfo {
  name: string;
  /** ggml dims, ne[0] contiguous */
  dims: number[];
  /** ggml type id */
  typeId: number;
  /** type name ("F32", "Q4_K", ...) */
  type: string;
  /** absolute byte offset in the file */
  offset: number;
  bytes: number;
  elements: number;
}

export interface ModelFile {
  path: string;
  fileBytes: number;
  version: number;
  metadata: Record<string, unknown>;
  tensors: Map<string, TensorInfo>;
  /** Reads a tensor's bytes (a fresh copy). */
  read(name: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function modelFileOpen(path: string): Promise<ModelFile> {
  let h: GgufHandle;
  try {
    h = await ggufOpen(path);
  } catch (e) {
    if (e instanceof LongreadError && e.code === 'io-error') {
      throw new LongreadError('not-found', `Cannot open model file ${path}.`, 'Check the path; pass a .gguf model file.', { file: path });
    }
    throw e;
  }
  const tensors = new Map<string, TensorInfo>();
  for (const t of h.tensors) {
    tensors.set(t.name, { name: t.name, dims: t.dims, typeId: t.type, type: ggmlTypeName(t.type), offset: t.offset, bytes: t.nbytes, elements: t.nElements });
  }
  return {
    path,
    fileBytes: h.fileSize,
    version: h.version,
    metadata: h.metadata,
    tensors,
    async read(name) {
      const t = tensors.get(name);
      if (!t) throw new LongreadError('gguf-invalid', `${path}: tensor ${name} is missing.`, 'The file is incomplete; re-convert it.', { file: path, field: name });
      return h.readRange(t.offset, t.bytes);
    },
    close: () => h.close(),
  };
}
