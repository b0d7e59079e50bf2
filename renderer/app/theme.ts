/**
 * Applies the theme setting to <html data-theme>: 'light' / 'dark', or the OS preference for
 * 'system' (and follows it when it changes). Styles read CSS variables keyed on data-theme.
 */

import { useEffect, useState } from 'react';
import { useApp } from '../store/react.ts';
import { resolveTheme } from '../store/ui-slice.ts';

export function useAppliedTheme(): 'light' | 'dark' {
  const theme = useApp((s) => s.settings?.theme);
  const [prefersDark, setPrefersDark] = useState(() => window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false);
  useEffect(() => {
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (!mq) return;
    const on = (e: MediaQueryListEvent) => setPrefersDark(e.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  const applied = resolveTheme(theme, prefersDark);
  useEffect(() => {
    document.documentElement.dataset.theme = applied;
  }, [applied]);
  return applied;
}
