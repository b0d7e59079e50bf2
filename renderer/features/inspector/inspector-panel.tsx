/**
 * The inspector: what the engine is doing, from its telemetry taps: per-layer attention
 * sparsity, KV-cache use by tier over time, and the attention heatmap of the selected answer.
 */

import { KvChart } from './kv-chart.tsx';
import { Heatmap } from './heatmap.tsx';
import { SparsityBars } from './sparsity-bars.tsx';

export function InspectorPanel() {
  return (
    <section className="panel-body inspector" aria-label="Inspector" data-testid="inspector">
      <h2 className="panel-title">Attention sparsity per layer</h2>
      <SparsityBars />
      <h2 className="panel-title">KV cache by tier</h2>
      <KvChart />
      <h2 className="panel-title">Attention heatmap (last answer)</h2>
      <Heatmap />
    </section>
  );
}
