import { describe, expect, it } from 'vitest';
import type { AttentionHeatmap } from '../../../engine/service/contract.ts';
import { setup } from '../../store/fixtures.ts';
import { renderWithStore, textOf } from '../../store/render.tsx';
import { Heatmap } from './heatmap.tsx';

const heatmap: AttentionHeatmap = {
  messageId: 'a1',
  documentId: 'd1',
  layers: 2,
  heads: 3,
  bins: 4,
  binCharStarts: [0, 10, 20, 30],
  answerTokens: ['Lily', ' had', ' a\n', ' '],
  values: {
    '-1:-1': [0.1, 0.7, 0.1, 0.1, 0.5, 0.2, 0.2, 0.1, 0, 0, 1, 0, 0.25, 0.25, 0.25, 0.25],
    '0:-1': Array.from({ length: 16 }, () => 0.25),
    '1:-1': Array.from({ length: 16 }, () => 0.25),
    '0:1': Array.from({ length: 16 }, () => 0.25),
  },
};

describe('heatmap view', () => {
  it('draws one labelled row per answer token, with layer and head choices', () => {
    const { store } = setup();
    store.setState({ heatmap, selectedAnswerId: 'a1', heatmapFor: 'a1' });
    const html = renderWithStore(store, <Heatmap />);
    const labels = [...html.matchAll(/data-testid="heatmap-row-label">([^<]*)</g)].map((m) => m[1]);
    expect(labels).toEqual(['Lily', 'had', 'a⏎', '␣']);
    expect(html).toContain('title=" had"');
    expect(html).toContain('data-testid="heatmap-canvas"');
    // 4 rows of 20 px (+ the border) so that the labels line up with the rows
    expect(html).toMatch(/data-testid="heatmap-canvas" style="height:82px"/);
    expect(textOf(html)).toContain('Rows: 4 answer tokens · columns: 4 document bins');
    // the label column fits the longest label ('Lily': 4 characters of 7 px, + 4)
    expect(html).toContain('grid-template-columns:32px minmax(0, 1fr)');
    // layer and head selects: Average + each index; heads without data for the layer are disabled
    expect((html.match(/<option/g) ?? []).length).toBe(1 + 2 + 1 + 3);
    expect(html).toMatch(/<option value="0" disabled="">0<\/option><option value="1" disabled="">1<\/option><option value="2" disabled="">2<\/option><\/select>/);
    expect((html.match(/data-testid="heatmap-hotspot"/g) ?? []).length).toBeGreaterThan(0);
  });

  it('says so when the selection has no data', () => {
    const { store } = setup();
    store.setState({ heatmap, selectedAnswerId: 'a1', heatmapFor: 'a1', heatmapLayer: 1, heatmapHead: 2 });
    expect(textOf(renderWithStore(store, <Heatmap />))).toContain('No data for this layer/head');
  });
});
