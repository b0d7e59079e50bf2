/**
 * The general regex path of llama.cpp's pre-tokenizer (unicode.cpp unicode_regex_split, the
 * std::regex fallback), for pre-tokenizer types without a hand-written matcher (DeepSeek,
 * Tekken, GPT-4o, StarCoder, Falcon, ...):
 * - a regex using Unicode categories (\p{L}, \p{N}, \p{P}, \p{M}, \p{S}, \p{Lu}...) runs on a
 *   "collapsed" text: ASCII stays, every other code point becomes one byte naming its category
 *   (llama.cpp's table), whitespace becomes \v; the regex's \p{..} become those bytes plus the
 *   ASCII members. So \p{Lu} matches any letter there, as in llama.cpp.
 * - any other regex runs on the code points with non-ASCII whitespace turned into \v, and \s is
 *   ASCII whitespace (std::wregex in the C locale).
 * Matches and the gaps between them both become chunks. Extend: add the type's regexes to
 * pre-regex-data.ts and its names in pre-tokenize.ts.
 */
import { cptFlagsTable, CPT_LETTER, CPT_MARK, CPT_NUMBER, CPT_PUNCTUATION, CPT_SYMBOL, CPT_WHITESPACE } from './unicode.ts';

type Splitter = (cps: Uint32Array, spans: number[]) => number[];

const CATEGORIES: Record<string, number> = {
  '\\p{N}': CPT_NUMBER, '\\p{L}': CPT_LETTER, '\\p{P}': CPT_PUNCTUATION, '\\p{M}': CPT_MARK, '\\p{S}': CPT_SYMBOL,
  '\\p{Lu}': CPT_LETTER, '\\p{Ll}': CPT_LETTER, '\\p{Lt}': CPT_LETTER, '\\p{Lm}': CPT_LETTER, '\\p{Lo}': CPT_LETTER,
};
const CODE: Record<number, string> = {
  [CPT_NUMBER]: '\u00d1', [CPT_LETTER]: '\u00d2', [CPT_PUNCTUATION]: '\u00d3', [CPT_MARK]: '\u00d4', [CPT_SYMBOL]: '\u00d5',
};
/** ASCII members of each category, as llama.cpp's k_ucat_map spells them. */
const ASCII: Record<number, string> = {
  [CPT_NUMBER]: '0-9', [CPT_LETTER]: 'A-Za-z', [CPT_PUNCTUATION]: '!-#%-*,-/:-;?-@\\[-\\]_\\{\\}',
  [CPT_MARK]: '', [CPT_SYMBOL]: '\\$\\+<->\\^`\\|~',
};

function usesCategories(expr: string): boolean {
  return Object.keys(CATEGORIES).some((k) => expr.includes(k));
}

/** llama.cpp's regex_expr_collapsed. */
function collapsePattern(expr: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '[' && (i === 0 || expr[i - 1] !== '\\')) { out += '['; inside = true; continue; }
    if (inside && c === ']' && expr[i - 1] !== '\\') { out += ']'; inside = false; continue; }
    if (c === '\\' && i + 3 < expr.length && expr[i + 1] === 'p' && expr[i + 2] === '{') {
      const close = expr.indexOf('}', i + 3);
      if (close >= 0 && close <= i + 10) {
        const cat = CATEGORIES[expr.slice(i, close + 1)];
        if (cat !== undefined) {
          out += (inside ? '' : '[') + CODE[cat] + ASCII[cat] + (inside ? '' : ']');
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

/** \s / \S -> ASCII whitespace (std::wregex in the C locale), inside and outside classes. */
function asciiSpacePattern(expr: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '\\') {
      const n = expr[i + 1];
      if (n === 's') out += inside ? '\\t\\n\\v\\f\\r ' : '[\\t\\n\\v\\f\\r ]';
      else if (n === 'S' && !inside) out += '[^\\t\\n\\v\\f\\r ]';
      else out += c + (n ?? '');
      i++;
      continue;
    }
    if (c === '[' && !inside) inside = true;
    else if (c === ']' && inside) inside = false;
    out += c;
  }
  return out;
}

export function regexSplitter(expr: string): Splitter {
  const collapsed = usesCategories(expr);
  if (collapsed && /[^\x00-\x7f]/.test(expr)) throw new Error(`pre-tokenizer regex mixes categories and non-ASCII: ${expr}`);
  const re = collapsed ? new RegExp(collapsePattern(expr), 'g') : new RegExp(asciiSpacePattern(expr), 'gu');
  return (cps, spans) => {
    const F = cptFlagsTable();
    const out: number[] = [];
    let start = 0;
    for (const len of spans) {
      const end = start + len;
      // The chunk as the regex sees it, plus the UTF-16 offset of each code point.
      let s = '';
      const at = new Uint32Array(len + 1);
      for (let p = start; p < end; p++) {
        at[p - start] = s.length;
        const cp = cps[p]!;
        const f = F[cp]!;
        if (collapsed) s += cp < 128 ? String.fromCharCode(cp) : f & CPT_WHITESPACE ? '\v' : (CODE[f & 0xff] ?? '\u00d0');
        else s += cp > 0x7f && f & CPT_WHITESPACE ? '\v' : String.fromCodePoint(cp);
      }
      at[len] = s.length;
      const toCp = (u: number): number => {
        let lo = 0;
        let hi = len;
        while (lo < hi) { const m = (lo + hi) >> 1; if (at[m]! < u) lo = m + 1; else hi = m; }
        return lo;
      };
      re.lastIndex = 0;
      let prev = 0;
      for (let m = re.exec(s); m !== null; m = re.exec(s)) {
        const a = toCp(m.index);
        const b = toCp(m.index + m[0].length);
        if (a > prev) out.push(a - prev);
        out.push(b - a);
        prev = b;
        if (m[0].length === 0) re.lastIndex++;
      }
      if (len > prev) out.push(len - prev);
      start = end;
    }
    return out;
  };
}
