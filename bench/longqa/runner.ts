/**
 * Long-document QA runner: builds held-out cases (tasks.ts) fitted to a token length with the
 * model's own tokenizer, runs them through a backend (our engine, or llama.cpp), scores them as
 * RULER does, and summarises a table.
 *
 * Prompt = the model's chat template around the task input (one user turn, generation prompt
 * on), then the task's answer prefix, stripped, opening the assistant turn. The same token ids
 * go to every backend. Length fitting (RULER's rule): the largest haystack with
 * prompt tokens + maxNewTokens <= length.
 *
 * Extend: a new backend implements `Backend`; a new metric goes into `score`.
 */
import type { Tokenizer } from '../../engine/tokenizer/tokenizer.ts';
import { renderChatPrompt } from '../../engine/tokenizer/chat-template.ts';
import { Rng } from './data.ts';
import { TASKS, type CaseDraft, type CaseText, type Metric } from './tasks.ts';

export interface LongQaCase extends CaseText {
  id: string;
  task: string;
  length: number;
  seed: number;
  metric: Metric;
  maxNewTokens: number;
  promptTokens: number[];
}

export interface Backend {
  name: string;
  /** greedy continuation of the prompt ids, stopping at end-of-generation; returns the text */
  generate(promptTokens: number[], maxNewTokens: number, contextLength: number): Promise<string>;
  dispose(): Promise<void>;
}

export interface CaseResult { id: string; task: string; length: number; score: number; prediction: string; references: string[]; promptTokens: number; depth: number }

/** Held-out seeds: 1,000,000 + task index * 10,000 + case index (training uses seeds < 1e6 per step, other generators). */
export function caseSeed(task: string, i: number): number {
  return 1_000_000 + Object.keys(TASKS).indexOf(task) * 10_000 + i;
}

export function promptIds(tok: Tokenizer, c: CaseText): number[] {
  const msgs = [...(c.system ? [{ role: 'system', content: c.system }] : []), { role: 'user', content: c.input }];
  const { parts } = renderChatPrompt(tok, null, msgs);
  const prefix = c.answerPrefix.trim();
  return tok.encodeParts(prefix ? [...parts, { text: prefix, special: false }] : parts);
}

/** Largest haystack size n with tokens(prompt(n)) + maxNew <= length (binary search). */
export function fitCase(tok: Tokenizer, draft: CaseDraft, length: number): { text: CaseText; ids: number[] } {
  const budget = length - draft.maxNewTokens;
  const at = (n: number) => { const text = draft.build(n); return { text, ids: promptIds(tok, text) }; };
  let lo = at(1);
  if (lo.ids.length > budget) throw new Error(`${draft.task}: even the smallest case has ${lo.ids.length} tokens, over ${budget}`);
  const probe = at(33);
  const per = Math.max(1, (probe.ids.length - lo.ids.length) / 32);
  let loN = 1;
  let hiN = Math.max(2, Math.ceil((budget - lo.ids.length) / per) + 2);
  // invariant: lo = at(loN) fits, at(hiN) does not
  for (let r = at(hiN); r.ids.length <= budget; r = at(hiN)) { loN = hiN; lo = r; hiN = Math.ceil(hiN * 1.25) + 1; }
  while (hiN - loN > 1) {
    const mid = (loN + hiN) >> 1;
    const r = at(mid);
    if (r.ids.length <= budget) { loN = mid; lo = r; } else hiN = mid;
  }
  return lo;
}

export function makeCase(tok: Tokenizer, task: string, length: number, i: number): LongQaCase {
  const mk = TASKS[task];
  if (!mk) throw new Error(`unknown task ${task}; known: ${Object.keys(TASKS).join(', ')}`);
  const seed = caseSeed(task, i);
  const draft = mk(new Rng(seed * 7919 + length));
  const { text, ids } = fitCase(tok, draft, length);
  return { ...text, id: `${task}/${length}/${i}`, task, length, seed, metric: draft.metric, maxNewTokens: draft.maxNewTokens, promptTokens: ids };
}

/** RULER's scoring: predictions stripped, control characters -> newline, case-insensitive substring. */
export function score(prediction: string, references: string[], metric: Metric): number {
  const p = prediction.replace(/[\x00-\x1f]/g, '\n').trim().toLowerCase();
  const hits = references.map((r) => (p.includes(r.toLowerCase()) ? 1 : 0));
  return metric === 'all' ? hits.reduce<number>((a, b) => a + b, 0) / references.length : Math.max(0, ...hits);
}

export async function runCases(backend: Backend, cases: LongQaCase[], onResult?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of cases) {
    const prediction = await backend.generate(c.promptTokens, c.maxNewTokens, c.length);
    const r = { id: c.id, task: c.task, length: c.length, score: score(prediction, c.references, c.metric), prediction, references: c.references, promptTokens: c.promptTokens.length, depth: c.depth };
    out.push(r);
    onResult?.(r);
  }
  return out;
}

/** Markdown table: one row per task, one column per length, mean score in percent (n cases). */
export function summaryTable(results: CaseResult[], title = 'score %'): string {
  const tasks = [...new Set(results.map((r) => r.task))];
  const lengths = [...new Set(results.map((r) => r.length))].sort((a, b) => a - b);
  const cell = (t: string, L: number) => {
    const rs = results.filter((r) => r.task === t && r.length === L);
    return rs.length ? `${(100 * rs.reduce((a, r) => a + r.score, 0) / rs.length).toFixed(1)} (n=${rs.length})` : '-';
  };
  const lines = [`| ${title} | ${lengths.map((L) => (L >= 1024 ? `${L / 1024}K` : String(L))).join(' | ')} |`, `|---|${lengths.map(() => '---').join('|')}|`];
  for (const t of tasks) lines.push(`| ${t} | ${lengths.map((L) => cell(t, L)).join(' | ')} |`);
  return lines.join('\n');
}
