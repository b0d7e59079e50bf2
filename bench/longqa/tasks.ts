/**
 * RULER-style long-document tasks (NVIDIA/RULER scripts/data/synthetic, recipes in
 * ../shared/research/peers.md part C) with RULER's exact templates, plus InfiniteBench's
 * kv_retrieval and a document-QA task whose facts are stated in prose and asked in other words.
 * These templates, the held-out word lists/prose (data.ts) and the seeds (runner: 1_000_000+)
 * are never used in training (tools/train/tasks.py has its own paraphrased templates).
 *
 * A task turns a seed into a `CaseDraft`: all random choices made up front, and `build(n)` that
 * renders the case with a haystack of n units (sentences / lines / list entries), so fit.ts can
 * size n to a token budget with the model's own tokenizer.
 *
 * Extend: add a function `(rng) => CaseDraft` to TASKS under its RULER-like name.
 */
import { DOC_INTRO, DOC_SYSTEM, QUESTION_MARK } from '../../engine/service/doc-prompt.ts';
import { heldoutParagraphs, heldoutRealQa, heldoutSentences, heldoutWords, Rng } from './data.ts';

export type Metric = 'all' | 'part';

export interface CaseText {
  /** user message content */
  input: string;
  /** opens the assistant turn (stripped of surrounding whitespace by the runner) */
  answerPrefix: string;
  references: string[];
  /** where the (first) answer-bearing line sits, as a fraction of the haystack */
  depth: number;
  /** system message before the user turn (the app's document prompt has one) */
  system?: string;
}

export interface CaseDraft {
  task: string;
  metric: Metric;
  maxNewTokens: number;
  build(n: number): CaseText;
}

const NOISE = 'The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.';
const DEPTHS = [...new Set(Array.from({ length: 40 }, (_, i) => Math.round((i * 100) / 39)))];

function key(rng: Rng): string {
  const w = heldoutWords();
  return `${rng.pick(w.adjectives)}-${rng.pick(w.nouns)}`;
}

function value(rng: Rng, type: 'numbers' | 'words' | 'uuids'): string {
  if (type === 'numbers') return String(rng.int(1_000_000, 9_999_999));
  if (type === 'uuids') return rng.uuid();
  return key(rng);
}

