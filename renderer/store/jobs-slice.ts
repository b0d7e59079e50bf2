/**
 * Jobs slice: every long step the user waits for (ingest, model load, prefill, decode) with its
 * percentage, ETA and a cancel action. `runJob` wraps a contract call: it registers the job
 * under its request id (= the engine's job id), feeds progress events into it, and removes it
 * when the call settles. Cancelling sends `job.cancel` with that id.
 *
 * ETA: the engine's `etaMs` when it sends one, else estimated here from the observed rate.
 */

import type { MethodName, ParamsOf, ProgressEvent, ProgressStage, ResultOf, TokenEvent } from '../../engine/service/contract.ts';
import type { SliceCreator } from './types.ts';

export interface JobView {
  id: string;
  method: MethodName;
  label: string;
  stage: ProgressStage | null;
  done: number;
  total: number;
  unit: ProgressEvent['unit'] | null;
  etaMs: number | null;
  message: string | null;
  startedAt: number;
  /** When the current stage started (rate estimates restart per stage). */
  stageStartedAt: number;
  cancelling: boolean;
}

export interface RunJobOptions {
  label: string;
  onToken?: (e: TokenEvent) => void;
  onStart?: (jobId: string) => void;
}

export interface JobsSlice {
  jobs: Record<string, JobView>;
  runJob<M extends MethodName>(method: M, params: ParamsOf<M>, opts: RunJobOptions): Promise<ResultOf<M>>;
  cancelJob(id: string): Promise<void>;
}

/** 0..1 fraction of a job, or null while the total is unknown. */
export function jobFraction(j: Pick<JobView, 'done' | 'total'>): number | null {
  if (!(j.total > 0)) return null;
  return Math.min(1, Math.max(0, j.done / j.total));
}

/** Human ETA: "12 s", "3 min 5 s", "1 h 2 min"; null when unknown. */
export function formatEta(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return null;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const createJobsSlice: SliceCreator<JobsSlice> = (set, get, { client, now }) => ({
  jobs: {},

  runJob(method, params, opts) {
    const startedAt = now();
    const update = (id: string, patch: Partial<JobView>) => {
      const cur = get().jobs[id];
      if (cur) set({ jobs: { ...get().jobs, [id]: { ...cur, ...patch } } });
    };
    const job = client.start(method, params, {
      onProgress: (p) => {
        const cur = get().jobs[job.id];
        if (!cur) return;
        const t = now();
        const stageStartedAt = cur.stage === p.stage ? cur.stageStartedAt : t;
        let etaMs = p.etaMs ?? null;
        if (etaMs === null && p.total > 0 && p.done > 0 && cur.stage === p.stage) {
          const elapsed = t - stageStartedAt;
          if (elapsed > 0) etaMs = (elapsed / p.done) * (p.total - p.done);
        }
        update(job.id, { stage: p.stage, done: p.done, total: p.total, unit: p.unit, etaMs, message: p.message ?? null, stageStartedAt });
      },
      ...(opts.onToken ? { onToken: opts.onToken } : {}),
    });
    set({
      jobs: {
        ...get().jobs,
        [job.id]: { id: job.id, method, label: opts.label, stage: null, done: 0, total: 0, unit: null, etaMs: null, message: null, startedAt, stageStartedAt: startedAt, cancelling: false },
      },
    });
    opts.onStart?.(job.id);
    const remove = () => {
      const rest = { ...get().jobs };
      delete rest[job.id];
      set({ jobs: rest });
    };
    return job.result.finally(remove);
  },

  async cancelJob(id) {
    const cur = get().jobs[id];
    if (!cur || cur.cancelling) return;
    set({ jobs: { ...get().jobs, [id]: { ...cur, cancelling: true } } });
    await client.call('job.cancel', { jobId: id }).catch(() => undefined);
  },
});
