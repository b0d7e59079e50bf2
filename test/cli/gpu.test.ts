/**
 * `longread gpu`: prints the adapter as JSON and exits 0 here (lavapipe); with no Vulkan driver
 * it exits non-zero and the hint names the driver to install.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(__dirname, '..', '..', 'bin', 'longread.mjs');

describe('longread gpu', () => {
  it('prints the adapter, features and limits as JSON', () => {
    const r = spawnSync(process.execPath, [bin, 'gpu'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { adapterName: string; features: string[]; limits: Record<string, number> };
    expect(j.adapterName.length).toBeGreaterThan(0);
    expect(j.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(j.features)).toBe(true);
  });

  it('exits non-zero with the driver hint when no Vulkan driver is found', () => {
    const env = { ...process.env, VK_DRIVER_FILES: '/nonexistent.json', VK_ICD_FILENAMES: '/nonexistent.json' };
    const r = spawnSync(process.execPath, [bin, 'gpu'], { encoding: 'utf8', timeout: 60_000, env });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: No WebGPU adapter/);
    expect(r.stderr).toMatch(/hint: .*Vulkan driver/);
  });
});
