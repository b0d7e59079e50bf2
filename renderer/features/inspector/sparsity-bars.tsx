/**
 * Per-layer attention sparsity: one bar per layer, height = fraction of attention work skipped.
 * Dense attention skips nothing, so every bar is zero until a sparse mode runs; the caption
 * says so rather than leaving an empty chart unexplained. SVG.
 */

import { useApp } from '../../store/react.ts';

const H = 120;

export function SparsityBars() {
  const sample = useApp((s) => s.sparsity);
  const layers = useApp((s) => s.status?.model?.layers ?? 0);
  const perLayer = sample?.perLayer ?? (layers > 0 ? new Array<number>(layers).fill(0) : []);
  const mode = sample?.mode ?? 'dense';
  const allZero = perLayer.every((v) => v === 0);
  if (perLayer.length === 0) return <p className="muted">Load a model to see its layers.</p>;
  const n = perLayer.length;
  const W = Math.max(240, n * 14);
  const bw = W / n;
  const mean = perLayer.reduce((a, b) => a + b, 0) / n;
  return (
    <figure className="chart" data-testid="sparsity-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Attention sparsity per layer, mode ${mode}, mean ${(mean * 100).toFixed(0)}% skipped`} preserveAspectRatio="none" className="chart-svg">
        <line x1={0} x2={W} y1={H} y2={H} className="axis" />
        {perLayer.map((v, i) => {
          const h = Math.max(allZero ? 1 : 0, v * H);
          return (
            <rect key={i} x={i * bw + bw * 0.15} width={bw * 0.7} y={H - h} height={h} className="bar" data-testid="sparsity-bar">
              <title>{`layer ${i}: ${(v * 100).toFixed(1)}% skipped`}</title>
            </rect>
          );
        })}
      </svg>
      <div className="chart-axis muted" aria-hidden="true">
        <span>layer 0</span>
        <span>layer {n - 1}</span>
      </div>
      <figcaption className="muted" data-testid="sparsity-caption">
        {allZero
          ? `Mode: ${mode}. 0% of attention skipped on all ${n} layers: dense attention reads every token (sparse modes are off${sample ? '' : '; no sample yet'}).`
          : `Mode: ${mode}. Mean ${(mean * 100).toFixed(0)}% of attention work skipped across ${n} layers.`}
      </figcaption>
    </figure>
  );
}
