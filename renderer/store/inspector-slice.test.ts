import { describe, expect, it } from 'vitest';
import type { KvTierSample } from '../../engine/service/contract.ts';
import { KV_HISTORY_MAX } from './inspector-slice.ts';
import { fail } from './fake-transport.ts';
import { setup } from './fixtures.ts';

const kv = (t: number): KvTierSample => ({ t, gpuPages: t, ramPages: 0, diskPages: 0, pageTokens: 64, bytesPerPage: 4096 });

describe('inspector slice', () => {
  it('subscribes to the three taps', async () => {
    const { engine, store } = setup();
    engine.on('telemetry.subscribe', () => ({ ok: true as const }));
    await store.getState().subscribeTelemetry();
    expect(engine.calls('telemetry.subscribe')[0]!.params).toEqual({ taps: ['sparsity', 'kv_pages', 'attn_scores'] });
    expect(store.getState().telemetrySubscribed).toBe(true);
  });

  it('telemetry events fill sparsity and a bounded KV history', async () => {
    const { engine, store } = setup();
    engine.on('telemetry.kvHistory', () => [kv(1), kv(2)]);
    await store.getState().loadKvHistory();
    engine.emit('telemetry', { tap: 'sparsity', sample: { perLayer: [0, 0.5], mode: 'block-sparse' } });
    expect(store.getState().sparsity?.perLayer).toEqual([0, 0.5]);
    for (let i = 3; i < KV_HISTORY_MAX + 10; i++) engine.emit('telemetry', { tap: 'kv_pages', sample: kv(i) });
    const h = store.getState().kvHistory;
    expect(h).toHaveLength(KV_HISTORY_MAX);
    expect(h.at(-1)!.t).toBe(KV_HISTORY_MAX + 9);
  });

  it('loads the heatmap of an answer, resets a selection it lacks, and reloads on attn_scores', async () => {
    const { engine, store } = setup();
    let calls = 0;
    engine.on('telemetry.heatmap', ({ messageId }) => {
      calls++;
      return { messageId, documentId: 'd1', layers: 2, heads: 2, bins: 2, binCharStarts: [0, 10], answerTokens: ['a'], values: { '-1:-1': [1, 0], '1:0': [0, 1] } };
    });
    store.getState().selectHeatmap(1, 1);
    await store.getState().loadHeatmap('m1');
    expect(store.getState().heatmap?.messageId).toBe('m1');
    expect([store.getState().heatmapLayer, store.getState().heatmapHead]).toEqual([-1, -1]);
    store.getState().selectHeatmap(1, 0);
    await store.getState().loadHeatmap('m1');
    expect([store.getState().heatmapLayer, store.getState().heatmapHead]).toEqual([1, 0]);
    store.setState({ selectedAnswerId: 'm2' });
    engine.emit('telemetry', { tap: 'attn_scores', messageId: 'm2', available: true });
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBe(3);
    expect(store.getState().heatmap?.messageId).toBe('m2');
  });

  it('keeps the heatmap error', async () => {
    const { engine, store } = setup();
    engine.on('telemetry.heatmap', () => {
      throw fail('not-found', 'No attention was recorded for this answer.');
    });
    await store.getState().loadHeatmap('m1');
    expect(store.getState().heatmap).toBeNull();
    expect(store.getState().heatmapError?.code).toBe('not-found');
    expect(store.getState().heatmapFor).toBe('m1');
  });
});
