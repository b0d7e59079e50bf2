import { describe, expect, it } from 'vitest';
import { fail } from './fake-transport.ts';
import { formatEta, jobFraction } from './jobs-slice.ts';
import { flush, setup, docInfo } from './fixtures.ts';

describe('jobs slice', () => {
  it('tracks progress, estimates the ETA from the rate, and removes the job when done', async () => {
    const { engine, store, clock } = setup();
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    engine.on('document.ingest', async (_p, ctx) => {
      ctx.emit('progress', { jobId: ctx.jobId, stage: 'ingest', done: 0, total: 100, unit: 'pages' });
      await gate;
      return docInfo('d1');
    });
    const result = store.getState().runJob('document.ingest', { source: { kind: 'path', path: '/x.pdf' } }, { label: 'Reading x.pdf' });
    await flush();
    const [job] = Object.values(store.getState().jobs);
    expect(job).toMatchObject({ label: 'Reading x.pdf', stage: 'ingest', done: 0, total: 100, etaMs: null });
    clock.advance(2000);
    engine.emit('progress', { jobId: job!.id, stage: 'ingest', done: 25, total: 100, unit: 'pages' });
    const j2 = store.getState().jobs[job!.id]!;
    expect(jobFraction(j2)).toBe(0.25);
    expect(j2.etaMs).toBe(6000);
    engine.emit('progress', { jobId: job!.id, stage: 'ingest', done: 50, total: 100, unit: 'pages', etaMs: 1234 });
    expect(store.getState().jobs[job!.id]!.etaMs).toBe(1234);
    finish();
    await expect(result).resolves.toMatchObject({ id: 'd1' });
    expect(store.getState().jobs).toEqual({});
  });

  it('cancel sends job.cancel with the job id and the call rejects as cancelled', async () => {
    const { engine, store } = setup();
    engine.on('model.load', async (_p, ctx) => {
      await ctx.cancelled;
      throw fail('cancelled', 'Loading was cancelled.');
    });
    const result = store.getState().runJob('model.load', {}, { label: 'Loading' });
    await flush();
    const id = Object.keys(store.getState().jobs)[0]!;
    await store.getState().cancelJob(id);
    expect(engine.calls('job.cancel')[0]!.params).toEqual({ jobId: id });
    await expect(result).rejects.toMatchObject({ code: 'cancelled' });
    expect(store.getState().jobs).toEqual({});
  });

  it('formats ETAs for people', () => {
    expect(formatEta(null)).toBeNull();
    expect(formatEta(12_400)).toBe('12 s');
    expect(formatEta(185_000)).toBe('3 min 5 s');
    expect(formatEta(3_720_000)).toBe('1 h 2 min');
    expect(jobFraction({ done: 3, total: 0 })).toBeNull();
  });
});
