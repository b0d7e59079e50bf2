/**
 * Pipeline cache: one compute pipeline per (shader name, defines, entry point), created with
 * createComputePipelineAsync and reused; shader modules are cached per (name, defines).
 *
 * Compilation errors become `gpu-validation` LongreadErrors that quote the failing line of the
 * preprocessed source, so a bad `#define` variant is easy to find. Pipelines use layout 'auto':
 * bind groups are built from `pipeline.getBindGroupLayout(0)`.
 *
 * Extend: nothing to register; call `pipelines.get({ name, source, defines, entryPoint })`.
 */

import { LongreadError } from '../errors.ts';
import { wgslPreprocess, type WgslDefines } from './wgsl-loader.ts';

export interface ShaderSpec {
  /** File name for messages and keys, e.g. 'rmsnorm.wgsl'. */
  name: string;
  /** Raw source (imported as text); preprocessed here. */
  source: string;
  defines?: WgslDefines;
  entryPoint?: string;
}

function definesKey(d: WgslDefines | undefined): string {
  if (!d) return '';
  return Object.keys(d)
    .filter((k) => d[k] !== undefined && d[k] !== false)
    .sort()
    .map((k) => `${k}=${String(d[k])}`)
    .join(',');
}

function pipelineKey(spec: ShaderSpec, entryPoint: string): string {
  return `${spec.name}|${definesKey(spec.defines)}|${entryPoint}`;
}

export class PipelineCache {
  private readonly modules = new Map<string, { module: GPUShaderModule; code: string; checked: Promise<void> }>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly syncPipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice) {}

  /** Number of distinct pipelines created so far (tests check reuse). */
  get size(): number {
    return this.pipelines.size;
  }

  /** The preprocessed WGSL of a spec (for debugging and tests). */
  code(spec: ShaderSpec): string {
    return wgslPreprocess(spec.name, spec.source, spec.defines);
  }

  private module(spec: ShaderSpec): { module: GPUShaderModule; code: string; checked: Promise<void> } {
    const key = `${spec.name}|${definesKey(spec.defines)}`;
    let m = this.modules.get(key);
    if (!m) {
      const code = wgslPreprocess(spec.name, spec.source, spec.defines);
      const module = this.device.createShaderModule({ code, label: key });
      const checked = module.getCompilationInfo().then((info) => {
        const errors = info.messages.filter((x) => x.type === 'error');
        if (!errors.length) return;
        const lines = code.split('\n');
        const text = errors
          .map((e) => `${spec.name} (preprocessed) line ${e.lineNum}:${e.linePos}: ${e.message}\n    ${lines[e.lineNum - 1]?.trim() ?? ''}`)
          .join('\n');
        throw new LongreadError('gpu-validation', `WGSL compilation failed for ${key}:\n${text}`, 'This is a bug in the shader or its defines; fix the line quoted.', {
          shader: spec.name,
          defines: definesKey(spec.defines),
        });
      });
      m = { module, code, checked };
      this.modules.set(key, m);
    }
    return m;
  }

  /** The pipeline for `spec`, compiled once (concurrent callers share the same promise). */
  get(spec: ShaderSpec): Promise<GPUComputePipeline> {
    const entryPoint = spec.entryPoint ?? 'main';
    const key = pipelineKey(spec, entryPoint);
    let p = this.pipelines.get(key);
    if (!p) {
      const m = this.module(spec);
      p = m.checked.then(async () => {
        try {
          return await this.device.createComputePipelineAsync({ layout: 'auto', compute: { module: m.module, entryPoint }, label: key });
        } catch (e) {
          throw new LongreadError('gpu-validation', `Creating pipeline ${key} failed: ${(e as Error).message}`, 'This is a bug in the shader or its defines.', {
            shader: spec.name,
            entryPoint,
          });
        }
      });
      // A failed compile must not stay cached as a rejected promise forever.
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * The pipeline for `spec`, created synchronously (createComputePipeline) when not cached: for
   * variants needed only occasionally, decided at encode time. Compile errors then surface as
   * device validation errors, not exceptions, so prefer `get` where an await is possible.
   */
  getSync(spec: ShaderSpec): GPUComputePipeline {
    const entryPoint = spec.entryPoint ?? 'main';
    const key = `${pipelineKey(spec, entryPoint)}|sync`;
    let p = this.syncPipelines.get(key);
    if (!p) {
      const m = this.module(spec);
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module: m.module, entryPoint }, label: key });
      this.syncPipelines.set(key, p);
    }
    return p;
  }

  clear(): void {
    this.syncPipelines.clear();
    this.modules.clear();
    this.pipelines.clear();
  }
}
