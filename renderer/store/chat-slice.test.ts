import { describe, expect, it } from 'vitest';
import type { ChatMessage, ContextCheck } from '../../engine/service/contract.ts';
import { fail } from './fake-transport.ts';
import { answer, chatFixture, docContent, flush, settingsFixture, setup } from './fixtures.ts';
import { lastAnswer } from './chat-slice.ts';

function fits(ok: boolean): ContextCheck {
  return { documentTokens: ok ? 900 : 40_000, questionTokens: 10, templateTokens: 20, reserveForAnswer: 512, total: ok ? 1442 : 40_542, contextLength: 4096, fits: ok };
}

function chatEngine() {
  const s = setup();
  const user: ChatMessage = { id: 'u1', role: 'user', text: 'What is on page 2?', createdAt: 1 };
  const stored = { messages: [] as ChatMessage[] };
  let settings = settingsFixture();
  s.engine.on('settings.get', () => settings);
  s.engine.on('settings.set', ({ patch }) => (settings = { ...settings, ...patch }));
  s.engine.on('document.get', ({ id }) => docContent(id));
  s.engine.on('chat.get', ({ id }) => chatFixture(id, stored.messages));
  s.engine.on('chat.list', () => [chatFixture('c1', stored.messages)]);
  s.engine.on('chat.check', () => fits(true));
  s.engine.on('telemetry.heatmap', ({ messageId }) => ({ messageId, documentId: 'd1', layers: 1, heads: 1, bins: 2, binCharStarts: [0, 300], answerTokens: ['x'], values: { '-1:-1': [0.2, 0.8] } }));
  return { ...s, user, stored };
}

