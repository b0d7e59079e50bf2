/**
 * ModelHost: owns the loaded model and its generation session inside the engine host, and the
 * KV-tier history for the inspector. Wired to the runtime (engine/models, engine/decode).
 */
import { LongreadError } from '../errors.ts';
import type { Gpu } from '../gpu/device.ts';
import type { KvTierSample, ModelInfo, TelemetryEvent } from './contract.ts';
import type { RequestContext } from './server.ts';

export class ModelHost {
  info: ModelInfo | null = null;
  state: 'none' | 'loading' | 'ready' | 'error' = 'none';
  onTelemetry: (e: TelemetryEvent) => void = () => undefined;
  private readonly kvSamples: KvTierSample[] = [];

  constructor(
    private readonly gpu: () => Gpu | null,
    private readonly changed: () => void,
  ) {}

  async inspect(path: string): Promise<ModelInfo> {
    throw new LongreadError('model-unsupported', `Cannot inspect ${path}: the runtime is not wired yet.`, 'Update Longread.');
  }

  async load(path: string, _contextLength: number | undefined, _ctx: RequestContext | undefined): Promise<ModelInfo> {
    if (!this.gpu()) throw new LongreadError('gpu-unavailable', 'No GPU device is available to load the model.', 'See the engine status for the GPU error and its hint.');
    this.changed();
    throw new LongreadError('model-unsupported', `Cannot load ${path}: the runtime is not wired yet.`, 'Update Longread.');
  }

  unload(): void {
    this.info = null;
    this.state = 'none';
    this.changed();
  }

  onDeviceLost(): void {
    this.info = null;
    this.state = 'error';
  }

  kvHistory(): KvTierSample[] {
    return this.kvSamples.slice();
  }
}
