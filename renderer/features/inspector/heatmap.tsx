/**
 * Attention heatmap of an answer: rows are answer tokens (or groups of consecutive tokens for
 * long answers), labelled on the left, columns are binned document positions; choose a layer and
 * head or the average. Drawn on a canvas (one pixel per cell, scaled up without smoothing; long
 * answers scroll vertically); clicking a cell jumps the viewer to that passage. The "hot spots"
 * buttons below are the keyboard way to the same jumps.
 */

import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { AttentionHeatmap } from '../../../engine/service/contract.ts';
import { heatmapKey } from '../../../engine/service/contract.ts';
import { ErrorBox } from '../../components/error-box.tsx';
import { formatPercent } from '../../components/format.ts';
import { useApp } from '../../store/react.ts';
import { binSpan, heatColor, heatmapMatrix, hotBins, normaliseRows, pageTicks, rowHeight, rowLabel, type Matrix } from './heatmap-data.ts';

export function Heatmap() {
  const heatmap = useApp((s) => s.heatmap);
  const error = useApp((s) => s.heatmapError);
  const loading = useApp((s) => s.heatmapLoading);
  const answerId = useApp((s) => s.selectedAnswerId);
  const loadHeatmap = useApp((s) => s.loadHeatmap);
  const requestedFor = useApp((s) => s.heatmapFor);
  useEffect(() => {
    // Once per selected answer (heatmapFor records the last request, failed or not).
    if (answerId && requestedFor !== answerId) void loadHeatmap(answerId);
  }, [answerId, requestedFor, loadHeatmap]);
  if (!answerId) return <p className="muted" data-testid="heatmap-empty">Ask a question: the heatmap shows where the answer looked in the document.</p>;
  if (error) return <ErrorBox error={error} />;
  if (!heatmap) return <p className="muted">{loading ? 'Loading the attention map…' : 'No attention map for this answer.'}</p>;
  return <HeatmapView heatmap={heatmap} />;
}

