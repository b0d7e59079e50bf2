#!/usr/bin/env node
// Runs every end-to-end spec (test/e2e/*.spec.mjs) in its own Node process, in name order, and
// prints the totals. Each spec prints `<suite>: N passed, M failed` (app-harness.mjs).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const specs = readdirSync(dir).filter((f) => f.endsWith('.spec.mjs') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
let passed = 0;
let failed = 0;
for (const spec of specs) {
  const out = await new Promise((resolve) => {
    let text = '';
    const child = spawn(process.execPath, [path.join(dir, spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(d);
    });
    child.on('exit', (code) => resolve({ text, code }));
  });
  const m = /(\d+) passed, (\d+) failed/.exec(out.text);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  if (out.code !== 0 && (!m || Number(m[2]) === 0)) {
    failed += 1; // the spec crashed before reporting
    console.log(`${spec}: crashed (exit ${out.code})`);
  }
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
