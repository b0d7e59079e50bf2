/**
 * Models slice: inspect a GGUF file by path (model.inspect: architecture, quantization, context
 * length, memory needed), load it with progress (model.load, a job), unload. The loaded model
 * itself is part of the engine status (engine slice); this slice holds the candidate.
 */

import type { ModelInfo } from '../../engine/service/contract.ts';
import type { WireError } from '../../engine/errors.ts';
import { isCancelled, toWireError } from './errors.ts';
import type { SliceCreator } from './types.ts';

export interface ModelsSlice {
  candidatePath: string;
  candidate: ModelInfo | null;
  modelError: WireError | null;
  inspecting: boolean;
  setCandidatePath(path: string): void;
  inspectModel(path: string): Promise<ModelInfo | null>;
  loadModel(path?: string, contextLength?: number): Promise<ModelInfo | null>;
  unloadModel(): Promise<void>;
}

export const createModelsSlice: SliceCreator<ModelsSlice> = (set, get, { client }) => ({
  candidatePath: '',
  candidate: null,
  modelError: null,
  inspecting: false,

  setCandidatePath(candidatePath) {
    set({ candidatePath });
  },

  async inspectModel(path) {
    const p = path.trim();
    if (!p) return null;
    set({ inspecting: true, modelError: null, candidate: null });
    try {
      const candidate = await client.call('model.inspect', { path: p });
      set({ candidate, inspecting: false });
      return candidate;
    } catch (e) {
      set({ modelError: toWireError(e), inspecting: false });
      return null;
    }
  },

  async loadModel(path, contextLength) {
    set({ modelError: null });
    const name = path ? path.split(/[\\/]/).pop() : 'the bundled model';
    try {
      const params = { ...(path ? { path } : {}), ...(contextLength ? { contextLength } : {}) };
      const info = await get().runJob('model.load', params, { label: `Loading ${name}` });
      await get().refreshStatus();
      return info;
    } catch (e) {
      if (!isCancelled(e)) set({ modelError: toWireError(e) });
      await get().refreshStatus();
      return null;
    }
  },

  async unloadModel() {
    try {
      await client.call('model.unload', {});
    } catch (e) {
      set({ modelError: toWireError(e) });
    }
    await get().refreshStatus();
  },
});
