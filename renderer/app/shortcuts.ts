/**
 * Window-wide keyboard shortcuts: Escape stops a running generation (from anywhere); "/" moves
 * focus to the question box (unless the user is typing in a field). Add a shortcut here with a
 * guard that it never fires while typing text.
 */

import { useEffect } from 'react';
import { useAppStore } from '../store/react.ts';

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function useShortcuts(): void {
  const store = useAppStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const s = store.getState();
      if (e.key === 'Escape' && s.streaming?.jobId) {
        e.preventDefault();
        void s.stop();
      } else if (e.key === '/' && !typing(e.target)) {
        if (s.panel !== 'chat') s.setPanel('chat');
        requestAnimationFrame(() => (document.querySelector('[data-testid="question"]') as HTMLTextAreaElement | null)?.focus());
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
}
