// App shell end to end: the real host serves the built renderer, the renderer connects over the
// WebSocket with the page's token, and shows the engine's real status (adapter name, features,
// limits); panels are reachable by keyboard; both themes fit at 1280x800 and 1920x1080.
import { assert, assertLayout, launchBrowser, removeDir, screenshot, startHost, suite, tempDataDir } from './app-harness.mjs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './app-harness.mjs';

const s = suite('app-shell');
const dataDir = tempDataDir('shell');
const host = await startHost({ dataDir, args: ['--no-model'] });
const browser = await launchBrowser();
s.cleanup(async () => {
  await browser.close();
  await host.stop();
  removeDir(dataDir);
});

// What the engine itself reports, for comparison with what the page shows.
const gpuJson = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'bin', 'longread.mjs'), 'gpu'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const expectedAdapter = gpuJson.adapterName ?? gpuJson.info?.adapterName ?? null;

s.test('shows the real adapter name, features and limits', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(host.url);
  const adapter = page.getByTestId('adapter-name');
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid="adapter-name"]')?.textContent ?? '';
    return t && !t.startsWith('Connecting');
  });
  const name = (await adapter.textContent()).trim();
  assert(name.length > 0 && name !== 'No GPU' && name !== 'Disconnected', `adapter name shown: "${name}"`);
  if (expectedAdapter) assert(name === expectedAdapter, `page shows "${name}", engine reports "${expectedAdapter}"`);
  await page.getByTestId('tab-engine').click();
  const features = await page.getByTestId('engine-features').locator('li').count();
  assert(features >= 1, 'features listed');
  const limits = await page.getByTestId('engine-limits').textContent();
  assert(/Max buffer size/.test(limits) && /\d/.test(limits), `limits shown: ${limits}`);
  await assertLayout(page, ['adapter-name', 'engine-limits']);
  await screenshot(page, 'app-shell-engine-1280');
  await page.close();
});

s.test('keyboard reaches the panels; both themes fit at 1920x1080', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(host.url);
  await page.getByTestId('tab-chat').focus();
  await page.keyboard.press('ArrowRight');
  const selected = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
  assert(selected === 'tab-inspector', `ArrowRight moved focus to ${selected}`);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert(outline !== 'none', 'focused tab has a visible outline');
  for (const theme of ['light', 'dark']) {
    while ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.getByTestId('theme-toggle').click();
    await assertLayout(page, ['adapter-name', 'tab-chat', 'theme-toggle']);
    await screenshot(page, `app-shell-${theme}-1920`);
  }
  await page.close();
});

await s.run();
