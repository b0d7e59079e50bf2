// Shared harness of the app's end-to-end flows (test/e2e/app-*.spec.mjs): starts the real
// headless host (`node bin/longread.mjs serve --port 0`) on a private data dir, launches
// Debian's Chromium through playwright-core, and runs named tests in order with a one-line
// summary. Screenshots go to test-results/. Person-sized checks: key elements visible and no
// horizontal overflow at 1280x800 and 1920x1080.
//
// Extend: write `app-<flow>.spec.mjs` that imports { suite } and registers tests:
//   const s = suite('flow'); s.test('does x', async ({ page, host }) => { ... }); await s.run();
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = path.join(ROOT, 'test-results');
export const CHROMIUM = process.env.LONGREAD_CHROMIUM ?? '/usr/bin/chromium';

/** Starts `longread serve`; resolves when it prints its address. */
export async function startHost({ dataDir, args = [], timeoutMs = 90_000 } = {}) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'longread.mjs'), 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start in ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const onData = (d) => {
      log += d.toString();
      const m = /Longread is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (log += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before starting:\n${log}`));
    });
  });
  return {
    url,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function tempDataDir(name) {
  return mkdtempSync(path.join(os.tmpdir(), `longread-e2e-${name}-`));
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Key elements visible (non-zero box inside the viewport) and no horizontal overflow. */
export async function assertLayout(page, testIds) {
  for (const id of testIds) {
    const loc = page.getByTestId(id).first();
    await loc.waitFor({ state: 'visible', timeout: 10_000 });
    const box = await loc.boundingBox();
    const vp = page.viewportSize();
    assert(box && box.width > 0 && box.height > 0, `${id} has no size`);
    assert(box.x >= -1 && box.x + box.width <= vp.width + 1, `${id} sticks out horizontally (${box.x}..${box.x + box.width} of ${vp.width})`);
  }
  const overflow = await page.evaluate(() => {
    const de = document.documentElement;
    const over = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > de.clientWidth + 1 && getComputedStyle(el).position !== 'fixed') over.push(`${el.tagName.toLowerCase()}.${el.className}`);
      if (over.length > 5) break;
    }
    return { scroll: de.scrollWidth - de.clientWidth, over };
  });
  assert(overflow.scroll <= 0, `page scrolls horizontally by ${overflow.scroll}px`);
  assert(overflow.over.length === 0, `elements overflow the viewport: ${overflow.over.join(', ')}`);
}

export async function screenshot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
}

/** Sequential named tests with a one-line summary; exit code 1 when any failed. */
export function suite(name) {
  const tests = [];
  const cleanups = [];
  return {
    test(title, fn) {
      tests.push({ title, fn });
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
    async run() {
      let passed = 0;
      let failed = 0;
      for (const t of tests) {
        const t0 = Date.now();
        try {
          await t.fn();
          passed++;
          console.log(`  ok   ${name} > ${t.title} (${Date.now() - t0} ms)`);
        } catch (e) {
          failed++;
          console.log(`  FAIL ${name} > ${t.title} (${Date.now() - t0} ms)\n       ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n       ')}`);
        }
      }
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      console.log(`${name}: ${passed} passed, ${failed} failed`);
      process.exitCode = failed ? 1 : 0;
      return { passed, failed };
    },
  };
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