function joinQueries(q: string[]): string {
  return q.length === 1 ? q[0]! : `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
}

function essayUnits(rng: Rng): (n: number) => string[] {
  const s = heldoutSentences();
  const start = rng.int(0, s.length - 1);
  return (n) => Array.from({ length: n }, (_, i) => s[(start + i) % s.length]!);
}

interface NiahConfig {
  haystack: 'noise' | 'essay' | 'needle';
  keyType: 'words' | 'uuids';
  valueType: 'numbers' | 'words' | 'uuids';
  keys: number;
  values: number;
  queries: number;
}

function niah(name: string, cfg: NiahConfig) {
  return (rng: Rng): CaseDraft => {
    const keys: string[] = [];
    while (keys.length < cfg.keys) {
      const k = cfg.keyType === 'uuids' ? rng.uuid() : key(rng);
      if (!keys.includes(k)) keys.push(k);
    }
    const vals = keys.map(() => Array.from({ length: cfg.values }, () => value(rng, cfg.valueType)));
    const needles = keys.flatMap((k, i) => vals[i]!.map((v) => `One of the special magic ${cfg.valueType} for ${k} is: ${v}.`));
    const order = rng.shuffle(needles.map((_, i) => i));
    const qIdx = rng.sample(keys.map((_, i) => i), cfg.queries);
    const queries = qIdx.map((i) => keys[i]!);
    const refs = qIdx.flatMap((i) => vals[i]!);
    const single = refs.length === 1;
    const t = single ? cfg.valueType.slice(0, -1) : cfg.valueType;
    let template = `Some special magic ${cfg.valueType} are hidden within the following text. Make sure to memorize it. I will quiz you about the ${cfg.valueType} afterwards.\n{context}\nWhat are all the special magic ${cfg.valueType} for {query} mentioned in the provided text?`;
    let prefix = `The special magic ${cfg.valueType} for {query} mentioned in the provided text are`;
    if (single) {
      template = template.replace('Some', 'A').replace('are all', 'is').replace(/ are /g, ' is ').replaceAll(cfg.valueType, t);
      prefix = prefix.replace(' are', ' is').replaceAll(cfg.valueType, t);
    }
    const query = joinQueries(queries);
    const essay = essayUnits(rng);
    const depths = rng.sample(DEPTHS, needles.length).sort((a, b) => a - b);
    const posSeed = rng.next();
    const hayKeys = Array.from({ length: 4096 }, () => [cfg.keyType === 'uuids' ? rng.uuid() : key(rng), value(rng, cfg.valueType)] as const);
    return {
      task: name, metric: 'all', maxNewTokens: 128,
      build(n) {
        let units: string[];
        if (cfg.haystack === 'essay') units = essay(n);
        else if (cfg.haystack === 'noise') units = Array.from({ length: n }, () => NOISE);
        else units = Array.from({ length: n }, (_, i) => `One of the special magic ${cfg.valueType} for ${hayKeys[i % hayKeys.length]![0]} is: ${hayKeys[i % hayKeys.length]![1]}.`);
        const r = new Rng(Math.floor(posSeed * 2 ** 31));
        const pos = cfg.haystack === 'essay'
          ? depths.map((d) => Math.floor((n * d) / 100))
          : needles.map(() => r.int(0, n)).sort((a, b) => a - b);
        const out = [...units];
        const placed = order.map((ni, j) => ({ ni, p: pos[j]! }));
        for (const { ni, p } of [...placed].sort((a, b) => b.p - a.p)) out.splice(p, 0, needles[ni]!);
        const context = out.join(cfg.haystack === 'essay' ? ' ' : '\n');
        const first = needles.findIndex((s) => s.includes(refs[0]!));
        const depth = (placed.find((x) => x.ni === first)?.p ?? 0) / Math.max(1, n);
        return { input: template.replace('{context}', context).replace('{query}', query), answerPrefix: prefix.replace('{query}', query), references: refs, depth };
      },
    };
  };
}

function vtText(rng: Rng, n: number, value: number, names: string[], posSeed: number): string {
  const chain = [`VAR ${names[0]} = ${value}`, ...names.slice(1).map((v, j) => `VAR ${v} = VAR ${names[j]} `)];
  const lines: string[] = Array.from({ length: n }, () => NOISE);
  const r = new Rng(posSeed);
  const pos = chain.map(() => r.int(0, n)).sort((a, b) => a - b);
  for (let j = chain.length - 1; j >= 0; j--) lines.splice(pos[j]!, 0, chain[j]!);
  void rng;
  return lines.join('\n').replaceAll('. \n', '.\n');
}

function varNames(rng: Rng, k: number): string[] {
  const out: string[] = [];
  while (out.length < k) {
    const v = Array.from({ length: 5 }, () => String.fromCharCode(65 + rng.int(0, 25))).join('');
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

function vt(rng: Rng): CaseDraft {
  const tpl = 'Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n{context}\nQuestion: Find all variables that are assigned the value {query} in the text above.';
  const pre = 'Answer: According to the chain(s) of variable assignment in the text above, 5 variables are assigned the value {query}, they are: ';
  const exNames = varNames(rng, 5);
  const exValue = rng.int(10000, 99999);
  const example = tpl.replace('{context}', vtText(rng, 12, exValue, exNames, rng.int(0, 1e9))).replaceAll('{query}', String(exValue)) +
    '\n' + pre.replaceAll('{query}', String(exValue)) + exNames.join(' ') + '\n\n';
  const names = varNames(rng, 5).filter((x) => !exNames.includes(x));
  while (names.length < 5) names.push(...varNames(rng, 5 - names.length).filter((x) => !exNames.includes(x) && !names.includes(x)));
  const val = rng.int(10000, 99999);
  const posSeed = rng.int(0, 1e9);
  return {
    task: 'vt', metric: 'all', maxNewTokens: 30,
    build(n) {
      return { input: example + tpl.replace('{context}', vtText(rng, n, val, names, posSeed)).replaceAll('{query}', String(val)), answerPrefix: pre.replaceAll('{query}', String(val)), references: names, depth: 0 };
    },
  };
}

function cweList(rng: Rng, words: string[], common: number, fc: number, fu: number): string {
  const lst = [...words.slice(0, common).flatMap((w) => Array(fc).fill(w) as string[]), ...words.slice(common).flatMap((w) => Array(fu).fill(w) as string[])];
  rng.shuffle(lst);
  return lst.map((w, i) => `${i + 1}. ${w}`).join(' ');
}

function cwe(rng: Rng): CaseDraft {
  const w = heldoutWords();
  const pool = rng.shuffle([...new Set([...w.nouns, ...w.adjectives, ...w.verbs])]);
  const tpl = 'Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n{context}\nQuestion: What are the 10 most common words in the above list?';
  const pre = 'Answer: The top 10 words that appear most often in the list are:';
  // RULER's few-shot example, in its small form (20 words, 10 x6 / 10 x1) so it fits at 4K
  const exWords = pool.slice(0, 20);
  const exRng = new Rng(rng.int(0, 1e9));
  const example = tpl.replace('{context}', cweList(exRng, exWords, 10, 6, 1)) + '\n' + pre + ' ' + exWords.slice(0, 10).map((x, i) => `${i + 1}. ${x}`).join(' ') + '.\n\n';
  const rest = pool.slice(20);
  const seed = rng.int(0, 1e9);
  return {
    task: 'cwe', metric: 'all', maxNewTokens: 120,
    build(n) {
      const words = rest.slice(0, Math.min(rest.length, 10 + n));
      return { input: example + tpl.replace('{context}', cweList(new Rng(seed), words, 10, 30, 3)), answerPrefix: pre, references: words.slice(0, 10), depth: 0 };
    },
  };
}

function kv(rng: Rng): CaseDraft {
  const pairs = Array.from({ length: 6000 }, () => [rng.uuid(), rng.uuid()] as const);
  const frac = rng.next();
  return {
    task: 'kv', metric: 'all', maxNewTokens: 48,
    build(n) {
      const ps = pairs.slice(0, Math.max(2, n));
      const qi = Math.min(ps.length - 1, Math.floor(frac * ps.length));
      const json = '{' + ps.map(([a, b]) => `"${a}": "${b}"`).join(', ') + '}';
      return {
        input: `Extract the value corresponding to the specified key in the JSON object below.\n\nJSON data:\n${json}\n\nKey: "${ps[qi]![0]}"`,
        answerPrefix: 'The value associated with the specified key is:', references: [ps[qi]![1]], depth: qi / ps.length,
      };
    },
  };
}

// Document QA: HELD-OUT statement and question templates (training uses others).
const SYL = ['ka', 'lo', 'mi', 'ra', 'ten', 'vo', 'sa', 'del', 'ri', 'no', 'bel', 'tor', 'an', 'is', 'el', 'mar', 'qu', 'fen', 'dor', 'li', 'ga', 'wen', 'ru', 'ob'];
const JOBS = ['carpenter', 'baker', 'pilot', 'nurse', 'teacher', 'lawyer', 'farmer', 'chemist', 'painter', 'tailor', 'plumber', 'librarian', 'surgeon', 'architect', 'sailor', 'jeweler', 'miner', 'editor', 'banker', 'potter'];
const TOWNS = ['Ashford', 'Brookvale', 'Cedar Falls', 'Dunmore', 'Elmwood', 'Fairhaven', 'Glenrock', 'Harrowgate', 'Ironbridge', 'Kingsport', 'Larkspur', 'Millbrook', 'Northwick', 'Oakridge', 'Pinecrest', 'Redwater', 'Stonehill', 'Thornbury', 'Westmere', 'Yarrow'];
const ANIMALS = ['dog', 'cat', 'parrot', 'horse', 'goat', 'rabbit', 'turtle', 'canary'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'silver', 'orange', 'purple', 'brown'];
const FACTS: Record<string, [string, string, string]> = {
  job: ['{name} earns a living as a {job}.', 'What is the occupation of {name}?', '{job}'],
  town: ['The birthplace of {name} is {town}.', 'Which town is {name} from?', '{town}'],
  pet: ['{pet} is the name of the {animal} that belongs to {name}.', 'What did {name} name the {animal}?', '{pet}'],
  color: ['{name} owns a car that is painted {color}.', 'Which color does the car of {name} have?', '{color}'],
  year: ['In {year}, {name} settled in {town}.', 'When did {name} move to {town}?', '{year}'],
  count: ['The coin collection of {name} numbers {n} pieces.', "How many coins are in {name}'s collection?", '{n}'],
};

/** Held-out names: character-code sum odd (training names have an even sum). */
function heldoutName(rng: Rng): string {
  for (;;) {
    const part = () => { const s = Array.from({ length: rng.int(2, 3) }, () => rng.pick(SYL)).join(''); return s[0]!.toUpperCase() + s.slice(1); };
    const n = `${part()} ${part()}`;
    if ([...n].reduce((a, c) => a + c.charCodeAt(0), 0) % 2 === 1) return n;
  }
}

function fill(t: string, slots: Record<string, string>): string {
  return t.replace(/\{(\w+)\}/g, (_, k: string) => slots[k]!);
}

function docqa(rng: Rng): CaseDraft {
  const n = rng.int(4, 9);
  const facts = Array.from({ length: n }, () => {
    const slots: Record<string, string> = {
      name: heldoutName(rng), job: rng.pick(JOBS), town: rng.pick(TOWNS), animal: rng.pick(ANIMALS), pet: heldoutName(rng).split(' ')[0]!,
      color: rng.pick(COLORS), year: String(rng.int(1800, 2020)), n: String(rng.int(2, 999)),
    };
    const [s, q, a] = FACTS[rng.pick(Object.keys(FACTS))]!;
    return { s: fill(s, slots), q: fill(q, slots), a: fill(a, slots) };
  });
  const essay = essayUnits(rng);
  const fr = facts.map(() => rng.next());
  const tpl = 'Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nThe following are given documents.\n\n{context}\n\nAnswer the question based on the given documents. Only give me the answer and do not output any other words.\n\nQuestion: {query}';
  return {
    task: 'docqa', metric: 'part', maxNewTokens: 32,
    build(m) {
      const units = essay(m);
      const pos = fr.map((f) => Math.floor(f * m));
      const order = facts.map((_, i) => i).sort((a, b) => pos[b]! - pos[a]!);
      for (const i of order) units.splice(pos[i]!, 0, facts[i]!.s);
      return { input: tpl.replace('{context}', 'Document 1:\n' + units.join(' ')).replace('{query}', facts[0]!.q), answerPrefix: 'Answer:', references: [facts[0]!.a], depth: fr[0]! };
    },
  };
}

/**
 * Extractive QA over real prose (issue 9): a question made by rule from a sentence of a HELD-OUT
 * Brown file (data/realqa-heldout.json, bench/longqa/make-realqa.py; evaluation-only forms such as
 * "In which year ...", "By whom was ..."), the answer a span of that sentence. The document is the
 * sentences around it, in their paragraphs, with the target sentence at a seeded depth, and the
 * prompt is exactly the app's (engine/service/doc-prompt.ts: system, intro, document, question).
 * Units are sentences; scored like docqa (the reference anywhere in the answer).
 */
function realqa(rng: Rng): CaseDraft {
  const item = rng.pick(heldoutRealQa());
  const paras = heldoutParagraphs();
  const split = (p: string) => p.split(/(?<=[.!?"])\s+(?=[A-Z"])/).filter(Boolean);
  const d = rng.next();
  // the target paragraph, whole sentences; the target sentence's index inside it
  const tSents = split(paras[item.para]!);
  let tk = tSents.findIndex((s) => s.includes(item.sentence));
  if (tk < 0) { tSents.splice(0, tSents.length, paras[item.para]!); tk = 0; }
  const sentsAt = (pi: number) => (pi === item.para ? tSents : split(paras[pi]!));
  return {
    task: 'realqa', metric: 'part', maxNewTokens: 32,
    build(n) {
      // n sentences: `before` of them before the target sentence, the rest after it
      let before = Math.floor(d * (n - 1));
      const units: { p: number; s: string }[] = [{ p: item.para, s: tSents[tk]! }];
      const prev: { p: number; s: string }[] = [];
      const next: { p: number; s: string }[] = [];
      let pi = item.para;
      let k = tk;
      const back = () => { while (k === 0) { if (pi === 0) return false; pi--; k = sentsAt(pi).length; } k--; prev.push({ p: pi, s: sentsAt(pi)[k]! }); return true; };
      let pj = item.para;
      let kj = tk;
      const fwd = () => { while (kj >= sentsAt(pj).length - 1) { if (pj >= paras.length - 1) return false; pj++; kj = -1; } kj++; next.push({ p: pj, s: sentsAt(pj)[kj]! }); return true; };
      while (prev.length < before && back());
      before = prev.length;
      while (next.length < n - 1 - before && fwd());
      while (prev.length + next.length < n - 1 && back());
      units.unshift(...prev.reverse());
      units.push(...next);
      let doc = '';
      for (let i = 0; i < units.length; i++) doc += i === 0 ? units[i]!.s : (units[i]!.p === units[i - 1]!.p ? ' ' : '\n\n') + units[i]!.s;
      return {
        system: DOC_SYSTEM, input: `${DOC_INTRO}${doc}${QUESTION_MARK}${item.question}`, answerPrefix: '',
        references: [item.answer], depth: prev.length / Math.max(1, units.length),
      };
    },
  };
}

export const TASKS: Record<string, (rng: Rng) => CaseDraft> = {
  niah_single_1: niah('niah_single_1', { haystack: 'noise', keyType: 'words', valueType: 'numbers', keys: 1, values: 1, queries: 1 }),
  niah_single_2: niah('niah_single_2', { haystack: 'essay', keyType: 'words', valueType: 'numbers', keys: 1, values: 1, queries: 1 }),
  niah_single_3: niah('niah_single_3', { haystack: 'essay', keyType: 'words', valueType: 'uuids', keys: 1, values: 1, queries: 1 }),
  niah_multikey_1: niah('niah_multikey_1', { haystack: 'essay', keyType: 'words', valueType: 'numbers', keys: 4, values: 1, queries: 1 }),
  niah_multikey_2: niah('niah_multikey_2', { haystack: 'needle', keyType: 'words', valueType: 'numbers', keys: 1, values: 1, queries: 1 }),
  niah_multikey_3: niah('niah_multikey_3', { haystack: 'needle', keyType: 'uuids', valueType: 'uuids', keys: 1, values: 1, queries: 1 }),
  niah_multivalue: niah('niah_multivalue', { haystack: 'essay', keyType: 'words', valueType: 'numbers', keys: 1, values: 4, queries: 1 }),
  niah_multiquery: niah('niah_multiquery', { haystack: 'essay', keyType: 'words', valueType: 'numbers', keys: 4, values: 1, queries: 4 }),
  vt,
  cwe,
  kv,
  docqa,
  realqa,
};

/** Short names used by the issue and the CLI. */
export const ALIASES: Record<string, string> = { niah_single: 'niah_single_2', niah_multikey: 'niah_multikey_1' };

export function taskNames(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => ALIASES[s] ?? s);
}
