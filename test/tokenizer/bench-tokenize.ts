/**
 * Benchmark: tokenize 1 MiB of English prose with each real vocabulary (llama3, qwen3, llama2),
 * cold (fresh tokenizer, empty word cache) and warm, next to llama.cpp (node-llama-cpp CPU build)
 * on the same text. Numbers go to BENCHMARKS.md ("Tokenizer" section).
 *
 * Usage: npx tsx test/tokenizer/bench-tokenize.ts [--file prose.txt] [--no-peer]
 * Default corpus: Vim's release notes (/usr/share/vim/vim90/doc/version{6,7,8,9}.txt, real English
 * prose present on Debian machines), first 1 MiB; falls back to generated prose if absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { tokenizerFromGguf } from '../../engine/tokenizer/tokenizer.ts';
import { plainMetadata } from './gguf-vocab-file.ts';
import { hfToGguf, type HfName } from './hf-to-gguf.ts';
import { fixture } from './parity-harness.ts';
import { parityTexts } from './texts.ts';

const MIB = 1 << 20;
const { values } = parseArgs({ options: { file: { type: 'string' }, 'no-peer': { type: 'boolean' } } });

function corpus(): { text: string; source: string } {
  if (values.file) return { text: fs.readFileSync(values.file, 'utf8').slice(0, MIB), source: values.file };
  const vim = [6, 7, 8, 9].map((v) => `/usr/share/vim/vim90/doc/version${v}.txt`).filter((p) => fs.existsSync(p));
  if (vim.length > 0) {
    const text = vim.map((p) => fs.readFileSync(p, 'utf8')).join('\n');
    if (text.length >= MIB) return { text: text.slice(0, MIB), source: 'vim90 doc/version{6,7,8,9}.txt' };
  }
  let text = '';
  for (const t of parityTexts(100_000, 1)) { if (text.length >= MIB) break; text += t + '\n'; }
  return { text: text.slice(0, MIB), source: 'generated (test/tokenizer/texts.ts)' };
}

const { text, source } = corpus();
console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; corpus: ${source}, ${text.length} chars, ${Buffer.byteLength(text)} bytes; ${os.cpus()[0]?.model}, ${os.cpus().length} cpus, node ${process.version}`);
for (const name of ['llama3', 'qwen3', 'llama2'] as HfName[]) {
  const meta = plainMetadata(hfToGguf(name));
  let t = performance.now();
  const tok = tokenizerFromGguf(meta);
  const build = performance.now() - t;
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const ids = tok.encode(text);
  const cold = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const coldCpu = (cpu.user + cpu.system) / 1000;
  t = performance.now();
  tok.encode(text);
  const warm = performance.now() - t;
  let peerMs = NaN;
  let same = '';
  if (!values['no-peer']) {
    const peer = await fixture(name).peer();
    t = performance.now();
    const ref = peer.tokenize(text, false);
    peerMs = performance.now() - t;
    same = ref.length === ids.length && ref.every((v, i) => v === ids[i]) ? 'identical ids' : 'IDS DIFFER';
    await peer.dispose();
  }
  console.log(`${name}: build ${build.toFixed(0)} ms, encode 1 MiB cold ${cold.toFixed(0)} ms (cpu ${coldCpu.toFixed(0)} ms), warm ${warm.toFixed(0)} ms, ${ids.length} tokens (${(ids.length / cold * 1000 / 1e6).toFixed(2)} M tok/s cold); llama.cpp ${peerMs.toFixed(0)} ms ${same}`);
}
