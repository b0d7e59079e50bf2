/**
 * GPU timing for benchmarks: a per-pass breakdown through timestamp-query when the device has
 * it, wall clock around submit otherwise.
 *
 *   const t = new GpuTimer(device, gpu.hasTimestamps);
 *   const enc = device.createCommandEncoder();
 *   const pass = t.beginPass(enc, 'rmsnorm');   // one compute pass per timed dispatch
 *   ...; pass.end();
 *   t.resolve(enc); device.queue.submit([enc.finish()]);
 *   const rows = await t.read();                // [{ label, ms }], ms = NaN without timestamps
 *
 * `GpuTimer.wall(device, fn)` times a whole submit (fn records and submits) to the completion
 * of the queue's work. Extend: add columns to `TimingRow`, not new classes.
 */

export interface TimingRow {
  label: string;
  ms: number;
}

export class GpuTimer {
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuf: GPUBuffer | null;
  private readonly labels: string[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly enabled: boolean,
    readonly capacity = 256,
  ) {
    if (enabled) {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: capacity * 2 });
      this.resolveBuf = device.createBuffer({ size: capacity * 16, usage: 0x0200 | 0x04 }); // QUERY_RESOLVE | COPY_SRC
    } else {
      this.querySet = null;
      this.resolveBuf = null;
    }
  }

  /** Begins a compute pass whose duration is recorded under `label` (an untimed pass when full or disabled). */
  beginPass(encoder: GPUCommandEncoder, label: string): GPUComputePassEncoder {
    if (!this.querySet || this.labels.length >= this.capacity) return encoder.beginComputePass({ label });
    const i = this.labels.length;
    this.labels.push(label);
    return encoder.beginComputePass({
      label,
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
  }

  /** Records the query resolve; call once, after the last timed pass, before finish(). */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.querySet || !this.resolveBuf || !this.labels.length) return;
    encoder.resolveQuerySet(this.querySet, 0, this.labels.length * 2, this.resolveBuf, 0);
  }

  /** Reads the durations of the passes begun since the last read, and resets. */
  async read(): Promise<TimingRow[]> {
    const labels = this.labels.splice(0);
    if (!this.resolveBuf || !labels.length) return labels.map((label) => ({ label, ms: NaN }));
    const n = labels.length * 16;
    const staging = this.device.createBuffer({ size: n, usage: 0x01 | 0x08 });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.resolveBuf, 0, staging, 0, n);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(0x0001);
    const ts = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return labels.map((label, i) => ({ label, ms: Number(ts[2 * i + 1]! - ts[2 * i]!) / 1e6 }));
  }

  /** Wall-clock milliseconds from before `fn` (which records and submits) to queue completion. */
  static async wall(device: GPUDevice, fn: () => void): Promise<number> {
    const t0 = performance.now();
    fn();
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  }

  dispose(): void {
    this.querySet?.destroy();
    this.resolveBuf?.destroy();
  }
}
