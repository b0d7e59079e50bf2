/**
 * Ingest speed on a long PDF: generates an N-page (default 300) two-column groff ms document
 * with running headers/footers, section bookmarks and hyphenation (deterministic prose, public
 * domain by construction), renders it with `groff -ms -Tpdf` (Debian package groff), then times
 * `ingestDocument` (worker start-up included) over several runs and prints one JSON line.
 *
 *   node --import tsx bench/documents/ingest-pdf.ts [--pages 300] [--runs 3] [--keep out.pdf]
 *
 * Needs groff (gropdf); runs on the CPU only. Results go to BENCHMARKS.md ("Documents").
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ingestDocument } from '../../engine/documents/ingest.ts';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '300' }, runs: { type: 'string', default: '3' }, keep: { type: 'string' } } });
const targetPages = Number(values.pages);
const runs = Number(values.runs);

const WORDS = ('lantern harbour meadow river archive ledger compass orchard granary quarry beacon cathedral telescope manuscript ' +
  'parliament carpenter astronomer cartographer apothecary silversmith incomprehensibility internationalization ' +
  'electroencephalography characterization responsibility extraordinarily photosynthesis quietly slowly carefully ' +
  'gathered measured recorded carried painted folded the a of and in on under over with beside through during after ' +
  'before their every northern western ancient gentle crowded narrow silent distant golden weathered').split(' ');
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const sentence = () => {
  const n = 8 + Math.floor(rnd() * 9);
  const s = Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ');
  return s[0]!.toUpperCase() + s.slice(1) + '.';
};

// ~3,300 characters of body text per two-column page at 10 pt (measured on the test fixture).
function msSource(pages: number): string {
  const out = ['.ds LH Longread Benchmark Journal', '.ds RH Volume Seven', '.ds RF Page %', '.nr PS 10', '.nr VS 12', '.nr HY 14',
    '.TL', 'A Long Document for the Ingest Benchmark', '.AU', 'Bench Fixture', '.2C'];
  const sections = Math.ceil(pages / 2);
  const parasPerSection = Math.round((pages * 5570) / sections / 620);
  for (let s = 1; s <= sections; s++) {
    out.push(`.pdfhref O 1 "Section ${s}"`, '.NH', `Section ${s}`, '.PP');
    for (let p = 0; p < parasPerSection; p++) {
      out.push(Array.from({ length: 5 }, sentence).join(' '), '.PP');
    }
    out.pop();
  }
  return out.join('\n') + '\n';
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'longread-bench-pdf-'));
try {
  const ms = path.join(dir, 'long.ms');
  const pdf = path.join(dir, 'long.pdf');
  writeFileSync(ms, msSource(targetPages));
  writeFileSync(pdf, execFileSync('groff', ['-ms', '-Tpdf', '-P-pa4', ms], { maxBuffer: 1 << 30 }));
  const bytes = readFileSync(pdf).length;
  if (values.keep) writeFileSync(values.keep, readFileSync(pdf));
  const times: number[] = [];
  let info = null;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const doc = await ingestDocument({ kind: 'path', path: pdf });
    times.push(performance.now() - t0);
    info = { pages: doc.info.pages, characters: doc.info.characters, words: doc.info.words, sections: doc.sourceMap.sections.length, notes: doc.info.notes };
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: 'documents/ingest-pdf', bytes, ...info, runs, ms: times.map((t) => Math.round(t)), medianMs: Math.round(times[Math.floor(times.length / 2)]!), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
