/**
 * `longread gpu`: the WebGPU adapter this machine offers, its features and limits, as JSON.
 * Exits 1 with the driver hint when there is none.
 */
import type { Command } from './command.ts';
import { gpuAcquire } from '../../gpu/device.ts';

export const gpuCommand: Command = {
  name: 'gpu',
  summary: 'Print the WebGPU adapter, its features and limits as JSON',
  usage: '[--unsafe]',
  async run(argv) {
    const gpu = await gpuAcquire({ unsafe: argv.includes('--unsafe') });
    const out = { ...gpu.info, deviceFeatures: [...gpu.features].sort() };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    gpu.dispose();
    return 0;
  },
};
