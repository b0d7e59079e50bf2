/**
 * Engine slice: the engine host's status (GPU adapter, features, limits, model state), the
 * connection state of the transport, notices pushed by the engine, and the persisted settings
 * (settings live engine-side; this slice mirrors them and patches through `settings.set`).
 *
 * Events written here: `status`, `notice` (see store.ts `wireEvents`). Extend by adding a field
 * and the action that fills it; components read through selectors.
 */

import type { EngineStatus, NoticeEvent, Settings } from '../../engine/service/contract.ts';
import type { WireError } from '../../engine/errors.ts';
import { toWireError } from './errors.ts';
import type { SliceCreator } from './types.ts';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Notice extends NoticeEvent {
  id: number;
}

export interface EngineSlice {
  status: EngineStatus | null;
  statusError: WireError | null;
  connection: ConnectionState;
  notices: Notice[];
  settings: Settings | null;
  refreshStatus(): Promise<void>;
  setStatus(s: EngineStatus): void;
  setConnection(c: ConnectionState): void;
  pushNotice(n: NoticeEvent): void;
  dismissNotice(id: number): void;
  loadSettings(): Promise<void>;
  patchSettings(patch: Partial<Settings>): Promise<void>;
}

const MAX_NOTICES = 5;
let noticeSeq = 0;

export const createEngineSlice: SliceCreator<EngineSlice> = (set, get, { client }) => ({
  status: null,
  statusError: null,
  connection: 'connecting',
  notices: [],
  settings: null,

  async refreshStatus() {
    try {
      const status = await client.call('engine.status', {});
      set({ status, statusError: null, connection: 'open' });
    } catch (e) {
      set({ statusError: toWireError(e) });
    }
  },

  setStatus(status) {
    set({ status, connection: 'open' });
  },

  setConnection(connection) {
    set({ connection });
  },

  pushNotice(n) {
    const notices = [...get().notices, { ...n, id: ++noticeSeq }];
    set({ notices: notices.slice(-MAX_NOTICES) });
  },

  dismissNotice(id) {
    set({ notices: get().notices.filter((n) => n.id !== id) });
  },

  async loadSettings() {
    try {
      set({ settings: await client.call('settings.get', {}) });
    } catch (e) {
      get().pushNotice({ level: 'warning', message: `Settings could not be read: ${toWireError(e).message}`, hint: toWireError(e).hint });
    }
  },

  async patchSettings(patch) {
    const before = get().settings;
    if (before) set({ settings: { ...before, ...patch } });
    try {
      set({ settings: await client.call('settings.set', { patch }) });
    } catch (e) {
      set({ settings: before });
      const w = toWireError(e);
      get().pushNotice({ level: 'warning', message: `Settings could not be saved: ${w.message}`, hint: w.hint });
    }
  },
});
