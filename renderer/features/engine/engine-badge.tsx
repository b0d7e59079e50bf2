/**
 * The engine status in the header: GPU adapter name (data-testid="adapter-name", read by the
 * end-to-end tests), connection state and model state. Clicking opens the Engine panel.
 */

import { useApp } from '../../store/react.ts';

export function EngineBadge() {
  const status = useApp((s) => s.status);
  const connection = useApp((s) => s.connection);
  const setPanel = useApp((s) => s.setPanel);
  const adapter = status?.gpu?.adapterName ?? (status ? 'No GPU' : connection === 'closed' ? 'Disconnected' : 'Connecting…');
  const dot = connection === 'closed' || (status && !status.gpu) ? 'bad' : status ? 'ok' : 'wait';
  const model = status?.model ? status.model.name : status?.modelState === 'loading' ? 'Loading model…' : 'No model';
  return (
    <button type="button" className="engine-badge" onClick={() => setPanel('engine')} title="Engine status: adapter, features, limits">
      <span className={`dot dot-${dot}`} aria-hidden="true" />
      <span className="engine-badge-adapter" data-testid="adapter-name">
        {adapter}
      </span>
      <span className="engine-badge-sep" aria-hidden="true">
        ·
      </span>
      <span className="engine-badge-model" data-testid="model-name">
        {model}
      </span>
    </button>
  );
}
