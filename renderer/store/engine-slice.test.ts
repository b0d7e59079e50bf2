import { describe, expect, it } from 'vitest';
import { fail } from './fake-transport.ts';
import { flush, settingsFixture, setup, statusFixture } from './fixtures.ts';

describe('engine slice', () => {
  it('reads the engine status through the contract', async () => {
    const { engine, store } = setup();
    engine.on('engine.status', () => statusFixture());
    expect(store.getState().connection).toBe('connecting');
    await store.getState().refreshStatus();
    expect(store.getState().status?.gpu?.adapterName).toBe('llvmpipe (LLVM 15)');
    expect(store.getState().connection).toBe('open');
  });

  it('keeps the typed error when the status cannot be read', async () => {
    const { engine, store } = setup();
    engine.on('engine.status', () => {
      throw fail('internal', 'boom', 'restart');
    });
    await store.getState().refreshStatus();
    expect(store.getState().status).toBeNull();
    expect(store.getState().statusError).toMatchObject({ code: 'internal', message: 'boom', hint: 'restart' });
  });

  it('status and notice events write into the store', () => {
    const { engine, store } = setup();
    engine.emit('status', statusFixture({ modelState: 'loading' }));
    expect(store.getState().status?.modelState).toBe('loading');
    for (let i = 0; i < 7; i++) engine.emit('notice', { level: 'warning', message: `n${i}` });
    const notices = store.getState().notices;
    expect(notices.map((n) => n.message)).toEqual(['n2', 'n3', 'n4', 'n5', 'n6']);
    store.getState().dismissNotice(notices[0]!.id);
    expect(store.getState().notices).toHaveLength(4);
  });

  it('patches settings optimistically and keeps what the engine returns', async () => {
    const { engine, store } = setup();
    engine.on('settings.get', () => settingsFixture());
    engine.on('settings.set', ({ patch }) => settingsFixture({ ...patch, lastChatId: 'from-engine' }));
    await store.getState().loadSettings();
    const p = store.getState().patchSettings({ theme: 'dark' });
    expect(store.getState().settings?.theme).toBe('dark');
    await p;
    expect(store.getState().settings).toMatchObject({ theme: 'dark', lastChatId: 'from-engine' });
    expect(engine.calls('settings.set')[0]!.params).toEqual({ patch: { theme: 'dark' } });
  });

  it('reverts a settings patch the engine refuses and says why', async () => {
    const { engine, store } = setup();
    engine.on('settings.get', () => settingsFixture({ theme: 'light' }));
    engine.on('settings.set', () => {
      throw fail('disk-full', 'No space left', 'Free some disk space.');
    });
    await store.getState().loadSettings();
    await store.getState().patchSettings({ theme: 'dark' });
    await flush();
    expect(store.getState().settings?.theme).toBe('light');
    expect(store.getState().notices.at(-1)).toMatchObject({ level: 'warning', hint: 'Free some disk space.' });
  });
});
