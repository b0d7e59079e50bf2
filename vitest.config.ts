import { defineConfig } from 'vitest/config';
import { readFileSync } from 'node:fs';

/** Loads `*.wgsl` imports as strings, matching the CLI's loader hook and esbuild's text loader. */
const wgslText = {
  name: 'wgsl-text',
  enforce: 'pre' as const,
  load(id: string) {
    if (!id.endsWith('.wgsl')) return null;
    return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
  },
};

export default defineConfig({
  plugins: [wgslText],
  test: {
    include: ['engine/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'electron/**/*.test.ts', 'test/**/*.test.ts', 'tools/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['node_modules', 'dist', 'test/e2e/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // GPU tests share one Dawn instance per worker; two workers on 2 cores is the sweet spot.
    pool: 'forks',
    maxWorkers: 2,
  },
});
