/**
 * `longread eval [--model M.gguf] [--tasks a,b] [--lengths 4096,8192] [--cases N] [--peer]
 * [--peer-gpu] [--out results.json]`: the long-document QA suite (bench/longqa: RULER-style
 * held-out cases fitted to each length with the model's own tokenizer) run through our engine in
 * dense mode, or with --peer through llama.cpp (node-llama-cpp), printing a Markdown table of
 * RULER scores (string_match_all / string_match_part, percent) and writing every prediction to
 * --out. Without --model it scores the bundled model. --cases-out writes the cases (gzipped JSON
 * lines) for tools/train/train.py --eval-cases instead of running them.
 *
 * Extend: new tasks go into bench/longqa/tasks.ts; new backends into bench/longqa/backends.ts.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { ggufOpen } from '../../formats/gguf-read.ts';
import { tokenizerFromGguf } from '../../tokenizer/tokenizer.ts';
import { LongreadError } from '../../errors.ts';
import { engineBackend, llamaCppBackend } from '../../../bench/longqa/backends.ts';
import { makeCase, runCases, summaryTable, type CaseResult, type LongQaCase } from '../../../bench/longqa/runner.ts';
import { TASKS, taskNames } from '../../../bench/longqa/tasks.ts';
import type { Command } from './command.ts';
import { modelPathFrom } from './runtime-args.ts';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Score a model on the long-document QA suite (RULER-style, held-out cases) and print a table',
  usage: '[--model M.gguf] [--tasks niah_single,niah_multikey,vt,...] [--lengths 4096,8192] [--cases N] [--peer] [--peer-gpu] [--threads N] [--out results.json] [--cases-out cases.jsonl.gz]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' }, tasks: { type: 'string', default: 'niah_single,niah_multikey,vt' }, lengths: { type: 'string', default: '4096' },
        cases: { type: 'string', default: '20' }, peer: { type: 'boolean', default: false }, 'peer-gpu': { type: 'boolean', default: false },
        threads: { type: 'string', default: '2' }, out: { type: 'string' }, json: { type: 'boolean', default: false }, 'cases-out': { type: 'string' },
      },
    });
    const tasks = taskNames(values.tasks!);
    for (const t of tasks) {
      if (!TASKS[t]) throw new LongreadError('bad-request', `Unknown task "${t}".`, `Known tasks: ${Object.keys(TASKS).join(', ')}, niah_single, niah_multikey.`);
    }
    const lengths = values.lengths!.split(',').map((s) => Number(s.trim()));
    const n = Number(values.cases);
    if (lengths.some((L) => !Number.isInteger(L) || L < 512) || !Number.isInteger(n) || n < 1) {
      throw new LongreadError('bad-request', 'Lengths must be integers >= 512 and --cases a positive integer.', 'Example: --lengths 4096,8192 --cases 20');
    }
    const modelPath = modelPathFrom(values.model);
    const file = await ggufOpen(modelPath);
    const tok = tokenizerFromGguf(file.metadata);
    await file.close();
    const cases: LongQaCase[] = [];
    // index before task: a run cut short still covers every task with the same cases
    for (const L of lengths) for (let i = 0; i < n; i++) for (const t of tasks) cases.push(makeCase(tok, t, L, i));
    if (values['cases-out']) {
      // the same cases for tools/train/train.py --eval-cases (PyTorch evaluation on the GPU machine)
      const rows = cases.map(({ promptTokens, ...c }) => JSON.stringify({ ...c, promptTokens: promptTokens.length }));
      writeFileSync(values['cases-out'], gzipSync(rows.join('\n') + '\n'));
      process.stdout.write(`wrote ${cases.length} cases to ${values['cases-out']}\n`);
      return 0;
    }
    const usePeer = values.peer || values['peer-gpu'];
    const backend = usePeer ? await llamaCppBackend(modelPath, { gpu: values['peer-gpu'], threads: Number(values.threads) }) : await engineBackend(modelPath);
    const t0 = Date.now();
    const save = (results: CaseResult[], done: boolean) => {
      if (values.out) writeFileSync(values.out, JSON.stringify({ model: modelPath, backend: backend.name, done, cases: cases.length, seconds: (Date.now() - t0) / 1000, results }, null, 1));
    };
    try {
      const partial: CaseResult[] = [];
      const results = await runCases(backend, cases, (r) => {
        process.stderr.write(`${r.id} ${r.score.toFixed(2)} ${JSON.stringify(r.prediction.slice(0, 80))}\n`);
        partial.push(r);
        save(partial, false); // after every case, so a run cut short keeps what it measured
      });
      const secs = (Date.now() - t0) / 1000;
      save(results, true);
      process.stdout.write(`model ${modelPath}, backend ${backend.name}, ${results.length} cases in ${secs.toFixed(0)} s\n\n${summaryTable(results)}\n`);
    } finally {
      await backend.dispose();
    }
    return 0;
  },
};
