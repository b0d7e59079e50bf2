/* global MutationObserver -- used inside page scripts, which run in the browser */
// The app's main flows end to end, against the real headless host and the real engine (issue
// 8): drop a real PDF, ask, watch the answer stream, see the evidence and jump to it, open the
// inspector's three views (drawn from real telemetry), stop a generation, restart the host and
// find the chat again. Screenshots of each view go to test-results/app-flows-*.png, each after
// a person-sized check (key elements visible, nothing overflowing horizontally).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, assert, assertLayout, dropFiles, launchBrowser, makePdf, modelEnv, removeDir, screenshot, startHost, suite, tempDataDir } from './app-harness.mjs';

const INGEST_MS = 90_000;
/** Max answer tokens for the suite's questions: short answers keep it quick on a software GPU. */
const SHORT = 24;
const MODEL_MS = 180_000;
const ANSWER_MS = 180_000;

// Short pages: even the smallest test model (stories260K: 512-token context and vocabulary) must
// fit the whole document, the question and the answer reserve.
const PAGES = [
  'Lily had a red ball. She played in the park.',
  'Ben came with his big brown dog.',
  'The dog ran after the red ball.',
];
/** A text longer than the loaded model's context (about 1.5 tokens per word, doubled for margin). */
const longText = (contextLength) => 'Lily had a red ball and she played with it in the park every day with her friend Ben. '.repeat(Math.ceil((contextLength * 2) / 17) + 1);
let contextLength = 0;

const s = suite('app-flows');

