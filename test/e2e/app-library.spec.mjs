// Library and viewer end to end, against the real host without a model (--no-model): a
// 150-page PDF is ingested and shown virtualised (only the pages in view are in the DOM), page
// by page, with go-to-page; the file picker path works too; several documents make one chat;
// a document can be removed. Screenshots under test-results/app-library-*.png.
import { assert, assertLayout, dropFiles, launchBrowser, makePdf, removeDir, screenshot, startHost, suite, tempDataDir } from './app-harness.mjs';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

// The marker sits mid-page: ingest drops lines repeated on every page (running headers/footers).
const PAGES = Array.from({ length: 150 }, (_, i) => {
  const fill = `Paragraph ${i + 1} repeats a few words to fill the page with text. `.repeat(6);
  return `This is page ${i + 1} of the long report. ${fill}\nMarker M${i + 1}X names this page.\n${fill}End of page.`;
});

const s = suite('app-library');
const dataDir = tempDataDir('library');
const host = await startHost({ dataDir, args: ['--no-model'] });
const browser = await launchBrowser();
s.cleanup(async () => {
  await browser.close();
  await host.stop();
  removeDir(dataDir);
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(host.url);

const longName = /long-report/i;

s.test('a 150-page PDF is shown virtualised and page by page', async () => {
  await page.getByTestId('adapter-name').waitFor();
  await dropFiles(page, [{ name: 'long-report.pdf', type: 'application/pdf', data: makePdf(PAGES) }]);
  await page.getByTestId('library-item').filter({ hasText: longName }).first().waitFor({ timeout: 90_000 });
  await page.getByTestId('document-viewer').waitFor();
  const meta = await page.locator('.viewer-title').textContent();
  assert(/150 pages/.test(meta), `page count shown: ${meta}`);
  const inDom = await page.locator('.viewer-block').count();
  assert(inDom > 0 && inDom <= 12, `only the pages in view are rendered (${inDom} of 150)`);
  const first = await page.locator('.viewer-block').first().getAttribute('aria-label');
  assert(first === 'Page 1', `starts at page 1 (${first})`);
  await assertLayout(page, ['document-viewer', 'library-item']);
  await screenshot(page, 'app-library-long-pdf-1280');
});

s.test('go to page 120 by keyboard, then scroll to the end', async () => {
  const input = page.getByTestId('page-input');
  await input.focus();
  await page.keyboard.type('120');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
  const visible = await page.evaluate(() => {
    const sc = document.querySelector('.viewer-scroll').getBoundingClientRect();
    return [...document.querySelectorAll('.viewer-block')].filter((b) => {
      const r = b.getBoundingClientRect();
      return r.bottom > sc.top && r.top < sc.bottom;
    }).map((b) => b.getAttribute('aria-label'));
  });
  assert(visible.includes('Page 120'), `page 120 in view: ${visible.join(', ')}`);
  const text = await page.locator('.viewer-block[aria-label="Page 120"]').textContent();
  assert(/Marker M120X/.test(text), 'page 120 holds its own text');
  assert((await page.locator('.viewer-block').count()) <= 12, 'still virtualised after the jump');
  await page.locator('.viewer-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.waitForTimeout(200);
  await page.locator('.viewer-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.locator('.viewer-block[aria-label="Page 150"]').waitFor({ timeout: 5_000 });
  await screenshot(page, 'app-library-page-150-1280');
}, { after: ['a 150-page PDF is shown virtualised and page by page'] });

s.test('the file picker ingests a Markdown file', async () => {
  const file = path.join(dataDir, 'notes.md');
  writeFileSync(file, '# Field notes\n\nThe **harbor** was quiet.\n\n## Day two\n\nBoats returned at dusk.\n');
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('open-document').click();
  await (await chooser).setFiles(file);
  await page.getByTestId('library-item').filter({ hasText: /notes|Field notes/i }).first().waitFor({ timeout: 60_000 });
  const text = await page.getByTestId('document-viewer').textContent();
  assert(/Boats returned at dusk/.test(text), 'viewer shows the Markdown text');
  // Headings become the viewer's contents.
  const options = await page.getByTestId('viewer-contents').locator('option').allTextContents();
  assert(options.some((o) => /Day two/.test(o)), `contents list the headings: ${options.join(' | ')}`);
});

s.test('two documents make one chat; a document can be removed', async () => {
  const boxes = page.getByTestId('library-item').locator('input[type="checkbox"]');
  assert((await boxes.count()) === 2, 'two documents in the library');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.getByTestId('chat-with-picked').click();
  await page.getByTestId('chat').waitFor({ timeout: 10_000 });
  const chips = await page.locator('.chat-docs .chip').count();
  assert(chips === 2, `the chat covers both documents (${chips})`);
  await assertLayout(page, ['chat', 'library-item']);
  await screenshot(page, 'app-library-two-docs-1280');
  const notes = page.getByTestId('library-item').filter({ hasText: /notes|Field notes/i }).first();
  await notes.getByRole('button', { name: /^Remove / }).click();
  await notes.getByRole('button', { name: 'Remove?' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="library-item"]').length === 1, null, { timeout: 10_000 });
});

await s.run();
