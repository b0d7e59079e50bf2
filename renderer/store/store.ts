/**
 * The app store: one zustand vanilla store built from slices (engine, jobs, documents, chat,
 * inspector, models, ui). Engine events write into it (`wireEvents`); components read it through
 * selectors (`useApp`, in store/react.ts). Tests create a fresh store per test over a fake
 * transport, which is the reset.
 *
 * Extend: add a slice (see types.ts), spread it into `createAppStore`, and if it listens to an
 * engine event, route the event in `wireEvents`.
 */

import { createStore } from 'zustand/vanilla';
import type { EngineClient } from '../../engine/service/client.ts';
import { createChatSlice } from './chat-slice.ts';
import { createDocumentsSlice } from './documents-slice.ts';
import { createEngineSlice } from './engine-slice.ts';
import { createInspectorSlice } from './inspector-slice.ts';
import { createJobsSlice } from './jobs-slice.ts';
import { createModelsSlice } from './models-slice.ts';
import type { AppState, AppStore, StoreDeps } from './types.ts';
import { createUiSlice } from './ui-slice.ts';

export type { AppState, AppStore } from './types.ts';

export function createAppStore(client: EngineClient, now: () => number = () => Date.now()): AppStore {
  const deps: StoreDeps = { client, now };
  const store = createStore<AppState>()((set, get) => ({
    ...createEngineSlice(set, get, deps),
    ...createJobsSlice(set, get, deps),
    ...createDocumentsSlice(set, get, deps),
    ...createChatSlice(set, get, deps),
    ...createInspectorSlice(set, get, deps),
    ...createModelsSlice(set, get, deps),
    ...createUiSlice(set, get, deps),
  }));
  wireEvents(store, client);
  return store;
}

/** Engine events -> store. Returns an unsubscribe. */
export function wireEvents(store: AppStore, client: EngineClient): () => void {
  const offs = [
    client.on('status', (s) => store.getState().setStatus(s)),
    client.on('notice', (n) => store.getState().pushNotice(n)),
    client.on('telemetry', (e) => store.getState().onTelemetry(e)),
  ];
  return () => offs.forEach((off) => off());
}

/**
 * First load: status, settings, library, chats, telemetry; then reopen where the user left off
 * (settings.lastChatId / lastDocumentId).
 */
export async function initApp(store: AppStore): Promise<void> {
  const s = store.getState();
  await Promise.all([s.refreshStatus(), s.loadSettings(), s.refreshDocuments(), s.refreshChats()]);
  void s.subscribeTelemetry();
  void s.loadKvHistory();
  const { settings, chats, documents } = store.getState();
  const lastChat = settings?.lastChatId && chats.some((c) => c.id === settings.lastChatId) ? settings.lastChatId : null;
  if (lastChat) await s.openChat(lastChat);
  const lastDoc = settings?.lastDocumentId && documents.some((d) => d.id === settings.lastDocumentId) ? settings.lastDocumentId : null;
  if (!store.getState().openDocumentId && lastDoc) await s.openDocument(lastDoc);
}
