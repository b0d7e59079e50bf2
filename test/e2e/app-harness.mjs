/* global DataTransfer, File -- used inside page.evaluate callbacks, which run in the browser */
// Shared harness of the app's end-to-end flows (test/e2e/app-*.spec.mjs): starts the real
// headless host (`node bin/longread.mjs serve --port 0`) on a private data dir, launches
// Debian's Chromium through playwright-core, and runs named tests in order with a one-line
// summary. Screenshots go to test-results/. Person-sized checks: key elements visible and no
// horizontal overflow at 1280x800 and 1920x1080.
//
// Extend: write `app-<flow>.spec.mjs` that imports { suite } and registers tests:
//   const s = suite('flow'); s.test('does x', async ({ page, host }) => { ... }); await s.run();
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = path.join(ROOT, 'test-results');
export const CHROMIUM = process.env.LONGREAD_CHROMIUM ?? '/usr/bin/chromium';

/** Starts `longread serve`; resolves when it prints its address. */
export async function startHost({ dataDir, args = [], env = {}, timeoutMs = 90_000 } = {}) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'longread.mjs'), 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
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
  const failureHooks = [];
  return {
    /** `after`: titles of earlier tests this one builds on; if one failed, this one fails at once. */
    test(title, fn, { after = [] } = {}) {
      tests.push({ title, fn, after });
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
    /** Called with the test title after a failure (e.g. to save a screenshot of the page). */
    onFailure(fn) {
      failureHooks.push(fn);
    },
    async run() {
      let passed = 0;
      let failed = 0;
      const failedTitles = new Set();
      for (const t of tests) {
        const t0 = Date.now();
        try {
          const broken = t.after.filter((a) => failedTitles.has(a));
          if (broken.length) throw new Error(`not run: it builds on "${broken.join('", "')}", which failed`);
          await t.fn();
          passed++;
          console.log(`  ok   ${name} > ${t.title} (${Date.now() - t0} ms)`);
        } catch (e) {
          failed++;
          failedTitles.add(t.title);
          if (!String(e?.message ?? '').startsWith('not run:')) for (const h of failureHooks) await h(t.title).catch(() => undefined);
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

/**
 * A real, minimal PDF (1.4, Helvetica, one text stream per page) built from page texts, so the
 * flows drop an actual PDF through the real ingest without shipping a binary fixture.
 */
export function makePdf(pages) {
  const esc = (s) => s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
  const objs = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objs[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  pages.forEach((text, i) => {
    const lines = wrap(text, 90);
    const body = ['BT', '/F1 11 Tf', '14 TL', '56 780 Td', ...lines.map((l) => `(${esc(l)}) '`), 'ET'].join('\n');
    objs[4 + i * 2] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`;
    objs[5 + i * 2] = `<< /Length ${Buffer.byteLength(body, 'latin1')} >>\nstream\n${body}\nendstream`;
  });
  let out = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets = [];
  for (let i = 1; i < objs.length; i++) {
    offsets[i] = Buffer.byteLength(out, 'latin1');
    out += `${i} 0 obj\n${objs[i]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length}\n0000000000 65535 f \n`;
  for (let i = 1; i < objs.length; i++) out += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

function wrap(text, width) {
  const out = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const w of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + w.length > width) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    out.push(line);
  }
  return out;
}

/** Drops files on the page the way a person does: dragenter, dragover, drop with a DataTransfer. */
export async function dropFiles(page, files) {
  const dt = await page.evaluateHandle((fs) => {
    const d = new DataTransfer();
    for (const f of fs) d.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    return d;
  }, files.map((f) => ({ name: f.name, type: f.type, b64: Buffer.from(f.data).toString('base64') })));
  await page.dispatchEvent('body', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('body', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
}

/**
 * The model directory the host should use: the bundled one (assets/models) when it holds a
 * GGUF; otherwise a temporary one with the real stories260K model (../shared/models) converted
 * to GGUF by `longread import llama2c`, passed to the host as LONGREAD_MODELS_DIR.
 */
export function modelEnv(tmpDir) {
  const bundled = path.join(ROOT, 'assets', 'models');
  if (existsSync(bundled) && readdirSync(bundled).some((f) => f.endsWith('.gguf'))) return {};
  const src = path.resolve(ROOT, '..', 'shared', 'models', 'stories260K');
  if (!existsSync(path.join(src, 'stories260K.bin'))) return {};
  const dir = path.join(tmpDir, 'models');
  mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'longread.mjs'), 'import', 'llama2c', '--checkpoint', path.join(src, 'stories260K.bin'), '--tokenizer', path.join(src, 'tok512.bin'), '--out', path.join(dir, 'stories260K.gguf')], { cwd: ROOT, stdio: 'ignore' });
  return { LONGREAD_MODELS_DIR: dir };
}
