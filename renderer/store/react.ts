/**
 * React binding of the app store: a context carrying the store instance and `useApp(selector)`
 * (zustand's useStore over it). Use `useShallow` from zustand/react/shallow when a selector
 * returns a new object or array.
 */

import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from './types.ts';

export const StoreContext = createContext<AppStore | null>(null);

export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp outside <StoreContext.Provider>');
  return store;
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), selector);
}