describe('chat slice', () => {
  it('opens a chat, remembers it, opens its document and selects the last answer', async () => {
    const { store, engine, stored, user } = chatEngine();
    stored.messages = [user, answer('a1')];
    await store.getState().openChat('c1');
    await flush();
    expect(store.getState().activeChat?.id).toBe('c1');
    expect(store.getState().openDocumentId).toBe('d1');
    expect(store.getState().selectedAnswerId).toBe('a1');
    expect(store.getState().highlight).toMatchObject({ documentId: 'd1', spans: [{ start: 400, end: 420 }], focus: null });
    expect(engine.calls('settings.set').map((r) => r.params)).toContainEqual({ patch: { lastChatId: 'c1' } });
  });

  it('streams an answer: tokens accumulate, then the chat is re-read and the heatmap loaded', async () => {
    const { store, engine, stored, user } = chatEngine();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    engine.on('chat.ask', async ({ question }, ctx) => {
      expect(question).toBe('What is on page 2?');
      ctx.emit('progress', { jobId: ctx.jobId, stage: 'prefill', done: 512, total: 1024, unit: 'tokens' });
      ctx.emit('token', { jobId: ctx.jobId, chatId: 'c1', messageId: 'a1', text: 'The ', index: 0, tokensPerSecond: 10 });
      ctx.emit('token', { jobId: ctx.jobId, chatId: 'c1', messageId: 'a1', text: 'answer.', index: 1, tokensPerSecond: 12.5 });
      await gate;
      stored.messages = [user, answer('a1')];
      return answer('a1');
    });
    await store.getState().openChat('c1');
    const done = store.getState().ask('  What is on page 2? ');
    await flush();
    const s = store.getState().streaming!;
    expect(s).toMatchObject({ chatId: 'c1', messageId: 'a1', text: 'The answer.', tokens: 2, tokensPerSecond: 12.5, question: 'What is on page 2?' });
    expect(s.jobId).toBe(engine.calls('chat.ask')[0]!.id);
    expect(Object.values(store.getState().jobs)[0]).toMatchObject({ stage: 'prefill', done: 512, total: 1024 });
    release();
    await expect(done).resolves.toMatchObject({ id: 'a1' });
    await flush();
    expect(store.getState().streaming).toBeNull();
    expect(store.getState().activeChat?.messages.map((m) => m.id)).toEqual(['u1', 'a1']);
    expect(store.getState().selectedAnswerId).toBe('a1');
    expect(store.getState().heatmap?.messageId).toBe('a1');
  });

  it('refuses before sending when the documents do not fit, and says so plainly', async () => {
    const { store, engine } = chatEngine();
    engine.on('chat.check', () => fits(false));
    engine.on('chat.ask', () => answer('never'));
    await store.getState().openChat('c1');
    const r = await store.getState().ask('Summarise everything');
    expect(r).toBeNull();
    expect(engine.calls('chat.ask')).toHaveLength(0);
    expect(store.getState().contextCheck?.fits).toBe(false);
    expect(store.getState().chatError?.code).toBe('context-too-large');
    expect(store.getState().chatError?.message).toMatch(/40,542 tokens.*4,096.*Nothing was sent/);
  });

  it('stop cancels the generation job; a cancelled answer is not an error', async () => {
    const { store, engine, stored, user } = chatEngine();
    engine.on('chat.ask', async (_p, ctx) => {
      ctx.emit('token', { jobId: ctx.jobId, chatId: 'c1', messageId: 'a1', text: 'Part', index: 0, tokensPerSecond: 5 });
      await ctx.cancelled;
      stored.messages = [user, answer('a1', { text: 'Part', stats: { promptTokens: 1, generatedTokens: 1, prefillMs: 1, decodeMs: 1, prefillTokensPerSecond: 1, decodeTokensPerSecond: 1, reusedPrefix: 0, stopReason: 'cancelled' } })];
      throw fail('cancelled', 'Generation was cancelled.');
    });
    await store.getState().openChat('c1');
    const done = store.getState().ask('q');
    await flush();
    const jobId = store.getState().streaming!.jobId!;
    await store.getState().stop();
    await done;
    await flush();
    expect(engine.calls('job.cancel')[0]!.params).toEqual({ jobId });
    expect(store.getState().streaming).toBeNull();
    expect(store.getState().chatError).toBeNull();
    expect(lastAnswer(store.getState().activeChat)?.text).toBe('Part');
  });

  it('regenerate sends the message id and hides the old answer while streaming', async () => {
    const { store, engine, stored, user } = chatEngine();
    stored.messages = [user, answer('a1')];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    engine.on('chat.regenerate', async ({ messageId }) => {
      expect(messageId).toBe('a1');
      await gate;
      stored.messages = [user, answer('a2', { text: 'Better.' })];
      return answer('a2', { text: 'Better.' });
    });
    await store.getState().openChat('c1');
    const done = store.getState().regenerate('a1');
    await flush();
    expect(store.getState().streaming).toMatchObject({ replacesMessageId: 'a1', question: null });
    release();
    await done;
    await flush();
    expect(lastAnswer(store.getState().activeChat)?.id).toBe('a2');
    expect(store.getState().selectedAnswerId).toBe('a2');
  });

  it('a failed generation keeps its typed error for the user', async () => {
    const { store, engine } = chatEngine();
    engine.on('chat.ask', () => {
      throw fail('model-not-loaded', 'No model is loaded.', 'Load a model in Models.');
    });
    await store.getState().openChat('c1');
    await store.getState().ask('q');
    expect(store.getState().chatError).toMatchObject({ code: 'model-not-loaded', hint: 'Load a model in Models.' });
    expect(store.getState().streaming).toBeNull();
  });

  it('sends the persisted generation settings with each question', async () => {
    const { store, engine, stored, user } = chatEngine();
    await store.getState().patchSettings({ generation: { maxTokens: 48, temperature: 0 } });
    engine.on('chat.ask', () => {
      stored.messages = [user, answer('a1')];
      return answer('a1');
    });
    await store.getState().openChat('c1');
    await store.getState().ask('q');
    expect(engine.calls('chat.ask')[0]!.params).toEqual({ chatId: 'c1', question: 'q', options: { maxTokens: 48, temperature: 0 } });
    expect(engine.calls('chat.check')[0]!.params).toEqual({ documentIds: ['d1'], question: 'q', maxTokens: 48 });
    await store.getState().ask('q2', { maxTokens: 5 });
    expect(engine.calls('chat.ask')[1]!.params).toMatchObject({ options: { maxTokens: 5 } });
  });

  it('creates and deletes chats', async () => {
    const { store, engine } = chatEngine();
    engine.on('chat.create', ({ documentIds }) => chatFixture('c1', [], documentIds));
    engine.on('chat.delete', () => ({ ok: true as const }));
    const chat = await store.getState().newChat(['d1', 'd2']);
    expect(chat?.documentIds).toEqual(['d1', 'd2']);
    expect(store.getState().activeChat?.id).toBe('c1');
    await store.getState().deleteChat('c1');
    expect(store.getState().activeChat).toBeNull();
  });
});
