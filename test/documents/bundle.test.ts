/**
 * The ingest worker in the two runtimes besides vitest: an esbuild bundle (as the Electron
 * engine host is built: the worker emitted as `documents-worker.mjs` beside the host bundle,
 * pdf.js data located through LONGREAD_PDFJS_DIR) and the CLI (`node bin/longread.mjs ingest`,
 * TypeScript through tsx).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'longread-docbundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runtimes', () => {
  it('esbuild bundle: host + documents-worker.mjs, no node_modules needed at run time', async () => {
    await build({
      entryPoints: { host: 'test/documents/bundle-entry.ts', 'documents-worker': 'engine/documents/worker.ts' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      logLevel: 'error',
      banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
    });
    const env = { ...process.env, LONGREAD_PDFJS_DIR: path.resolve('node_modules/pdfjs-dist'), NODE_PATH: '' };
    const runOne = (file: string) => JSON.parse(execFileSync(process.execPath, [path.join(dir, 'host.mjs'), path.resolve(file)], { cwd: dir, env, encoding: 'utf8' }));
    const pdf = runOne('test/documents/fixtures/two-column.pdf');
    expect(pdf.info).toMatchObject({ format: 'pdf', pages: 5, title: 'On the Migration of Reading Lamps' });
    expect(pdf.head).toContain('1. Introduction\n\nDuring compass quarry telescope');
    expect(pdf.sections).toBe(6);
    const docx = runOne('test/documents/fixtures/handbook.docx');
    expect(docx.info.format).toBe('docx');
    const bomb = runOne('test/documents/hostile/zip-bomb.docx');
    expect(bomb.error.code).toBe('document-limit');
  });

  it('CLI: longread ingest prints metadata, text and the source map; errors exit 1 with a hint', () => {
    const ok = spawnSync(process.execPath, ['bin/longread.mjs', 'ingest', 'test/documents/fixtures/report.pdf', '--chars', '120'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('title:      Annual Report of the Lamp Society');
    expect(ok.stdout).toContain('--- text (120 of ');
    expect(ok.stdout).toMatch(/source map: 9 page spans, \d+ sections/);
    expect(ok.stdout).toContain('    Section 2.1 Survey Notes  [');
    const json = spawnSync(process.execPath, ['bin/longread.mjs', 'ingest', 'test/documents/fixtures/handbook.epub', '--json'], { encoding: 'utf8' });
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.info.format).toBe('epub');
    expect(doc.text).toContain('Pear | 6 m | 90 kg');
    const bad = spawnSync(process.execPath, ['bin/longread.mjs', 'ingest', 'test/documents/hostile/traversal.epub'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*unsafe entry name/m);
    expect(bad.stderr).toMatch(/^hint: /m);
  });
});
