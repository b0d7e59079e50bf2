/**
 * The Engine panel: everything `engine.status` reports: the GPU adapter (name, vendor, backend,
 * fallback or not), its optional features, its limits, the GPU error with its hint when there
 * is no adapter, the engine and contract versions and the model state.
 */

import { useApp } from '../../store/react.ts';
import { formatBytes } from '../../components/format.ts';
import { ErrorBox } from '../../components/error-box.tsx';

const LIMIT_LABELS: Record<string, string> = {
  maxBufferSize: 'Max buffer size',
  maxStorageBufferBindingSize: 'Max storage binding',
  maxComputeWorkgroupStorageSize: 'Workgroup storage',
  maxComputeInvocationsPerWorkgroup: 'Invocations / workgroup',
  maxComputeWorkgroupSizeX: 'Workgroup size X',
  maxComputeWorkgroupsPerDimension: 'Workgroups / dimension',
  maxStorageBuffersPerShaderStage: 'Storage buffers / stage',
  minStorageBufferOffsetAlignment: 'Storage offset alignment',
};
const BYTE_LIMITS = new Set(['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize']);

export function EnginePanel() {
  const status = useApp((s) => s.status);
  const statusError = useApp((s) => s.statusError);
  const connection = useApp((s) => s.connection);
  const refresh = useApp((s) => s.refreshStatus);
  if (!status) {
    return (
      <section className="panel-body" aria-label="Engine">
        {statusError ? <ErrorBox error={statusError} /> : <p className="muted">{connection === 'closed' ? 'The connection to the engine is closed.' : 'Asking the engine for its status…'}</p>}
      </section>
    );
  }
  const gpu = status.gpu;
  return (
    <section className="panel-body engine-panel" aria-label="Engine">
      <h2 className="panel-title">GPU</h2>
      {gpu ? (
        <dl className="kv-list" data-testid="engine-gpu">
          <dt>Adapter</dt>
          <dd data-testid="engine-adapter">{gpu.adapterName}</dd>
          <dt>Vendor</dt>
          <dd>{gpu.vendor || '—'}</dd>
          <dt>Architecture</dt>
          <dd>{gpu.architecture || '—'}</dd>
          <dt>Backend</dt>
          <dd>{gpu.backend}{gpu.isFallbackAdapter ? ' (software fallback)' : ''}</dd>
          {gpu.subgroupMinSize !== undefined && (
            <>
              <dt>Subgroup size</dt>
              <dd>{gpu.subgroupMinSize === gpu.subgroupMaxSize ? gpu.subgroupMinSize : `${gpu.subgroupMinSize}–${gpu.subgroupMaxSize}`}</dd>
            </>
          )}
        </dl>
      ) : (
        <>
          <p>No GPU adapter is available; models cannot run.</p>
          {status.gpuError && <ErrorBox error={status.gpuError} />}
        </>
      )}
      {gpu && (
        <>
          <h2 className="panel-title">Features ({gpu.features.length})</h2>
          <ul className="chip-list" data-testid="engine-features">
            {gpu.features.length === 0 && <li className="muted">none</li>}
            {[...gpu.features].sort().map((f) => (
              <li key={f} className="chip">
                {f}
              </li>
            ))}
          </ul>
          <h2 className="panel-title">Limits</h2>
          <dl className="kv-list" data-testid="engine-limits">
            {Object.entries(gpu.limits).map(([k, v]) => (
              <div key={k} className="kv-row">
                <dt>{LIMIT_LABELS[k] ?? k}</dt>
                <dd>{BYTE_LIMITS.has(k) ? `${formatBytes(v)}` : v.toLocaleString('en-US')}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <h2 className="panel-title">Engine</h2>
      <dl className="kv-list">
        <dt>Version</dt>
        <dd>{status.engineVersion}</dd>
        <dt>Contract</dt>
        <dd>v{status.contractVersion}</dd>
        <dt>Model</dt>
        <dd>{status.model ? status.model.name : status.modelState}</dd>
        <dt>Connection</dt>
        <dd>{connection}</dd>
      </dl>
      <button type="button" className="btn" onClick={() => void refresh()}>
        Refresh
      </button>
    </section>
  );
}