/** The GGUF file the host loads by default (bundled, or the converted test model). */
function modelFile() {
  const dir = env.LONGREAD_MODELS_DIR ?? path.join(ROOT, 'assets', 'models');
  const f = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.gguf')).sort()[0] : undefined;
  return f ? path.join(dir, f) : null;
}
const dataDir = tempDataDir('flows');
const env = modelEnv(dataDir);
let host = await startHost({ dataDir, env });
const browser = await launchBrowser();
s.cleanup(async () => {
  await browser.close();
  await host.stop();
  removeDir(dataDir);
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
await context.grantPermissions(['clipboard-read', 'clipboard-write']);
const page = await context.newPage();
// Records every progress row the jobs bar shows (stage + percentage), however briefly.
await page.addInitScript(() => {
  window.__jobs = [];
  new MutationObserver(() => {
    for (const j of document.querySelectorAll('[data-testid="job"]')) {
      const rec = `${j.getAttribute('data-stage')}|${j.querySelector('[data-testid="job-percent"]')?.textContent ?? ''}`;
      if (!window.__jobs.includes(rec)) window.__jobs.push(rec);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
});
s.onFailure((title) => screenshot(page, `app-flows-FAILED-${title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`));
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
await page.goto(host.url);

/** Sets "Max answer tokens" in Models > Answers, the way a person does, and returns to the chat. */
async function setMaxTokens(n) {
  await page.getByTestId('tab-models').click();
  await page.getByTestId('setting-max-tokens').fill(String(n));
  await page.getByTestId('setting-max-tokens').press('Enter');
  await page.waitForFunction((v) => document.querySelector('[data-testid="setting-max-tokens"]')?.value === v, String(n));
}

s.test('drop a real PDF: it lands in the library and opens in the viewer', async () => {
  await page.getByTestId('adapter-name').waitFor();
  await dropFiles(page, [{ name: 'harbor-survey.pdf', type: 'application/pdf', data: makePdf(PAGES) }]);
  // Either the document reaches the library or the app shows why not (fail at once, with the reason).
  const item = page.getByTestId('library-item').filter({ hasText: /harbor/i }).first();
  const refusal = page.locator('.library [role="alert"]').first();
  await Promise.race([item.waitFor({ timeout: INGEST_MS }), refusal.waitFor({ timeout: INGEST_MS })]);
  if (!(await item.count())) throw new Error(`the document did not reach the library; the app shows: ${await refusal.textContent()}`);
  const viewer = page.getByTestId('document-viewer');
  await viewer.waitFor();
  const text = await viewer.textContent();
  assert(/big brown dog/.test(text), 'viewer shows the PDF text');
  assert(/Page 1/.test(text), 'viewer is page-aware');
  await assertLayout(page, ['library-item', 'document-viewer', 'adapter-name']);
  await screenshot(page, 'app-flows-library-1280');
});

s.test('a model is ready (the bundled one by default)', async () => {
  const deadline = Date.now() + MODEL_MS;
  await page.getByTestId('tab-models').click();
  while (Date.now() < deadline) {
    if (await page.getByTestId('loaded-model').count()) break;
    const loadBundled = page.getByTestId('load-bundled');
    const busy = (await page.getByTestId('job').count()) > 0 || /Loading/.test(await page.getByTestId('models').textContent());
    if ((await loadBundled.count()) && (await loadBundled.isEnabled()) && !busy) await loadBundled.click();
    else if (!busy && !(await loadBundled.count())) break; // nothing loading and nothing to load: say why now
    if ((await page.getByTestId('models').locator('[role="alert"]').count()) && !busy) break;
    await page.waitForTimeout(1000);
  }
  if (!(await page.getByTestId('loaded-model').count())) {
    const why = await page.getByTestId('models').textContent();
    throw new Error(`no model is loaded; the models panel says: ${why.slice(0, 400)}`);
  }
  const arch = await page.getByTestId('model-architecture').first().textContent();
  assert(arch.trim().length > 0, 'architecture shown');
  // Open a GGUF by path (the browser host's way): what it is and what it needs, before loading.
  const ggufPath = modelFile();
  if (ggufPath) {
    await page.getByTestId('model-path').fill(ggufPath);
    await page.getByTestId('model-inspect').click();
    const card = page.getByTestId('candidate-model');
    await card.waitFor({ timeout: 30_000 });
    const text = await card.textContent();
    assert(/llama/i.test(text) && /tokens/.test(text) && /GPU memory/.test(text), `inspected model card: ${text}`);
  }
  // Short answers keep the suite quick; the setting is persisted engine-side (checked after restart).
  await setMaxTokens(SHORT);
  await assertLayout(page, ['loaded-model', 'model-memory', 'setting-max-tokens']);
  await screenshot(page, 'app-flows-models-1280');
}, { after: [] });

s.test('ask: the answer streams in, with tokens/s, then stats and evidence', async () => {
  await page.getByTestId('tab-chat').click();
  await page.getByTestId('library-item').first().getByTestId('chat-with-document').click();
  await page.getByTestId('chat').waitFor();
  const meter = page.getByTestId('context-meter');
  await page.getByTestId('question').fill('What did Lily have?');
  // A draft survives a look at another panel.
  await page.getByTestId('tab-inspector').click();
  await page.getByTestId('tab-chat').click();
  assert((await page.getByTestId('question').inputValue()) === 'What did Lily have?', 'the draft question is kept across panels');
  await page.waitForFunction(() => document.querySelector('[data-testid="context-meter"]')?.getAttribute('data-fits') !== 'unknown', null, { timeout: 30_000 });
  const meterText = await meter.textContent();
  assert((await meter.getAttribute('data-fits')) === 'true', `context meter does not report a fit: ${meterText}`);
  contextLength = Number((/of ([\d,]+) tokens/.exec(meterText)?.[1] ?? '0').replace(/,/g, ''));
  assert(contextLength > 0, `the meter names the context length: ${meterText}`);
  await page.getByTestId('question').press('Enter');
  await page.getByTestId('message-streaming').waitFor({ timeout: 10_000 });
  // Streaming: the live stats show tokens per second before the answer is complete.
  await page.waitForFunction(() => /tok\/s/.test(document.querySelector('[data-testid="streaming-stats"]')?.textContent ?? ''), null, { timeout: ANSWER_MS });
  const partial = await page.getByTestId('message-streaming').textContent();
  await screenshot(page, 'app-flows-streaming-1280');
  await page.getByTestId('message-streaming').waitFor({ state: 'detached', timeout: ANSWER_MS });
  const answer = page.getByTestId('message-answer').last();
  const stats = await answer.getByTestId('answer-stats').textContent();
  assert(/tok\/s/.test(stats) && /tokens/.test(stats), `answer stats: ${stats}`);
  assert(partial.length > 0, 'partial text was visible while streaming');
  const errors = await page.getByTestId('chat').locator('[role="alert"]').allTextContents();
  assert(errors.length === 0, `no error under the answer: ${errors.join(' | ')}`);
  await answer.getByTestId('evidence-list').waitFor({ timeout: 10_000 });
  const items = await answer.getByTestId('evidence-item').count();
  assert(items >= 1, 'at least one evidence passage');
  const first = await answer.getByTestId('evidence-item').first().textContent();
  assert(/p\. \d+/.test(first), `evidence names its page: ${first}`);
  const jobs = await page.evaluate(() => window.__jobs);
  assert(jobs.some((j) => /^prefill\|\d+%$/.test(j)), `prefill progress with a percentage was shown: ${jobs.join(', ')}`);
  // Copy puts the answer's Markdown source on the clipboard.
  await answer.getByTestId('copy-answer').click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  const shown = (await answer.locator('.markdown').textContent()).replace(/\s+/g, ' ').trim();
  assert(copied.replace(/\s+/g, ' ').trim().slice(0, 20) === shown.slice(0, 20), `copied "${copied.slice(0, 40)}" vs shown "${shown.slice(0, 40)}"`);
  await assertLayout(page, ['message-answer', 'evidence-list', 'question']);
  await screenshot(page, 'app-flows-answer-1280');
}, { after: ['drop a real PDF: it lands in the library and opens in the viewer', 'a model is ready (the bundled one by default)'] });

s.test('evidence (reached by keyboard) jumps the viewer to the highlighted passage', async () => {
  const item = page.getByTestId('message-answer').last().getByTestId('evidence-item').first();
  const pageLabel = (await item.locator('.evidence-page').textContent()).trim();
  // By keyboard: Tab from the answer's Copy button to the first evidence item (visible focus ring), Enter.
  await page.getByTestId('message-answer').last().getByTestId('copy-answer').focus();
  for (let i = 0; i < 8; i++) {
    if (await item.evaluate((el) => el === document.activeElement)) break;
    await page.keyboard.press('Tab');
  }
  assert(await item.evaluate((el) => el === document.activeElement), 'Tab reaches the evidence item');
  const ring = await item.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert(ring !== 'none', 'focused evidence item shows a focus ring');
  await page.keyboard.press('Enter');
  const mark = page.getByTestId('focus-mark').first();
  await mark.waitFor({ timeout: 5_000 });
  await page.waitForTimeout(300);
  const box = await mark.boundingBox();
  const viewer = await page.locator('.viewer-scroll').boundingBox();
  assert(box && box.y >= viewer.y - 1 && box.y <= viewer.y + viewer.height, `the highlighted passage is in view (${box?.y} in ${viewer.y}..${viewer.y + viewer.height})`);
  const section = await mark.evaluate((el) => el.closest('section')?.getAttribute('aria-label'));
  assert(section === `Page ${pageLabel.replace(/^p\.\s*/, '')}`, `jumped to ${section}, evidence says ${pageLabel}`);
  await screenshot(page, 'app-flows-evidence-1280');
}, { after: ['ask: the answer streams in, with tokens/s, then stats and evidence'] });

s.test('the inspector draws sparsity, KV tiers and the heatmap from real telemetry', async () => {
  await page.getByTestId('tab-inspector').click();
  await page.getByTestId('sparsity-chart').waitFor({ timeout: 10_000 });
  const bars = await page.getByTestId('sparsity-bar').count();
  assert(bars > 0, 'one bar per layer');
  await page.getByTestId('kv-chart').waitFor({ timeout: 10_000 });
  const areas = await page.getByTestId('kv-area').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
  assert(areas.some((d) => d.length > 10), 'KV areas have a shape');
  const canvas = page.getByTestId('heatmap-canvas');
  await canvas.waitFor({ timeout: 30_000 });
  const lit = await canvas.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) n++;
    return { n, w: c.width, h: c.height };
  });
  assert(lit.w > 0 && lit.h > 0 && lit.n > 0, `heatmap drawn: ${JSON.stringify(lit)}`);
  // One row per answer token (the answer has several), each labelled, one canvas pixel row each.
  const labels = await page.getByTestId('heatmap-row-label').allTextContents();
  assert(labels.length > 1, `the heatmap has one row per answer token: ${JSON.stringify(labels)}`);
  assert(lit.h === labels.length, `canvas rows (${lit.h}) match the labels (${labels.length})`);
  assert(labels.every((t) => t.length > 0), `every row is labelled: ${JSON.stringify(labels)}`);
  // Clicking a cell jumps to its passage: the first and the last column mark different spans.
  const box = await canvas.boundingBox();
  await canvas.click({ position: { x: 2, y: 2 } });
  await page.getByTestId('focus-mark').first().waitFor({ timeout: 5_000 });
  const firstSpan = await page.getByTestId('focus-mark').first().textContent();
  await canvas.click({ position: { x: box.width - 3, y: box.height - 3 } });
  await page.waitForFunction((prev) => document.querySelector('[data-testid="focus-mark"]')?.textContent !== prev, firstSpan, { timeout: 5_000 }).catch(() => {
    throw new Error('clicking another heatmap cell did not move the focus');
  });
  // One layer and one head instead of the average: the map is redrawn from that layer's data.
  const before = await canvas.evaluate((c) => c.toDataURL());
  await page.getByTestId('heatmap-layer').selectOption('0');
  await page.getByTestId('heatmap-head').selectOption('0');
  await page.waitForFunction((prev) => document.querySelector('[data-testid="heatmap-canvas"]')?.toDataURL() !== prev, before, { timeout: 5_000 }).catch(() => {
    throw new Error('the heatmap did not change for layer 0 / head 0');
  });
  await page.getByTestId('heatmap-layer').selectOption('-1');
  await page.getByTestId('heatmap-head').selectOption('-1');
  await assertLayout(page, ['sparsity-chart', 'kv-chart', 'heatmap-canvas']);
  await screenshot(page, 'app-flows-inspector-1280');
  // Clicking the hottest cell jumps to a passage too.
  await page.getByTestId('heatmap-hotspot').first().click();
  await page.getByTestId('focus-mark').first().waitFor({ timeout: 5_000 });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await assertLayout(page, ['sparsity-chart', 'kv-chart', 'heatmap-canvas']);
  await screenshot(page, 'app-flows-inspector-1920');
  await page.setViewportSize({ width: 1280, height: 800 });
}, { after: ['ask: the answer streams in, with tokens/s, then stats and evidence'] });

s.test('Stop ends a generation, the app is ready again, and Regenerate replaces the answer', async () => {
  await setMaxTokens(250); // long enough that Stop lands mid-answer
  await page.getByTestId('tab-chat').click();
  await page.getByTestId('question').fill('Tell me a long story about the dog.');
  await page.getByTestId('send').click();
  await page.getByTestId('message-streaming').waitFor({ timeout: 10_000 });
  const stop = page.getByTestId('stop');
  await page.waitForFunction(() => !document.querySelector('[data-testid="stop"]')?.hasAttribute('disabled'), null, { timeout: 10_000 });
  // Escape stops from anywhere (the Stop button does the same; it was enabled just now).
  assert(await stop.isVisible(), 'Stop button shown while generating');
  await page.locator('.viewer-scroll').focus();
  await page.keyboard.press('Escape');
  await page.getByTestId('message-streaming').waitFor({ state: 'detached', timeout: 30_000 });
  const stoppedStats = await page.getByTestId('message-answer').last().getByTestId('answer-stats').textContent();
  assert(/stopped/.test(stoppedStats), `the answer was cut by Stop: ${stoppedStats}`);
  const errors = await page.getByTestId('chat').locator('[role="alert"]').allTextContents();
  assert(errors.length === 0, `stopping is not an error: ${errors.join(' | ')}`);
  assert((await page.getByTestId('job').count()) === 0, 'no job left running');
  await page.getByTestId('question').fill('One more?');
  assert(await page.getByTestId('send').isEnabled(), 'can send again');
  await page.getByTestId('question').fill('');
  // Regenerate the stopped answer: a new answer streams in its place.
  await setMaxTokens(SHORT);
  await page.getByTestId('tab-chat').click();
  const before = await page.getByTestId('message-answer').last().getAttribute('data-message-id');
  await page.getByTestId('regenerate').click();
  await page.getByTestId('message-streaming').waitFor({ timeout: 10_000 });
  await page.getByTestId('message-streaming').waitFor({ state: 'detached', timeout: ANSWER_MS });
  const after = await page.getByTestId('message-answer').last().getAttribute('data-message-id');
  assert(after && after !== before, `regenerated answer replaces ${before} (now ${after})`);
  const regenErrors = await page.getByTestId('chat').locator('[role="alert"]').allTextContents();
  assert(regenErrors.length === 0, `regenerate without errors: ${regenErrors.join(' | ')}`);
}, { after: ['ask: the answer streams in, with tokens/s, then stats and evidence'] });

s.test('a document too long for the context: the meter says so before sending, and Send is off', async () => {
  await dropFiles(page, [{ name: 'long-story.txt', type: 'text/plain', data: Buffer.from(longText(contextLength)) }]);
  const item = page.getByTestId('library-item').filter({ hasText: /long-story/i }).first();
  await item.waitFor({ timeout: INGEST_MS });
  await item.getByTestId('chat-with-document').click();
  await page.waitForFunction(() => document.querySelector('.chat-title strong')?.textContent?.includes('long-story'), null, { timeout: 10_000 });
  await page.getByTestId('question').fill('What did Lily have?');
  await page.getByTestId('context-too-large').waitFor({ timeout: 30_000 });
  const says = await page.getByTestId('context-too-large').textContent();
  assert(/Does not fit/.test(says) && /\d+ tokens/.test(says), `plain message: ${says}`);
  assert(!(await page.getByTestId('send').isEnabled()), 'Send is disabled');
  await assertLayout(page, ['context-meter', 'question']);
  await screenshot(page, 'app-flows-too-long-1280');
  // Back to the first chat for the restart check.
  await page.getByTestId('question').fill('');
  await page.getByTestId('chat-list-item').filter({ hasText: /harbor|survey/i }).first().click();
  await page.getByTestId('message-answer').first().waitFor({ timeout: 10_000 });
}, { after: ['ask: the answer streams in, with tokens/s, then stats and evidence'] });

s.test('restart the host: the library and the chat are still there, and the app reopens the chat', async () => {
  await page.getByTestId('tab-chat').click();
  await page.getByTestId('chat-list-item').filter({ hasText: /harbor|survey/i }).first().click();
  await page.getByTestId('message-answer').first().waitFor({ timeout: 10_000 });
  const before = await page.getByTestId('message-answer').count();
  await context.close();
  await host.stop();
  host = await startHost({ dataDir, env });
  const p2 = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await p2.goto(host.url);
  await p2.getByTestId('library-item').filter({ hasText: /harbor/i }).first().waitFor({ timeout: 30_000 });
  await p2.getByTestId('chat').waitFor({ timeout: 30_000 });
  const answers = await p2.getByTestId('message-answer').count();
  assert(answers >= 1 && answers >= before - 1, `the chat reopened with its answers (${answers}, before ${before})`);
  assert((await p2.getByTestId('chat-list-item').count()) >= 1, 'chat listed');
  await p2.getByTestId('document-viewer').waitFor({ timeout: 10_000 });
  await assertLayout(p2, ['chat', 'library-item', 'document-viewer']);
  await screenshot(p2, 'app-flows-restored-1280');
  await p2.getByTestId('tab-models').click();
  assert((await p2.getByTestId('setting-max-tokens').inputValue()) === String(SHORT), 'answer settings survived the restart');
  // Dark theme at 1920x1080, chosen in the app (persisted engine-side like every setting).
  await p2.getByTestId('tab-chat').click();
  await p2.setViewportSize({ width: 1920, height: 1080 });
  while ((await p2.evaluate(() => document.documentElement.dataset.theme)) !== 'dark') await p2.getByTestId('theme-toggle').click();
  await assertLayout(p2, ['chat', 'library-item', 'document-viewer', 'evidence-list']);
  await screenshot(p2, 'app-flows-restored-dark-1920');
  await p2.close();
}, { after: ['ask: the answer streams in, with tokens/s, then stats and evidence'] });

s.test('no uncaught errors in the page', async () => {
  assert(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
});

await s.run();
