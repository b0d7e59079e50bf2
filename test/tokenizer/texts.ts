/**
 * Deterministic corpus for tokenizer parity: `parityTexts(n, seed)` mixes prose, code, CJK,
 * emoji (ZWJ sequences, skin tones, flags), long whitespace runs, digits, other scripts,
 * decomposed accents, contractions in odd cases and special-token strings, from a seeded PRNG.
 * Same seed, same texts, on every machine. Extend by adding a generator to GENERATORS.
 */

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const cp = (r: Rng, lo: number, hi: number): string => String.fromCodePoint(int(r, lo, hi));

const WORDS = ('the of and to in is was that for it with as his on be at by had this not but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(' '));
const PUNCT = ['.', ',', '!', '?', ';', ':', '...', ' —', '-', '(', ')', '"', "'", '“', '”', '‘', '’', '«', '»', '¿', '¡', '…', '%', '&', '/', '*'];
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'lL", "'D", "'M", "'x", "n't"];
const SPECIALS = ['<|im_end|>', '<|im_start|>', '<|eot_id|>', '<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>',
  '<|endoftext|>', '<s>', '</s>', '<unk>', '<think>', '</think>', '<tool_call>', '</tool_call>', '<|fim_prefix|>', '<|reserved_special_token_7|>',
  '<|eom_id|>', '<|im_end', 'im_end|>', '<|', '|>', '<<|im_end|>>', '<s><s>', '<|im_start|>user\n'];
const WS = [' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n', '\n ', '\t\t', '    ', '\u00a0', '\u3000', '\u2028', '\u2009', '\u200b', '\v', '\f'];
const CODE = ['function f(x) {\n  return x * 2;\n}\n', 'def main():\n    print("hi")\n    return 0\n', 'for (let i = 0; i < n; i++) { a[i] += b[i]; }',
  'if (x != null && y >= 3) {\n\t\tz = x ?? y;\n\t}', '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); }', 'SELECT id, name FROM users WHERE age > 30;',
  '```python\nimport numpy as np\nx = np.zeros((3, 4))\n```', 'const re = /^[a-z]+$/gi; // comment', '<div class="a">x</div>', '{"key": [1, 2.5, null, true]}',
  '    $ git commit -m "fix: don\'t crash"', 'x<<=2; y>>=1; z=~x^y|z&0xFF;', '=== ====== ------ ****** ______'];
const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '🇯🇵', '❤️', '✅', '🦙', '🚀', '😶‍🌫️', '🧑🏿‍💻', '©', '™', '⚡', '🎉🎉🎉', '☕️'];
const SCRIPTS: [number, number][] = [[0x4e00, 0x9fa5], [0x3041, 0x3096], [0x30a1, 0x30fa], [0xac00, 0xd7a3], [0x0410, 0x044f], [0x0391, 0x03c9],
  [0x05d0, 0x05ea], [0x0627, 0x064a], [0x0905, 0x0939], [0x0e01, 0x0e2e], [0x00c0, 0x00ff], [0x0100, 0x017f], [0x1780, 0x17b3], [0x0531, 0x0556]];
const NUMBERS = (r: Rng): string => pick(r, [
  () => String(int(r, 0, 9)), () => String(int(r, 0, 999999999)), () => `${int(r, 0, 999)}.${int(r, 0, 99999)}`,
  () => `${int(r, 1, 999)},${int(r, 100, 999)},${int(r, 100, 999)}`, () => '1234567890'.repeat(int(r, 1, 4)),
  () => `${int(r, 1900, 2100)}-${String(int(r, 1, 12)).padStart(2, '0')}-${String(int(r, 1, 28)).padStart(2, '0')}`,
  () => '٣٤٥', () => '१२३', () => '½ ¾ ² ³ Ⅻ', () => `0x${int(r, 0, 0xffffff).toString(16)}`,
])();

function prose(r: Rng): string {
  const parts: string[] = [];
  const n = int(r, 3, 40);
  for (let i = 0; i < n; i++) {
    let w = pick(r, WORDS);
    if (r() < 0.15) w = w[0]!.toUpperCase() + w.slice(1);
    if (r() < 0.03) w = w.toUpperCase();
    if (r() < 0.06) w += pick(r, CONTRACTIONS);
    parts.push(w);
    if (r() < 0.15) parts.push(pick(r, PUNCT));
    if (r() < 0.04) parts.push(NUMBERS(r));
  }
  return parts.join(r() < 0.9 ? ' ' : '  ') + pick(r, ['.', '!', '?', '', '\n']);
}
function scriptRun(r: Rng): string {
  const [lo, hi] = pick(r, SCRIPTS);
  let s = '';
  const n = int(r, 1, 30);
  for (let i = 0; i < n; i++) s += r() < 0.15 ? ' ' : cp(r, lo, hi);
  return s;
}
function whitespace(r: Rng): string {
  let s = '';
  const n = int(r, 1, 12);
  for (let i = 0; i < n; i++) s += r() < 0.5 ? pick(r, WS) : pick(r, WORDS);
  if (r() < 0.3) s += ' '.repeat(int(r, 10, 200));
  if (r() < 0.2) s = '\n'.repeat(int(r, 2, 30)) + s;
  return s;
}
function emoji(r: Rng): string {
  let s = '';
  const n = int(r, 1, 10);
  for (let i = 0; i < n; i++) s += (r() < 0.3 ? ' ' : '') + pick(r, EMOJI) + (r() < 0.3 ? pick(r, WORDS) : '');
  return s;
}
function specials(r: Rng): string {
  let s = '';
  const n = int(r, 1, 6);
  for (let i = 0; i < n; i++) s += pick(r, SPECIALS) + (r() < 0.5 ? ' ' : '') + (r() < 0.5 ? pick(r, WORDS) : '') + (r() < 0.2 ? '\n' : '');
  return s;
}
function decomposed(r: Rng): string {
  const base = pick(r, ['cafe', 'naive', 'resume', 'Ame lie', 'uber', 'Angstrom']);
  return base.replace(/[aeiou]/g, (c) => (r() < 0.5 ? c + pick(r, ['\u0301', '\u0300', '\u0308', '\u0302']) : c));
}
function randomBmp(r: Rng): string {
  let s = '';
  const n = int(r, 1, 20);
  for (let i = 0; i < n; i++) {
    let c = int(r, 0x20, 0xfffd);
    if (c >= 0xd800 && c <= 0xdfff) c = 0x41;
    s += String.fromCodePoint(c);
  }
  return s;
}

const GENERATORS: [number, (r: Rng) => string][] = [
  [30, prose], [10, (r) => pick(r, CODE)], [10, scriptRun], [8, whitespace], [7, emoji], [8, specials],
  [6, NUMBERS], [4, decomposed], [5, randomBmp],
];
const TOTAL = GENERATORS.reduce((s, [w]) => s + w, 0);

function one(r: Rng): string {
  let x = r() * TOTAL;
  for (const [w, g] of GENERATORS) {
    if ((x -= w) < 0) return g(r);
  }
  return prose(r);
}

/** n texts; each is 1 to 4 generated pieces glued with or without a space. */
export function parityTexts(n: number, seed: number): string[] {
  const r = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = int(r, 1, 4);
    let s = '';
    for (let j = 0; j < k; j++) s += (j > 0 && r() < 0.6 ? pick(r, [' ', '\n', '']) : '') + one(r);
    out.push(s);
  }
  return out;
}
