/**
 * GPU adapter and device acquisition through Dawn (the `webgpu` package).
 *
 * - Requests the adapter's own limits (buffer sizes, workgroup storage...), not the defaults.
 * - Enables optional features when offered: subgroups, shader-f16, timestamp-query, and (with
 *   `unsafe: true`, Dawn's allow_unsafe_apis toggle) chromium-experimental-subgroup-matrix. The
 *   app, the CLI and the benches of its paths pass APP_GPU (unsafe), for the int8 prefill.
 * - Without an adapter, throws `gpu-unavailable` whose hint names the missing driver.
 * - Device loss is reported through `onLost`; `gpuScope` wraps work in out-of-memory and
 *   validation error scopes and turns them into typed errors.
 *
 * One Dawn instance per process (creating several leaks native threads); `gpuAcquire` caches it.
 */

import { createRequire } from 'node:module';
import type { GpuInfo, GpuLimitsInfo } from '../service/contract.ts';
import { LongreadError } from '../errors.ts';

export interface GpuOptions {
  /**
   * Enable Dawn's allow_unsafe_apis toggle (needed for subgroup matrices on NVIDIA) and turn off
   * its timestamp quantization (benchmarks: quantized timestamps on the H100 came in steps of
   * 65.5 us, too coarse for per-op decode profiles).
   */
  unsafe?: boolean;
  /** Prefer 'high-performance' (default) or 'low-power' adapters. */
  powerPreference?: GPUPowerPreference;
  /** Skip optional features (tests of fallbacks). */
  disableFeatures?: string[];
}

export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: GpuInfo;
  features: ReadonlySet<string>;
  hasSubgroups: boolean;
  hasF16: boolean;
  hasTimestamps: boolean;
  hasSubgroupMatrix: boolean;
  /** Resolves when the device is lost; `reason` is 'destroyed' on a deliberate dispose. */
  lost: Promise<GPUDeviceLostInfo>;
  dispose(): void;
}

/**
 * How the app, the CLI and the benches that time the app's paths acquire the device: with Dawn's
 * allow_unsafe_apis, which exposes subgroup matrices for the int8 tensor-core prefill
 * (matmul-int8.ts uses them only where its known-answer probe is exact on this device; elsewhere
 * the f32 kernels run). Only Longread's own shaders run on the device, so the toggle's concern,
 * untrusted pages reaching experimental APIs, does not apply.
 */
export const APP_GPU: GpuOptions = { unsafe: true };

const OPTIONAL_FEATURES = ['subgroups', 'shader-f16', 'timestamp-query', 'chromium-experimental-subgroup-matrix'] as const;

const LIMIT_KEYS: (keyof GpuLimitsInfo)[] = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'minStorageBufferOffsetAlignment',
];

type DawnModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };
let dawn: { module: DawnModule; gpu: GPU; unsafe: boolean } | null = null;

/** Hint naming the driver to install for this OS when no adapter is found. */
export function driverHint(platform: string = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'Longread needs Metal (macOS 11 or newer on a Mac with Metal support). Update macOS, then try again.';
    case 'win32':
      return 'Longread needs a Direct3D 12 or Vulkan driver. Install the latest graphics driver from your GPU vendor (NVIDIA, AMD or Intel), then try again.';
    default:
      return (
        'Longread needs a Vulkan driver. Install your GPU vendor\'s Vulkan driver (NVIDIA proprietary driver, or Mesa\'s ' +
        'mesa-vulkan-drivers for AMD/Intel). Without a GPU, Mesa >= 24 lavapipe works: on Debian bookworm, ' +
        '`apt-get install -t bookworm-backports mesa-vulkan-drivers` (with bookworm-backports in your apt sources).'
      );
  }
}

