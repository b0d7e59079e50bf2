#!/usr/bin/env node
// `npm test`: typecheck + lint + unit tests (vitest) + browser end-to-end tests (Playwright in
// Debian's Chromium against `longread serve`), then one summary line of passed/failed counts.
// Every stage runs even when an earlier one fails, so one run shows everything that is wrong.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (n) => path.join(root, 'node_modules', '.bin', n);

function run(cmd, args, { capture = false } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    if (capture) child.stdout.on('data', (d) => { text += d; process.stdout.write(d); });
    child.on('exit', (code) => resolve({ code: code ?? 1, text, seconds: (Date.now() - started) / 1000 }));
  });
}

const stages = [];
const mark = (name, r, passed, failed) => stages.push({ name, ok: r.code === 0, passed, failed, seconds: r.seconds });

console.log('== typecheck');
const tc = await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
mark('typecheck', tc, tc.code === 0 ? 1 : 0, tc.code === 0 ? 0 : 1);

console.log('== lint');
const lint = await run(bin('eslint'), ['--max-warnings', '0', '.']);
mark('lint', lint, lint.code === 0 ? 1 : 0, lint.code === 0 ? 0 : 1);

console.log('== unit tests');
mkdirSync(path.join(root, 'test-results'), { recursive: true });
const report = path.join(root, 'test-results', 'vitest.json');
rmSync(report, { force: true });
const unit = await run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
let up = 0;
let uf = unit.code === 0 ? 0 : 1;
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  up = j.numPassedTests;
  uf = j.numFailedTests + (j.numFailedTestSuites ?? 0) + (unit.code !== 0 && j.numFailedTests === 0 && !j.numFailedTestSuites ? 1 : 0);
}
mark('unit', unit, up, uf);

console.log('== end-to-end tests');
const e2e = await run(process.execPath, [path.join(root, 'test', 'e2e', 'run.mjs')], { capture: true });
const m = /e2e: (\d+) passed, (\d+) failed/.exec(e2e.text);
mark('e2e', e2e, m ? Number(m[1]) : 0, m ? Number(m[2]) : 1);

const passed = stages.reduce((a, s) => a + s.passed, 0);
const failed = stages.reduce((a, s) => a + s.failed, 0);
console.log('');
for (const s of stages) console.log(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(10)} ${s.passed} passed, ${s.failed} failed (${s.seconds.toFixed(0)} s)`);
console.log(`longread tests: ${passed} passed, ${failed} failed${failed ? ' — FAILED' : ''}`);
process.exitCode = failed || stages.some((s) => !s.ok) ? 1 : 0;
