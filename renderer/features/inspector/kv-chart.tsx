/**
 * KV-cache use by tier over time: stacked areas of pages on the GPU, in RAM and on disk (from
 * telemetry.kvHistory, then `kv_pages` events), with the latest numbers in the legend. SVG.
 */

import type { KvTierSample } from '../../../engine/service/contract.ts';
import { formatBytes, formatCount } from '../../components/format.ts';
import { useApp } from '../../store/react.ts';

const W = 400;
const H = 120;

function areaPath(samples: KvTierSample[], lower: (s: KvTierSample) => number, upper: (s: KvTierSample) => number, x: (i: number) => number, y: (v: number) => number): string {
  const top = samples.map((s, i) => `${x(i).toFixed(1)},${y(upper(s)).toFixed(1)}`);
  const bottom = samples.map((s, i) => `${x(i).toFixed(1)},${y(lower(s)).toFixed(1)}`).reverse();
  return `M${top.join('L')}L${bottom.join('L')}Z`;
}

export function KvChart() {
  const history = useApp((s) => s.kvHistory);
  if (history.length === 0) return <p className="muted" data-testid="kv-empty">No KV-cache samples yet: they start with the first prefill.</p>;
  const samples = history.length === 1 ? [history[0]!, history[0]!] : history;
  const max = Math.max(1, ...samples.map((s) => s.gpuPages + s.ramPages + s.diskPages));
  const x = (i: number) => (i / (samples.length - 1)) * W;
  const y = (v: number) => H - (v / max) * H;
  const last = samples[samples.length - 1]!;
  const tiers = [
    { key: 'gpu', label: 'GPU', pages: last.gpuPages, lower: () => 0, upper: (s: KvTierSample) => s.gpuPages },
    { key: 'ram', label: 'RAM', pages: last.ramPages, lower: (s: KvTierSample) => s.gpuPages, upper: (s: KvTierSample) => s.gpuPages + s.ramPages },
    { key: 'disk', label: 'Disk', pages: last.diskPages, lower: (s: KvTierSample) => s.gpuPages + s.ramPages, upper: (s: KvTierSample) => s.gpuPages + s.ramPages + s.diskPages },
  ];
  return (
    <figure className="chart" data-testid="kv-chart">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`KV cache: ${last.gpuPages} pages on GPU, ${last.ramPages} in RAM, ${last.diskPages} on disk`} className="chart-svg">
        {tiers.map((t) => (
          <path key={t.key} d={areaPath(samples, t.lower, t.upper, x, y)} className={`tier tier-${t.key}`} data-testid="kv-area" />
        ))}
        <line x1={0} x2={W} y1={H - 0.5} y2={H - 0.5} className="axis" />
      </svg>
      <figcaption>
        <ul className="legend">
          {tiers.map((t) => (
            <li key={t.key}>
              <span className={`swatch tier-${t.key}`} aria-hidden="true" />
              {t.label}: {formatCount(t.pages)} pages · {formatCount(t.pages * last.pageTokens)} tokens · {formatBytes(t.pages * last.bytesPerPage)}
            </li>
          ))}
        </ul>
        <span className="muted">{samples.length} samples, peak {formatCount(max)} pages</span>
      </figcaption>
    </figure>
  );
}
