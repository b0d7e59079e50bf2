import { describe, expect, it } from 'vitest';
import { chatFixture, docContent, docInfo, settingsFixture, setup, statusFixture, answer } from './fixtures.ts';
import { initApp } from './store.ts';

describe('initApp', () => {
  it('loads status, settings, library and chats, and reopens where the user left off', async () => {
    const { engine, store } = setup();
    engine
      .on('engine.status', () => statusFixture())
      .on('settings.get', () => settingsFixture({ lastChatId: 'c2', lastDocumentId: 'd2', theme: 'dark' }))
      .on('settings.set', ({ patch }) => settingsFixture(patch))
      .on('document.list', () => [docInfo('d1'), docInfo('d2')])
      .on('document.get', ({ id }) => docContent(id))
      .on('chat.list', () => [chatFixture('c1'), chatFixture('c2', [], ['d2'])])
      .on('chat.get', ({ id }) => chatFixture(id, [answer('a9', { evidence: [] })], ['d2']))
      .on('telemetry.subscribe', () => ({ ok: true as const }))
      .on('telemetry.kvHistory', () => [])
      .on('telemetry.heatmap', () => {
        throw new Error('not needed');
      });
    await initApp(store);
    const s = store.getState();
    expect(s.status?.gpu?.adapterName).toBe('llvmpipe (LLVM 15)');
    expect(s.settings?.theme).toBe('dark');
    expect(s.documents).toHaveLength(2);
    expect(s.activeChat?.id).toBe('c2');
    expect(s.openDocumentId).toBe('d2');
    expect(s.selectedAnswerId).toBe('a9');
  });

  it('ignores a remembered chat that no longer exists', async () => {
    const { engine, store } = setup();
    engine
      .on('engine.status', () => statusFixture())
      .on('settings.get', () => settingsFixture({ lastChatId: 'deleted', lastDocumentId: null }))
      .on('document.list', () => [])
      .on('chat.list', () => [])
      .on('telemetry.subscribe', () => ({ ok: true as const }))
      .on('telemetry.kvHistory', () => []);
    await initApp(store);
    expect(engine.calls('chat.get')).toHaveLength(0);
    expect(store.getState().activeChat).toBeNull();
  });
});