function HeatmapView({ heatmap }: { heatmap: AttentionHeatmap }) {
  const layer = useApp((s) => s.heatmapLayer);
  const head = useApp((s) => s.heatmapHead);
  const select = useApp((s) => s.selectHeatmap);
  const jumpTo = useApp((s) => s.jumpTo);
  const textLength = useApp((s) => (heatmap.documentId ? s.contents[heatmap.documentId]?.text.length : undefined));
  const pages = useApp((s) => (heatmap.documentId ? s.contents[heatmap.documentId]?.sourceMap.pages : undefined));
  const ticks = useMemo(() => pageTicks(heatmap.binCharStarts, pages ?? []), [heatmap.binCharStarts, pages]);
  const matrix = useMemo(() => heatmapMatrix(heatmap, layer, head), [heatmap, layer, head]);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const [hover, setHover] = useState<{ row: number; col: number } | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !matrix) return;
    drawMatrix(canvas, matrix);
  }, [matrix]);

  const cellAt = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!matrix) return null;
    const r = e.currentTarget.getBoundingClientRect();
    const col = Math.min(matrix.cols - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * matrix.cols)));
    const row = Math.min(matrix.rows - 1, Math.max(0, Math.floor(((e.clientY - r.top) / r.height) * matrix.rows)));
    return { row, col };
  };
  const jump = (col: number) => {
    if (heatmap.documentId) void jumpTo(heatmap.documentId, binSpan(heatmap, col, textLength));
  };
  const hotLabel = (col: number) => {
    const start = heatmap.binCharStarts[col] ?? 0;
    const p = pages?.find((pg) => pg.start <= start && start < pg.end);
    return p ? `p. ${p.page}` : `bin ${col + 1}`;
  };
  const has = (l: number, h: number) => heatmap.values[heatmapKey(l, h)] !== undefined;
  const hot = matrix ? hotBins(matrix, 5) : [];
  const rowPx = rowHeight(matrix?.rows ?? 1);
  // label column as wide as the longest label (11 px monospace ~ 7 px a character), 3 to 14 characters
  const labelChars = Math.min(14, Math.max(3, ...heatmap.answerTokens.map((t) => rowLabel(t).length)));
  const columns = { gridTemplateColumns: `${labelChars * 7 + 4}px minmax(0, 1fr)` };

  return (
    <figure className="chart heatmap" data-testid="heatmap">
      <div className="heatmap-controls">
        <label>
          Layer{' '}
          <select value={layer} onChange={(e) => select(Number(e.target.value), has(Number(e.target.value), head) ? head : -1)} data-testid="heatmap-layer">
            <option value={-1}>Average</option>
            {Array.from({ length: heatmap.layers }, (_, i) => (
              <option key={i} value={i} disabled={!has(i, -1) && !has(i, head)}>
                {i}
              </option>
            ))}
          </select>
        </label>
        <label>
          Head{' '}
          <select value={head} onChange={(e) => select(layer, Number(e.target.value))} data-testid="heatmap-head">
            <option value={-1}>Average</option>
            {Array.from({ length: heatmap.heads }, (_, i) => (
              <option key={i} value={i} disabled={!has(layer, i)}>
                {i}
              </option>
            ))}
          </select>
        </label>
      </div>
      {matrix ? (
        <>
          <div className="heatmap-scroll">
            <div className="heatmap-grid" style={columns}>
              <ol className="heatmap-rows" aria-label="Answer tokens (rows)" data-testid="heatmap-rows">
                {heatmap.answerTokens.slice(0, matrix.rows).map((t, i) => (
                  <li key={i} title={t} style={{ height: rowPx, lineHeight: `${rowPx}px` }} className={hover?.row === i ? 'active' : undefined} data-testid="heatmap-row-label">
                    {rowLabel(t)}
                  </li>
                ))}
              </ol>
              <canvas
                ref={canvasRef}
                className="heatmap-canvas"
                data-testid="heatmap-canvas"
                style={{ height: matrix.rows * rowPx + 2 /* border-box: 1 px border above and below */ }}
                aria-label={`Attention of ${matrix.rows} answer ${matrix.rows === 1 ? 'row' : 'rows'} over ${matrix.cols} document bins; click a cell to jump to the passage`}
                onMouseMove={(e) => setHover(cellAt(e))}
                onMouseLeave={() => setHover(null)}
                onClick={(e) => {
                  const c = cellAt(e);
                  if (c) jump(c.col);
                }}
              />
            </div>
          </div>
          {ticks.length > 0 && (
            <div className="heatmap-grid" style={columns}>
              <span />
              <div className="heatmap-ticks" aria-hidden="true">
                {ticks.map((t) => (
                  <span key={t.page} style={{ left: `${t.x * 100}%` }}>
                    p.{t.page}
                  </span>
                ))}
              </div>
            </div>
          )}
          <p className="muted heatmap-hover" aria-live="off">
            {hover
              ? `“${heatmap.answerTokens[hover.row] ?? ''}” → characters ${binSpan(heatmap, hover.col, textLength).start.toLocaleString('en-US')}–${binSpan(heatmap, hover.col, textLength).end.toLocaleString('en-US')}`
              : `Rows: ${matrix.rows} answer ${matrix.rows === 1 ? 'token' : 'tokens'} · columns: ${matrix.cols} document bins (start → end) · each row scaled to its maximum`}
          </p>
          {hot.length > 0 && (
            <div className="hot-spots">
              <span className="muted">Hot spots:</span>
              {hot.map((h) => (
                <button key={h.col} type="button" className="btn btn-small" onClick={() => jump(h.col)} data-testid="heatmap-hotspot">
                  {hotLabel(h.col)} · {formatPercent(h.value)}
                </button>
              ))}
            </div>
          )}
        </>
      ) : (
        <p className="muted">No data for this layer/head; choose another.</p>
      )}
    </figure>
  );
}

function drawMatrix(canvas: HTMLCanvasElement, m: Matrix): void {
  canvas.width = m.cols;
  canvas.height = m.rows;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const norm = normaliseRows(m);
  const img = ctx.createImageData(m.cols, m.rows);
  for (let i = 0; i < norm.length; i++) {
    const [r, g, b] = heatColor(norm[i]!);
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
