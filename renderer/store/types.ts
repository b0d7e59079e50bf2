/**
 * Shared types of the app store: the combined state, the slice-creator signature and the
 * dependencies every slice receives (the EngineClient, the only way to reach the engine).
 *
 * Extend: add a slice file exporting `XSlice` + `createXSlice: SliceCreator<XSlice>`, add it
 * to `AppState` here and to `createAppStore` in store.ts.
 */

import type { StoreApi } from 'zustand/vanilla';
import type { EngineClient } from '../../engine/service/client.ts';
import type { ChatSlice } from './chat-slice.ts';
import type { DocumentsSlice } from './documents-slice.ts';
import type { EngineSlice } from './engine-slice.ts';
import type { InspectorSlice } from './inspector-slice.ts';
import type { JobsSlice } from './jobs-slice.ts';
import type { ModelsSlice } from './models-slice.ts';
import type { UiSlice } from './ui-slice.ts';

export type AppState = EngineSlice & JobsSlice & DocumentsSlice & ChatSlice & InspectorSlice & ModelsSlice & UiSlice;

export interface StoreDeps {
  client: EngineClient;
  /** Clock for rates and ETAs; tests pass a fake one. */
  now: () => number;
}

export type SetState = StoreApi<AppState>['setState'];
export type GetState = StoreApi<AppState>['getState'];
export type SliceCreator<T> = (set: SetState, get: GetState, deps: StoreDeps) => T;
export type AppStore = StoreApi<AppState>;
