/**
 * WGSL loader: a tiny preprocessor for the `.wgsl` files under shaders/ (ggml's embed_wgsl.py
 * idea, 100 lines instead of string soup in TypeScript).
 *
 * Directives (each on its own line, leading whitespace allowed):
 *   #include "common/x.wgsl"   replaced by the registered source of that name, once per shader
 *                              (a second include of the same name is dropped: include guards
 *                              for free). Names are resolved against the registry below.
 *   #define NAME value         defines NAME for the rest of the file (value may be empty).
 *   #ifdef NAME / #ifndef NAME / #else / #endif   conditional blocks, nestable.
 *   #if NAME == value / #if NAME != value         compares the define's text (undefined = '').
 *   #for i < N ... #endfor     repeats the block N times (N: a number or a define's value),
 *                              `{i}` in its lines replaced by 0..N-1: unrolled code with distinct
 *                              variables (`var acc{i} = 0.0;`, `{i}u * STRIDE`). Nestable; the
 *                              block's #if/#endif must balance inside it.
 * After preprocessing, every defined NAME that has a value is substituted as a whole word in
 * the code (`WG` -> `256`), so shaders write `@workgroup_size(WG)` and
 * `array<f32, HEAD_DIM>`. Defines passed by the caller win over `#define` in the file (a file's
 * `#define` acts as a default). `true` defines NAME with the value `true`; `false`/undefined
 * leaves it undefined.
 * `enable ...;` lines from anywhere (the main file or includes) are hoisted to the top and
 * de-duplicated, because WGSL requires directives before any declaration.
 *
 * Registering sources: `wgslRegister('common/x.wgsl', src)` with a source imported as text
 * (`import src from '../../shaders/common/x.wgsl'`). engine/gpu/shader-registry.ts registers
 * every shared include; a module owning its own includes may register them itself.
 */

import { LongreadError } from '../errors.ts';

export type WgslDefines = Readonly<Record<string, string | number | boolean | undefined>>;

const registry = new Map<string, string>();

/** Registers an includable source under `name` (e.g. 'common/reduce.wgsl'). Idempotent for equal text. */
export function wgslRegister(name: string, source: string): void {
  const prev = registry.get(name);
  if (prev !== undefined && prev !== source) {
    throw new LongreadError('internal', `WGSL include "${name}" registered twice with different sources.`, 'Give each shared WGSL file one name.');
  }
  registry.set(name, source);
}

export function wgslRegistered(name: string): boolean {
  return registry.has(name);
}

function defineValue(v: string | number | boolean | undefined): string | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return 'true';
  return String(v);
}

/** Index of the #endfor that closes the #for at `lines[start]` (nested #for blocks skipped). */
function forBlockEnd(lines: readonly string[], start: number, where: string): number {
  let open = 1;
  for (let j = start + 1; j < lines.length; j++) {
    const d = /^#(\w+)/.exec(lines[j]!.trim())?.[1];
    if (d === 'for') open++;
    else if (d === 'endfor' && --open === 0) return j;
  }
  throw new LongreadError('internal', `${where}: #for without #endfor.`, 'Close the block with #endfor.');
}

/**
 * Preprocesses `source` (named `name` in error messages) with `defines`.
 * Returns WGSL ready for createShaderModule.
 */
