/**
 * Test helper: renders a component to static HTML inside a StoreContext, so component tests
 * check what a person would see for a given store state (no DOM needed). Not used by the app.
 */

import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { StoreContext } from './react.ts';
import type { AppStore } from './types.ts';

export function renderWithStore(store: AppStore, node: ReactNode): string {
  // Server rendering reads zustand's server snapshot (getInitialState); point it at the current state.
  const current: AppStore = { ...store, getInitialState: () => store.getState() };
  return renderToStaticMarkup(<StoreContext.Provider value={current}>{node}</StoreContext.Provider>);
}

/** Visible text of rendered HTML (tags dropped, entities decoded, whitespace collapsed). */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
