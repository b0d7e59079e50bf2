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
  const f = jobFraction(job);
  const eta = formatEta(job.etaMs);
  const detail = [job.stage ? STAGE[job.stage] : 'starting', job.total > 0 ? `${job.done.toLocaleString('en-US')} / ${job.total.toLocaleString('en-US')} ${job.unit ?? ''}` : null, eta ? `about ${eta} left` : null]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className="job" data-testid="job" data-stage={job.stage ?? ''}>
      <div className="job-text">
        <span className="job-label">{job.label}</span>
        <span className="job-detail muted">{job.message ?? detail}</span>
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
