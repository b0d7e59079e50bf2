import { describe, expect, it } from 'vitest';
import { answer, setup } from '../../store/fixtures.ts';
import { renderWithStore, textOf } from '../../store/render.tsx';
import { ContextMeter } from './context-meter.tsx';
import { MessageView } from './message-view.tsx';

describe('answer view', () => {
  it('renders Markdown safely, with stats and evidence page numbers', () => {
    const { store } = setup();
    const msg = answer('a1', {
      text: 'It is **blue**. <img src=x onerror=alert(1)>',
      stats: { promptTokens: 100, generatedTokens: 42, prefillMs: 1500, decodeMs: 2000, prefillTokensPerSecond: 66, decodeTokensPerSecond: 21, reusedPrefix: 0, stopReason: 'cancelled' },
    });
    const html = renderWithStore(store, <MessageView message={msg} isLast />);
    expect(html).toContain('<strong>blue</strong>');
    expect(html).not.toMatch(/<img/);
    const text = textOf(html);
    expect(text).toContain('21.0 tok/s · 42 tokens · prefill 1.5 s · stopped');
    expect(text).toContain('p. 2');
    expect(text).toContain('Second page');
    expect(text).toContain('50%');
    expect(html).toContain('data-testid="regenerate"');
  });

  it('only the last answer offers Regenerate', () => {
    const { store } = setup();
    expect(renderWithStore(store, <MessageView message={answer('a1')} isLast={false} />)).not.toContain('data-testid="regenerate"');
  });
});

describe('context meter', () => {
  it('says plainly when the documents do not fit', () => {
    const { store } = setup();
    store.setState({ contextCheck: { documentTokens: 40_000, questionTokens: 10, templateTokens: 20, reserveForAnswer: 512, total: 40_542, contextLength: 4096, fits: false } });
    const html = renderWithStore(store, <ContextMeter />);
    expect(html).toContain('data-fits="false"');
    expect(textOf(html)).toContain('Does not fit: these documents and the question need 40,542 tokens; the model holds 4,096.');
  });

  it('shows the share of the context used when they fit', () => {
    const { store } = setup();
    store.setState({ contextCheck: { documentTokens: 1000, questionTokens: 10, templateTokens: 20, reserveForAnswer: 256, total: 1286, contextLength: 4096, fits: true } });
    expect(textOf(renderWithStore(store, <ContextMeter />))).toContain('= 1,286 of 4,096 tokens (31%)');
  });
});
