/**
 * Inspector slice: what the engine's telemetry taps report. Per-layer sparsity (latest sample),
 * KV-cache pages by tier over time (kvHistory at start, then `kv_pages` events, bounded), and
 * the attention heatmap of an answer (telemetry.heatmap) with the layer / head selection.
 *
 * Heatmap values are keyed `heatmapKey(layer, head)`; -1 stands for the average.
 */

import { heatmapKey, type AttentionHeatmap, type KvTierSample, type SparsitySample, type TelemetryEvent } from '../../engine/service/contract.ts';
import type { WireError } from '../../engine/errors.ts';
import { toWireError } from './errors.ts';
import type { SliceCreator } from './types.ts';

export const KV_HISTORY_MAX = 600;

export { heatmapKey };

export interface InspectorSlice {
  sparsity: SparsitySample | null;
  kvHistory: KvTierSample[];
  heatmap: AttentionHeatmap | null;
  heatmapError: WireError | null;
  heatmapLoading: boolean;
  /** The answer the last heatmap request was for (success or not). */
  heatmapFor: string | null;
  heatmapLayer: number;
  heatmapHead: number;
  telemetrySubscribed: boolean;
  subscribeTelemetry(): Promise<void>;
  loadKvHistory(): Promise<void>;
  loadHeatmap(messageId: string): Promise<void>;
  selectHeatmap(layer: number, head: number): void;
  onTelemetry(e: TelemetryEvent): void;
}

export const createInspectorSlice: SliceCreator<InspectorSlice> = (set, get, { client }) => ({
  sparsity: null,
  kvHistory: [],
  heatmap: null,
  heatmapError: null,
  heatmapLoading: false,
  heatmapFor: null,
  heatmapLayer: -1,
  heatmapHead: -1,
  telemetrySubscribed: false,

  async subscribeTelemetry() {
    try {
      await client.call('telemetry.subscribe', { taps: ['sparsity', 'kv_pages', 'attn_scores'] });
      set({ telemetrySubscribed: true });
    } catch (e) {
      get().pushNotice({ level: 'warning', message: `Telemetry is unavailable: ${toWireError(e).message}`, hint: toWireError(e).hint });
    }
  },

  async loadKvHistory() {
    try {
      const kvHistory = await client.call('telemetry.kvHistory', {});
      set({ kvHistory: kvHistory.slice(-KV_HISTORY_MAX) });
    } catch {
      // No model loaded yet: the chart stays empty and says so.
    }
  },

  async loadHeatmap(messageId) {
    set({ heatmapLoading: true, heatmapError: null, heatmapFor: messageId });
    try {
      const heatmap = await client.call('telemetry.heatmap', { messageId });
      const keep = heatmap.values[heatmapKey(get().heatmapLayer, get().heatmapHead)] !== undefined;
      if (get().heatmapFor !== messageId) return;
      set({ heatmap, heatmapLoading: false, ...(keep ? {} : { heatmapLayer: -1, heatmapHead: -1 }) });
    } catch (e) {
      if (get().heatmapFor === messageId) set({ heatmap: null, heatmapLoading: false, heatmapError: toWireError(e) });
    }
  },

  selectHeatmap(heatmapLayer, heatmapHead) {
    set({ heatmapLayer, heatmapHead });
  },

  onTelemetry(e) {
    if (e.tap === 'sparsity') set({ sparsity: e.sample });
    else if (e.tap === 'kv_pages') set({ kvHistory: [...get().kvHistory, e.sample].slice(-KV_HISTORY_MAX) });
    else if (e.tap === 'attn_scores' && e.messageId === get().selectedAnswerId && get().heatmap?.messageId !== e.messageId) void get().loadHeatmap(e.messageId);
  },
});
