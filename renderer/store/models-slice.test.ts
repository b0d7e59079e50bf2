import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../engine/service/contract.ts';
import { fail } from './fake-transport.ts';
import { flush, setup, statusFixture } from './fixtures.ts';

const info: ModelInfo = {
  path: '/m/tiny.gguf', name: 'tiny', architecture: 'llama', quantization: 'Q8_0', typeMix: { Q8_0: 10, F32: 3 }, parameterCount: 5e6, fileBytes: 6e6,
  contextLength: 4096, layers: 4, embeddingLength: 256, heads: 8, kvHeads: 4, headDim: 32, vocabSize: 32000, tokenizer: 'llama', hasChatTemplate: true,
  memory: { weightsBytes: 6e6, kvBytesPerToken: 4096, kvBytes: 16e6, activationBytes: 1e6, totalBytes: 23e6 }, bundled: false,
};

describe('models slice', () => {
  it('inspects a GGUF path and shows its typed error when unreadable', async () => {
    const { engine, store } = setup();
    engine.on('model.inspect', ({ path }) => {
      if (path === '/bad.gguf') throw fail('gguf-invalid', 'Bad magic at offset 0.', 'Pick a .gguf file.');
      return info;
    });
    await store.getState().inspectModel(' /m/tiny.gguf ');
    expect(engine.calls('model.inspect')[0]!.params).toEqual({ path: '/m/tiny.gguf' });
    expect(store.getState().candidate?.architecture).toBe('llama');
    await store.getState().inspectModel('/bad.gguf');
    expect(store.getState().candidate).toBeNull();
    expect(store.getState().modelError).toMatchObject({ code: 'gguf-invalid', hint: 'Pick a .gguf file.' });
  });

  it('loads with progress as a job and refreshes the status', async () => {
    const { engine, store } = setup();
    let loaded = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    engine.on('engine.status', () => statusFixture(loaded ? { model: info, modelState: 'ready' } : {}));
    engine.on('model.load', async (params, ctx) => {
      expect(params).toEqual({ contextLength: 2048 });
      ctx.emit('progress', { jobId: ctx.jobId, stage: 'model-load', done: 3, total: 13, unit: 'tensors' });
      await gate;
      loaded = true;
      return info;
    });
    const p = store.getState().loadModel(undefined, 2048);
    await flush(2);
    expect(Object.values(store.getState().jobs)[0]).toMatchObject({ method: 'model.load', stage: 'model-load', done: 3, total: 13, label: 'Loading the bundled model' });
    release();
    await p;
    expect(store.getState().status?.model?.name).toBe('tiny');
    expect(store.getState().jobs).toEqual({});
  });
});
