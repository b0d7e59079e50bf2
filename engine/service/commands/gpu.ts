/**
 * `longread gpu`: the WebGPU adapter this machine offers, its features and limits, as JSON, for
 * the device the app acquires (APP_GPU; `--safe`: without Dawn's allow_unsafe_apis).
 * Exits 1 with the driver hint when there is none.
 */
import type { Command } from './command.ts';
import { APP_GPU, gpuAcquire } from '../../gpu/device.ts';

export const gpuCommand: Command = {
  name: 'gpu',
  summary: 'Print the WebGPU adapter, its features and limits as JSON',
  usage: '[--safe]',
  async run(argv) {
    const gpu = await gpuAcquire(argv.includes('--safe') ? {} : APP_GPU);
    const out = { ...gpu.info, deviceFeatures: [...gpu.features].sort() };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    gpu.dispose();
    return 0;
  },
};
