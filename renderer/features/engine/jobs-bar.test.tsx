import { describe, expect, it } from 'vitest';
import { settingsFixture, setup } from '../../store/fixtures.ts';
import type { JobView } from '../../store/jobs-slice.ts';
import { renderWithStore, textOf } from '../../store/render.tsx';
import { JobsBar } from './jobs-bar.tsx';

const job: JobView = { id: 'j1', method: 'chat.ask', label: 'Answering', stage: 'prefill', done: 256, total: 1024, unit: 'tokens', etaMs: 9_000, message: null, startedAt: 0, stageStartedAt: 0, cancelling: false };

describe('jobs bar', () => {
  it('shows nothing without jobs', () => {
    expect(renderWithStore(setup().store, <JobsBar />)).toBe('');
  });

  it('shows stage, count, percentage, ETA and a Cancel button', () => {
    const { store } = setup();
    store.setState({ jobs: { j1: job } });
    const html = renderWithStore(store, <JobsBar />);
    const text = textOf(html);
    expect(text).toContain('Answering reading the documents (prefill) · 256 / 1,024 tokens · about 9 s left');
    expect(text).toContain('25%');
    expect(html).toContain('aria-valuenow="25"');
    expect(html).toContain('data-testid="job-cancel"');
  });

  it('switches to the streamed tokens once the answer is being written', () => {
    const { store } = setup();
    store.setState({
      jobs: { j1: { ...job, done: 1024 } },
      settings: settingsFixture({ generation: { maxTokens: 100 } }),
      streaming: { jobId: 'j1', chatId: 'c1', replacesMessageId: null, messageId: 'a1', question: 'q', text: 'abc', tokens: 25, tokensPerSecond: 12.5, startedAt: 0 },
    });
    const html = renderWithStore(store, <JobsBar />);
    expect(html).toContain('data-stage="decode"');
    expect(textOf(html)).toContain('writing the answer · 25 / 100 tokens · 12.5 tok/s · about 6 s left');
    expect(textOf(html)).toContain('25%');
  });
});
