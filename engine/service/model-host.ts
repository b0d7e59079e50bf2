/**
 * ModelHost: owns the loaded model and its one generation session inside the engine host, runs
 * generations one at a time (the GPU has one queue), and records KV-cache occupancy by tier for
 * the inspector. Wraps the runtime API of engine/decode (modelInspect / modelLoad /
 * sessionCreate); the session keeps the KV cache of the last prompt, so a follow-up question
 * about the same document reuses the document's prefill. KV samples (pages per tier: GPU, RAM,
 * disk; engine/kv/kv-tiers.ts) are taken after each load / generation and every
 * KV_SAMPLE_MS while a generation runs, so the inspector sees layers leave the GPU mid-prefill.
 */
import { LongreadError } from '../errors.ts';
import type { Gpu } from '../gpu/device.ts';
import { modelInspect, modelLoad, sessionCreate, type GenerateRequest, type GenerateResult, type LoadedModel, type Session } from '../decode/index.ts';
import type { KvTierSample, ModelInfo, TelemetryEvent } from './contract.ts';
import type { RequestContext } from './server.ts';
import { bundledModelPath } from './version.ts';
import { modelFileIdentity } from '../kv/snapshot-file.ts';
import { kvTierCounts } from '../kv/kv-tiers.ts';

const KV_PAGE_TOKENS = 64;
const MAX_KV_SAMPLES = 600;
const KV_SAMPLE_MS = 1000;

export class ModelHost {
  info: ModelInfo | null = null;
  state: 'none' | 'loading' | 'ready' | 'error' = 'none';
  onTelemetry: (e: TelemetryEvent) => void = () => undefined;
  /** Content identity of the loaded file (size + head/tail hash), part of KV snapshot keys. */
  identity: string | null = null;
  private model: LoadedModel | null = null;
  private session: Session | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly kvSamples: KvTierSample[] = [];

  constructor(
    private readonly gpu: () => Gpu | null,
    private readonly changed: () => void,
  ) {}

  async inspect(path: string): Promise<ModelInfo> {
    const info = await modelInspect(path);
    return { ...info, bundled: path === bundledModelPath() };
  }

  get loaded(): LoadedModel {
    if (!this.model || !this.session) {
      throw new LongreadError('model-not-loaded', 'No model is loaded.', 'Open the Models panel and load a model (the bundled one is the default).');
    }
    return this.model;
  }

  /** `vramBudgetBytes`: the KV cache's GPU budget (Settings); null / undefined: probed (engine/kv/kv-planner.ts). */
  async load(path: string, contextLength: number | undefined, ctx: RequestContext | undefined, vramBudgetBytes?: number | null): Promise<ModelInfo> {
    const gpu = this.gpu();
    if (!gpu) throw new LongreadError('gpu-unavailable', 'No GPU device is available to load the model.', 'See the engine status for the GPU error and its hint.');
    return this.exclusive(async () => {
      this.unload();
      this.state = 'loading';
      this.changed();
      const started = Date.now();
      try {
        const model = await modelLoad(gpu, path, {
          ...(contextLength ? { contextLength } : {}),
          ...(ctx ? { signal: ctx.signal } : {}),
          vramBudgetBytes: vramBudgetBytes ?? null,
          onProgress: (done, total) => {
            if (!ctx) return;
            const elapsed = Date.now() - started;
            ctx.progress({ stage: 'model-load', done, total, unit: 'bytes', ...(done > 0 ? { etaMs: Math.round((elapsed * (total - done)) / done) } : {}) });
          },
        });
        this.identity = await modelFileIdentity(path);
        this.model = model;
        this.session = sessionCreate(model);
        this.info = { ...model.info, bundled: path === bundledModelPath() };
        this.state = 'ready';
        this.recordKv();
        return this.info;
      } catch (e) {
        this.state = e instanceof LongreadError && e.code === 'cancelled' ? 'none' : 'error';
        throw e;
      } finally {
        this.changed();
      }
    });
  }

  /** Runs one generation on the loaded model (serialised with loads and other generations). */
  generate(req: GenerateRequest): Promise<GenerateResult> {
    return this.withSession(({ session }) => session.generate(req));
  }

  /** Exclusive use of the model and its session (snapshot restore + generate + save as one unit). */
  withSession<T>(work: (m: { model: LoadedModel; session: Session; identity: string }) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const model = this.loaded;
      const timer = setInterval(() => this.recordKv(), KV_SAMPLE_MS);
      try {
        return await work({ model, session: this.session!, identity: this.identity ?? '' });
      } finally {
        clearInterval(timer);
        this.recordKv();
      }
    });
  }

  /** Tokens whose K/V sit in the session's cache. */
  cachedTokens(): readonly number[] {
    return this.session?.cachedTokens ?? [];
  }

  unload(): void {
    this.session?.reset();
    this.model?.dispose();
    this.model = null;
    this.session = null;
    this.info = null;
    this.identity = null;
    this.state = 'none';
    this.recordKv();
  }

  onDeviceLost(): void {
    this.model = null;
    this.session = null;
    this.info = null;
    this.state = 'error';
  }

  kvHistory(): KvTierSample[] {
    return this.kvSamples.slice();
  }

  /** KV occupancy by tier: pages mapped in the cache, by where they live now. */
  private recordKv(): void {
    const info = this.info;
    const counts = this.model ? kvTierCounts(this.model.kv) : { gpuPages: 0, ramPages: 0, diskPages: 0 };
    const sample: KvTierSample = {
      t: Date.now(),
      ...counts,
      pageTokens: KV_PAGE_TOKENS,
      bytesPerPage: info ? KV_PAGE_TOKENS * info.headDim * 2 * 2 : 0,
    };
    this.kvSamples.push(sample);
    if (this.kvSamples.length > MAX_KV_SAMPLES) this.kvSamples.splice(0, this.kvSamples.length - MAX_KV_SAMPLES);
    this.onTelemetry({ tap: 'kv_pages', sample });
    if (info) this.onTelemetry({ tap: 'sparsity', sample: { perLayer: new Array<number>(info.layers).fill(0), mode: 'dense' } });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => undefined).then(work);
    this.queue = run;
    return run;
  }
}
