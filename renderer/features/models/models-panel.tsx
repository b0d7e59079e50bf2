/**
 * Models: the loaded model (architecture, quantization, context, memory), the bundled model as
 * the default, and any other GGUF file opened by path (model.inspect first, to show what it
 * is and what it needs, then model.load with progress in the jobs bar). Unload frees the GPU.
 */

import { useState, type FormEvent } from 'react';
import type { ModelInfo } from '../../../engine/service/contract.ts';
import { ErrorBox } from '../../components/error-box.tsx';
import { formatBytes, formatCount } from '../../components/format.ts';
import { nativeVerbs } from '../../bridge/transport.ts';
import { useApp } from '../../store/react.ts';

export function ModelsPanel() {
  const status = useApp((s) => s.status);
  const loading = useApp((s) => Object.values(s.jobs).some((j) => j.method === 'model.load'));
  const error = useApp((s) => s.modelError);
  const candidate = useApp((s) => s.candidate);
  const path = useApp((s) => s.candidatePath);
  const setPath = useApp((s) => s.setCandidatePath);
  const inspect = useApp((s) => s.inspectModel);
  const inspecting = useApp((s) => s.inspecting);
  const load = useApp((s) => s.loadModel);
  const unload = useApp((s) => s.unloadModel);
  const [ctx, setCtx] = useState('');
  const native = nativeVerbs(window);

  const model = status?.model ?? null;
  const bundled = status?.bundledModelPath ?? null;
  const onInspect = (e: FormEvent) => {
    e.preventDefault();
    void inspect(path);
  };
  const contextLength = Number(ctx) > 0 ? Number(ctx) : undefined;

  return (
    <section className="panel-body models" aria-label="Models" data-testid="models">
      <h2 className="panel-title">Loaded model</h2>
      {model ? (
        <>
          <ModelCard info={model} testId="loaded-model" />
          <button type="button" className="btn" onClick={() => void unload()} disabled={loading}>
            Unload
          </button>
        </>
      ) : (
        <div>
          <p className="muted">{status?.modelState === 'loading' || loading ? 'Loading…' : 'No model is loaded.'}</p>
          {bundled ? (
            <button type="button" className="btn-primary" onClick={() => void load(undefined, contextLength)} disabled={loading || !status?.gpu} data-testid="load-bundled">
              Load the bundled model
            </button>
          ) : (
            <p className="muted small">No bundled model is installed; open a GGUF file below.</p>
          )}
        </div>
      )}
      {error && <ErrorBox error={error} />}

      <h2 className="panel-title">Open a GGUF file</h2>
      <form className="model-open" onSubmit={onInspect}>
        <input type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/model.gguf" aria-label="Path of a GGUF model file on this machine" data-testid="model-path" />
        {native && (
          <button
            type="button"
            className="btn"
            onClick={() =>
              void native.openModelDialog().then((p) => {
                if (p) {
                  setPath(p);
                  void inspect(p);
                }
              })
            }
          >
            Browse…
          </button>
        )}
        <button type="submit" className="btn" disabled={!path.trim() || inspecting} data-testid="model-inspect">
          {inspecting ? 'Reading…' : 'Inspect'}
        </button>
      </form>
      <label className="model-ctx">
        Context length{' '}
        <input type="text" inputMode="numeric" size={14} value={ctx} onChange={(e) => setCtx(e.target.value.replace(/\D/g, ''))} placeholder="model default" aria-label="Context length to allocate (tokens); empty for the model default" />
      </label>
      {candidate && (
        <>
          <ModelCard info={candidate} testId="candidate-model" />
          <button type="button" className="btn-primary" onClick={() => void load(candidate.path, contextLength)} disabled={loading || !status?.gpu} data-testid="load-candidate">
            Load {candidate.name}
          </button>
        </>
      )}
      <GenerationSettings />
    </section>
  );
}

function ModelCard({ info, testId }: { info: ModelInfo; testId: string }) {
  const m = info.memory;
  return (
    <dl className="kv-list model-card" data-testid={testId}>
      <dt>Name</dt>
      <dd>{info.name}{info.bundled ? ' (bundled)' : ''}</dd>
      <dt>Architecture</dt>
      <dd data-testid="model-architecture">{info.architecture}</dd>
      <dt>Quantization</dt>
      <dd title={Object.entries(info.typeMix).map(([k, v]) => `${k}: ${v}`).join(', ')}>{info.quantization}</dd>
      <dt>Parameters</dt>
      <dd>{formatCount(info.parameterCount)}</dd>
      <dt>Context</dt>
      <dd>
        {info.loadedContextLength ? `${info.loadedContextLength.toLocaleString('en-US')} allocated of ` : ''}
        {info.contextLength.toLocaleString('en-US')} tokens
      </dd>
      <dt>Shape</dt>
      <dd>
        {info.layers} layers · {info.embeddingLength} wide · {info.heads} heads ({info.kvHeads} KV) · head {info.headDim}
      </dd>
      <dt>Tokenizer</dt>
      <dd>
        {info.tokenizer} · {formatCount(info.vocabSize)} tokens{info.hasChatTemplate ? ' · chat template' : ''}
      </dd>
      <dt>File</dt>
      <dd title={info.path}>{formatBytes(info.fileBytes)}</dd>
      <dt>GPU memory</dt>
      <dd data-testid="model-memory">
        {formatBytes(m.totalBytes)} = weights {formatBytes(m.weightsBytes)} + KV {formatBytes(m.kvBytes)} ({formatBytes(m.kvBytesPerToken)}/token) + activations {formatBytes(m.activationBytes)}
      </dd>
    </dl>
  );
}

/** Answer settings (persisted engine-side in settings.generation; sent with every question). */
function GenerationSettings() {
  const generation = useApp((s) => s.settings?.generation);
  const patch = useApp((s) => s.patchSettings);
  if (!generation) return null;
  const save = (key: 'maxTokens' | 'temperature', raw: string) => {
    const next = { ...generation };
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < 0) delete next[key];
    else next[key] = key === 'maxTokens' ? Math.max(1, Math.round(v)) : v;
    if (next[key] !== generation[key]) void patch({ generation: next });
  };
  return (
    <>
      <h2 className="panel-title">Answers</h2>
      <div className="gen-settings">
        <label>
          Max answer tokens{' '}
          <input
            key={`mt-${generation.maxTokens ?? ''}`}
            type="text"
            inputMode="numeric"
            size={6}
            defaultValue={generation.maxTokens ?? ''}
            placeholder="engine default"
            onBlur={(e) => save('maxTokens', e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && save('maxTokens', e.currentTarget.value)}
            data-testid="setting-max-tokens"
          />
        </label>
        <label>
          Temperature{' '}
          <input
            key={`t-${generation.temperature ?? ''}`}
            type="text"
            inputMode="decimal"
            size={5}
            defaultValue={generation.temperature ?? ''}
            placeholder="default"
            onBlur={(e) => save('temperature', e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && save('temperature', e.currentTarget.value)}
          />
        </label>
      </div>
    </>
  );
}
