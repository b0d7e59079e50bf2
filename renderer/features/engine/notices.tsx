/**
 * Notices pushed by the engine (`notice` events) and by the store: a small stack in the corner,
 * announced to screen readers, each dismissible.
 */

import { useApp } from '../../store/react.ts';

export function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`}>
          <div className="notice-text">
            <p>{n.message}</p>
            {n.hint && <p className="notice-hint">{n.hint}</p>}
          </div>
          <button type="button" className="btn-icon" aria-label="Dismiss notice" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