export function wgslPreprocess(name: string, source: string, defines: WgslDefines = {}): string {
  const defs = new Map<string, string>();
  const fixed = new Set<string>();
  for (const [k, v] of Object.entries(defines)) {
    const val = defineValue(v);
    if (val !== undefined) {
      defs.set(k, val);
      fixed.add(k);
    }
  }
  const included = new Set<string>();
  const enables = new Set<string>();
  const out: string[] = [];

  const expand = (file: string, text: string, depth: number): void => {
    if (depth > 16) throw new LongreadError('internal', `WGSL include or #for depth over 16 at "${file}".`, 'Look for an include cycle or over-nested #for blocks.');
    // Stack of [active, anyBranchTaken]
    const stack: { active: boolean; parentActive: boolean; taken: boolean }[] = [];
    const active = () => (stack.length === 0 ? true : stack[stack.length - 1]!.active);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const t = line.trim();
      const where = `${file}:${i + 1}`;
      if (t.startsWith('#')) {
        const m = /^#(\w+)\s*(.*)$/.exec(t);
        const dir = m?.[1] ?? '';
        const arg = (m?.[2] ?? '').trim();
        if (dir === 'ifdef' || dir === 'ifndef') {
          const cond = defs.has(arg) === (dir === 'ifdef');
          const pa = active();
          stack.push({ active: pa && cond, parentActive: pa, taken: cond });
        } else if (dir === 'if') {
          const c = /^(\w+)\s*(==|!=)\s*(\S+)$/.exec(arg);
          if (!c) throw new LongreadError('internal', `${where}: malformed #if "${arg}".`, 'Write #if NAME == value or #if NAME != value.');
          const eq = (defs.get(c[1]!) ?? '') === c[3];
          const cond = c[2] === '==' ? eq : !eq;
          const pa = active();
          stack.push({ active: pa && cond, parentActive: pa, taken: cond });
        } else if (dir === 'else') {
          const top = stack[stack.length - 1];
          if (!top) throw new LongreadError('internal', `${where}: #else without #if.`, 'Balance the conditional blocks.');
          top.active = top.parentActive && !top.taken;
          top.taken = true;
        } else if (dir === 'endif') {
          if (!stack.pop()) throw new LongreadError('internal', `${where}: #endif without #if.`, 'Balance the conditional blocks.');
        } else if (!active()) {
          continue;
        } else if (dir === 'define') {
          const d = /^(\w+)\s*(.*)$/.exec(arg);
          if (!d) throw new LongreadError('internal', `${where}: malformed #define.`, 'Write #define NAME value.');
          if (!fixed.has(d[1]!)) defs.set(d[1]!, d[2]!.trim());
        } else if (dir === 'for') {
          const f = /^(\w+)\s*<\s*(\w+)$/.exec(arg);
          const n = f ? Number(/^\d+$/.test(f[2]!) ? f[2] : defs.get(f[2]!)) : NaN;
          if (!f || !Number.isInteger(n) || n < 0) throw new LongreadError('internal', `${where}: malformed #for "${arg}" (count ${n}).`, 'Write #for i < N with N a number or a define whose value is one.');
          const end = forBlockEnd(lines, i, where);
          const body = lines.slice(i + 1, end).join('\n');
          const mark = new RegExp(`\\{${f[1]}\\}`, 'g');
          for (let k = 0; k < n; k++) expand(`${where} (#for ${f[1]} = ${k})`, body.replace(mark, String(k)), depth + 1);
          i = end;
        } else if (dir === 'endfor') {
          throw new LongreadError('internal', `${where}: #endfor without #for.`, 'Balance the #for blocks.');
        } else if (dir === 'include') {
          const inc = /^"([^"]+)"$/.exec(arg)?.[1];
          if (!inc) throw new LongreadError('internal', `${where}: malformed #include.`, 'Write #include "common/x.wgsl".');
          if (included.has(inc)) continue;
          const src = registry.get(inc);
          if (src === undefined) {
            throw new LongreadError('internal', `${where}: WGSL include "${inc}" is not registered.`, 'Import it and call wgslRegister (see engine/gpu/shader-registry.ts).');
          }
          included.add(inc);
          expand(inc, src, depth + 1);
        } else {
          throw new LongreadError('internal', `${where}: unknown directive #${dir}.`, 'Supported: #include #define #ifdef #ifndef #if #else #endif #for #endfor.');
        }
        continue;
      }
      if (!active()) continue;
      if (/^enable\s+[\w\s,]+;$/.test(t)) {
        enables.add(t);
        continue;
      }
      out.push(line);
    }
    if (stack.length) throw new LongreadError('internal', `${file}: unterminated #if block.`, 'Add the missing #endif.');
  };

  expand(name, source, 0);
  let code = out.join('\n');
  const subs = [...defs].filter(([, v]) => v !== '');
  if (subs.length) {
    const re = new RegExp(`\\b(${subs.map(([k]) => k).join('|')})\\b`, 'g');
    const table = new Map(subs);
    // Substitute repeatedly so a define may refer to another (bounded).
    for (let pass = 0; pass < 4; pass++) {
      const next = code.replace(re, (k) => table.get(k)!);
      if (next === code) break;
      code = next;
    }
  }
  return (enables.size ? [...enables].join('\n') + '\n' : '') + code;
}
