import { describe, expect, it } from 'vitest';
import { setup, statusFixture } from '../../store/fixtures.ts';
import { renderWithStore, textOf } from '../../store/render.tsx';
import { EngineBadge } from './engine-badge.tsx';
import { EnginePanel } from './engine-panel.tsx';

describe('engine status views', () => {
  it('the badge shows the adapter name in data-testid="adapter-name"', () => {
    const { store } = setup();
    expect(renderWithStore(store, <EngineBadge />)).toContain('Connecting');
    store.getState().setStatus(statusFixture());
    const html = renderWithStore(store, <EngineBadge />);
    expect(html).toMatch(/data-testid="adapter-name"[^>]*>llvmpipe \(LLVM 15\)</);
    expect(textOf(html)).toContain('No model');
  });

  it('the panel lists features and limits, in readable units', () => {
    const { store } = setup();
    store.getState().setStatus(statusFixture());
    const text = textOf(renderWithStore(store, <EnginePanel />));
    expect(text).toContain('Features (2)');
    expect(text).toContain('subgroups');
    expect(text).toContain('Max buffer size 4.0 GB');
    expect(text).toContain('Storage buffers / stage 16');
    expect(text).toContain('vulkan (software fallback)');
  });

  it('without a GPU the panel shows the typed error and its hint', () => {
    const { store } = setup();
    store.getState().setStatus(statusFixture({ gpu: null, gpuError: { code: 'gpu-unavailable', message: 'No WebGPU adapter.', hint: 'Install Mesa 24+ (lavapipe) or your Vulkan driver.' } }));
    const text = textOf(renderWithStore(store, <EnginePanel />));
    expect(text).toContain('No GPU adapter is available');
    expect(text).toContain('Install Mesa 24+ (lavapipe) or your Vulkan driver.');
    expect(textOf(renderWithStore(store, <EngineBadge />))).toContain('No GPU');
  });
});
