/**
 * Shows a WireError the way every failure should read: what happened, then what to do.
 */

import type { WireError } from '../../engine/errors.ts';

export function ErrorBox({ error, onDismiss }: { error: WireError; onDismiss?: () => void }) {
  return (
    <div className="error-box" role="alert" data-code={error.code}>
      <p className="error-message">{error.message}</p>
      {error.hint && <p className="error-hint">{error.hint}</p>}
      {onDismiss && (
        <button type="button" className="btn btn-small" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
