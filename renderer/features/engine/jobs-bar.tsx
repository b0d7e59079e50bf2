/**
 * Progress of every long step (ingest, model load, prefill, decode): label, stage, a progress
 * bar with percentage, ETA, and Cancel (job.cancel). Jobs come from the jobs slice.
 */

import { useShallow } from 'zustand/react/shallow';
import type { ProgressStage } from '../../../engine/service/contract.ts';
import { formatPercent } from '../../components/format.ts';
import { useApp } from '../../store/react.ts';
import { formatEta, jobFraction, type JobView } from '../../store/jobs-slice.ts';

const STAGE: Record<ProgressStage, string> = {
  ingest: 'reading',
  'model-load': 'loading weights',
  prefill: 'reading the documents (prefill)',
  decode: 'writing the answer',
  'snapshot-save': 'saving the KV snapshot',
  'snapshot-restore': 'restoring the KV snapshot',
  tokenize: 'tokenizing',
};

export function JobsBar() {
  const jobs = useApp(useShallow((s) => Object.values(s.jobs)));
  if (jobs.length === 0) return null;
  return (
    <div className="jobs-bar" aria-label="Running tasks">
      {jobs.map((j) => (
        <JobRow key={j.id} job={j} />
      ))}
    </div>
  );
}

function JobRow({ job }: { job: JobView }) {
  const cancel = useApp((s) => s.cancelJob);
  // Once an answer streams, its tokens are the progress (against the max-tokens setting, if any).
  const decoding = useApp((s) => (s.streaming && s.streaming.jobId === job.id && s.streaming.tokens > 0 ? s.streaming : null));
  const maxTokens = useApp((s) => s.settings?.generation.maxTokens ?? null);
  const shown: JobView = decoding ? { ...job, stage: 'decode', done: decoding.tokens, total: maxTokens ?? 0, unit: 'tokens', etaMs: maxTokens && decoding.tokensPerSecond > 0 ? ((maxTokens - decoding.tokens) / decoding.tokensPerSecond) * 1000 : null } : job;
  const f = jobFraction(shown);
  const eta = f !== null && f < 1 ? formatEta(shown.etaMs) : null;
  const count = shown.total > 0 ? `${shown.done.toLocaleString('en-US')} / ${shown.total.toLocaleString('en-US')} ${shown.unit ?? ''}` : decoding ? `${decoding.tokens} tokens` : null;
  const detail = [shown.stage ? STAGE[shown.stage] : 'starting', count, decoding ? `${decoding.tokensPerSecond.toFixed(1)} tok/s` : null, eta ? `about ${eta} left` : null]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className="job" data-testid="job" data-stage={shown.stage ?? ''}>
      <div className="job-text">
        <span className="job-label">{job.label}</span>
        <span className="job-detail muted">{decoding ? detail : (job.message ?? detail)}</span>
      </div>
      <div className="progress" role="progressbar" aria-label={job.label} aria-valuemin={0} aria-valuemax={100} {...(f !== null ? { 'aria-valuenow': Math.round(f * 100) } : {})}>
        <div className={`progress-fill${f === null ? ' indeterminate' : ''}`} style={f !== null ? { width: `${f * 100}%` } : undefined} />
      </div>
      <span className="job-percent" data-testid="job-percent">
        {f !== null ? formatPercent(f) : '…'}
      </span>
      <button type="button" className="btn btn-small" onClick={() => void cancel(job.id)} disabled={job.cancelling} data-testid="job-cancel">
        {job.cancelling ? 'Cancelling…' : 'Cancel'}
      </button>
    </div>
  );
}