function loadDawn(unsafe: boolean): { module: DawnModule; gpu: GPU } {
  if (dawn && (dawn.unsafe === unsafe || dawn.unsafe)) return dawn;
  let module: DawnModule;
  try {
    module = createRequire(import.meta.url)('webgpu') as DawnModule;
  } catch (e) {
    throw new LongreadError(
      'gpu-unavailable',
      `Dawn (the "webgpu" package) could not be loaded: ${(e as Error).message}`,
      'Reinstall Longread (npm ci) on a supported platform: Linux x64/arm64, macOS, Windows x64/arm64.',
    );
  }
  Object.assign(globalThis, module.globals);
  const flags = unsafe ? ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization'] : [];
  const gpu = module.create(flags);
  dawn = { module, gpu, unsafe };
  return dawn;
}

/** Adapter facts as the contract carries them. */
export function gpuInfoFromAdapter(adapter: GPUAdapter): GpuInfo {
  const ai = adapter.info;
  const limits = {} as GpuLimitsInfo;
  for (const k of LIMIT_KEYS) limits[k] = Number((adapter.limits as unknown as Record<string, number>)[k]);
  const features = [...adapter.features].map(String).sort();
  const description = ai.description ?? '';
  const device = ai.device ?? '';
  const info: GpuInfo = {
    vendor: ai.vendor ?? '',
    architecture: ai.architecture ?? '',
    device,
    description,
    adapterName: description || device || ai.vendor || 'unknown adapter',
    backend: process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan',
    isFallbackAdapter: Boolean((ai as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features,
    limits,
  };
  const sg = ai as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number };
  if (sg.subgroupMinSize) info.subgroupMinSize = sg.subgroupMinSize;
  if (sg.subgroupMaxSize) info.subgroupMaxSize = sg.subgroupMaxSize;
  return info;
}

/** Finds an adapter or throws `gpu-unavailable` with the driver hint. */
export async function gpuAdapter(opts: GpuOptions = {}): Promise<GPUAdapter> {
  if (process.env.LONGREAD_DISABLE_GPU === '1') {
    throw new LongreadError('gpu-unavailable', 'WebGPU is disabled (LONGREAD_DISABLE_GPU=1).', driverHint());
  }
  const { gpu } = loadDawn(Boolean(opts.unsafe));
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new LongreadError('gpu-unavailable', 'No WebGPU adapter was found on this machine.', driverHint());
  }
  return adapter;
}

export async function gpuAcquire(opts: GpuOptions = {}): Promise<Gpu> {
  const adapter = await gpuAdapter(opts);
  const info = gpuInfoFromAdapter(adapter);
  const skip = new Set(opts.disableFeatures ?? []);
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !skip.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMIT_KEYS) {
    if (k === 'minStorageBufferOffsetAlignment') continue; // an alignment: the default is the loosest allowed value
    requiredLimits[k] = info.limits[k];
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'longread' });
  } catch (e) {
    throw new LongreadError('gpu-unavailable', `The GPU refused to create a device: ${(e as Error).message}`, driverHint());
  }
  const features = new Set<string>([...device.features].map(String));
  const lost = device.lost;
  return {
    device,
    adapter,
    info,
    features,
    hasSubgroups: features.has('subgroups'),
    hasF16: features.has('shader-f16'),
    hasTimestamps: features.has('timestamp-query'),
    hasSubgroupMatrix: features.has('chromium-experimental-subgroup-matrix'),
    lost,
    dispose: () => device.destroy(),
  };
}

/**
 * Runs `work` inside out-of-memory and validation error scopes; a captured error becomes a
 * typed LongreadError (`gpu-out-of-memory` carries `hint`). Use around allocations and the
 * first dispatch of a pipeline, not per token.
 */
export async function gpuScope<T>(device: GPUDevice, what: string, hint: string, work: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  let validation: GPUError | null;
  let oom: GPUError | null;
  try {
    result = await work();
  } finally {
    // Scopes must be popped even when work throws.
    validation = await device.popErrorScope();
    oom = await device.popErrorScope();
  }
  if (oom) throw new LongreadError('gpu-out-of-memory', `Out of GPU memory while ${what}: ${oom.message}`, hint);
  if (validation) throw new LongreadError('gpu-validation', `GPU validation error while ${what}: ${validation.message}`, 'This is a bug in Longread; please report it.');
  return result;
}
