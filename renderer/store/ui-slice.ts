/**
 * UI slice: view state that is not engine state: which side panel is open and the effective
 * theme. The theme choice itself is a persisted setting (engine slice); `resolveTheme` maps
 * 'system' to light/dark from the OS preference.
 */

import type { Theme } from '../../engine/service/contract.ts';
import type { SliceCreator } from './types.ts';

export type PanelId = 'chat' | 'inspector' | 'models' | 'engine';
export const PANELS: readonly PanelId[] = ['chat', 'inspector', 'models', 'engine'];

export interface UiSlice {
  panel: PanelId;
  setPanel(p: PanelId): void;
}

export function resolveTheme(theme: Theme | undefined, prefersDark: boolean): 'light' | 'dark' {
  if (theme === 'light' || theme === 'dark') return theme;
  return prefersDark ? 'dark' : 'light';
}

export const createUiSlice: SliceCreator<UiSlice> = (set) => ({
  panel: 'chat',
  setPanel(panel) {
    set({ panel });
  },
});
