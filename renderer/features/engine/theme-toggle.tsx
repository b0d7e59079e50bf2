/**
 * Theme choice (system / light / dark), persisted engine-side through settings.set.
 */

import type { Theme } from '../../../engine/service/contract.ts';
import { useApp } from '../../store/react.ts';

const ORDER: Theme[] = ['system', 'light', 'dark'];
const LABEL: Record<Theme, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };

export function ThemeToggle() {
  const theme = useApp((s) => s.settings?.theme ?? 'system');
  const patch = useApp((s) => s.patchSettings);
  const next = ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length]!;
  return (
    <button type="button" className="btn btn-ghost" data-testid="theme-toggle" onClick={() => void patch({ theme: next })} title={`Switch to ${next}`}>
      {LABEL[theme]}
    </button>
  );
}
