/**
 * tools/train/recipe.sh, where no GPU is needed: the detached job runs its four steps in order
 * with the recipe's arguments (train.py replaced by a stand-in that records its arguments and
 * writes an export as train.py does: config.json, f16 shards, tokenizer.json, train-log.txt),
 * exports both GGUFs with the real export-gguf.ts, and `wait` / `collect` / `join` bring the
 * GGUFs back through $OUT's limits (15 MiB parts, at most 8 files) unchanged. A failing step
 * stops the job and `wait` says FAILED.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..');
const script = path.join(repo, 'tools/train/recipe.sh');
const root = mkdtempSync(path.join(tmpdir(), 'lr-recipe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// train.py's stand-in: appends its arguments to $ARGS_LOG; writes a tiny export (vocabulary of
// the shipped tokenizer, 64 wide) into --out; exits 1 when STANDIN_FAIL is set
const standIn = `#!/usr/bin/env node
const fs = require('node:fs'), path = require('node:path');
const argv = process.argv.slice(3), opt = (n) => argv[argv.indexOf(n) + 1];
fs.appendFileSync(process.env.ARGS_LOG, argv.join(' ') + '\\n');
if (process.env.STANDIN_FAIL) { console.error('stand-in: failing as asked'); process.exit(1); }
const out = opt('--out'), tokPath = opt('--tokenizer-json');
const tok = JSON.parse(fs.readFileSync(tokPath, 'utf8'));
const vocab = Math.max(...Object.values(tok.model.vocab), ...tok.added_tokens.map((t) => t.id)) + 1, d = 64;
const specs = [['token_embd.weight', [vocab, d]], ['output_norm.weight', [d]]];
let off = 0; const tensors = [], parts = [];
for (const [name, shape] of specs) {
  const n = shape.reduce((a, b) => a * b), b = Buffer.alloc(2 * n);
  for (let i = 0; i < n; i++) b.writeUInt16LE(0x2000 + (i * 7919) % 4096, 2 * i); // small f16 values
  tensors.push({ name, shape, shard: 0, offset: off, bytes: b.length }); off += b.length; parts.push(b);
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'weights-0.bin'), Buffer.concat(parts));
fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ config: { vocab, dim: d, n_layers: 1, n_heads: 2, n_kv_heads: 1, ffn: 128, rope_base: 1e6, norm_eps: 1e-5 }, dtype: 'f16', tensors }));
fs.copyFileSync(tokPath, path.join(out, 'tokenizer.json'));
fs.writeFileSync(path.join(out, 'train-log.txt'), 'stand-in log ' + argv.join(' ') + '\\n');
`;
const python = path.join(root, 'python-standin');
writeFileSync(python, standIn);
chmodSync(python, 0o755);

function recipe(args: string[], env: Record<string, string>) {
  return spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, PYTHON: python, ...env } });
}

describe('tools/train/recipe.sh', () => {
  it('runs pretraining, export, fine-tune from that GGUF, export; brings both GGUFs back in parts', () => {
    const work = path.join(root, 'work');
    const env = { WORK: work, ARGS_LOG: path.join(root, 'args.txt') };
    expect(recipe(['start'], env).status).toBe(0);
    const waited = recipe(['wait', '120'], env);
    expect(waited.stdout, waited.stdout + waited.stderr).toContain('DONE');
    const [pre, ft] = readFileSync(env.ARGS_LOG, 'utf8').trim().split('\n');
    expect(pre).toMatch(/--seed 1234 --steps 6214 --mix first --tokenizer-json assets\/models\/longread-lr28m\.tokenizer\.json/);
    expect(ft).toContain(`--init-gguf ${work}/lr28m-pretrained.gguf --mix finetune --phases finetune`);
    expect(ft).toMatch(/--seed 4321 .*--lr 3e-4 --lr-min 3e-5 --warmup 20 --steps 1267 /);
    for (const line of [pre, ft]) expect(line).toMatch(/ --workers 14 --compile$/);
    for (const m of ['lr28m-pretrained', 'lr28m-recipe']) {
      expect(readFileSync(path.join(work, `${m}.gguf`)).subarray(0, 4).toString()).toBe('GGUF');
      expect(readFileSync(path.join(work, `${m}.train.txt`), 'utf8')).toMatch(/^stand-in log/);
    }

    const out = path.join(root, 'out');
    mkdirSync(out);
    expect(recipe(['collect'], { ...env, OUT: out }).status).toBe(0);
    const files = readdirSync(out);
    expect(files.length).toBeLessThanOrEqual(8);
    for (const f of files) expect(statSync(path.join(out, f)).size).toBeLessThanOrEqual(15 * 2 ** 20);
    expect(files).toContain('recipe-log.txt');
    expect(recipe(['join', out], env).status).toBe(0);
    for (const m of ['lr28m-pretrained', 'lr28m-recipe']) {
      expect(readFileSync(path.join(out, `${m}.gguf`)).equals(readFileSync(path.join(work, `${m}.gguf`)))).toBe(true);
    }
  }, 180_000);

  it('stops at a failing step and wait reports FAILED', () => {
    const work = path.join(root, 'work-fail');
    const env = { WORK: work, ARGS_LOG: path.join(root, 'args-fail.txt'), STANDIN_FAIL: '1' };
    expect(recipe(['start'], env).status).toBe(0);
    const waited = recipe(['wait', '60'], env);
    expect(waited.status).toBe(1);
    expect(waited.stdout).toContain('FAILED');
    expect(readFileSync(env.ARGS_LOG, 'utf8').trim().split('\n')).toHaveLength(1); // no fine-tune after it
    expect(existsSync(path.join(work, 'lr28m-pretrained.gguf'))).toBe(false);
  }, 120_000);

  it('PRETRAIN_BUDGET gives the pretraining a probe-chosen length and a hard stop; COMPILE=0 trains eagerly', () => {
    const work = path.join(root, 'work-budget');
    const env = { WORK: work, ARGS_LOG: path.join(root, 'args-budget.txt'), STANDIN_FAIL: '1', PRETRAIN_BUDGET: '1000', COMPILE: '0', WORKERS: '6' };
    expect(recipe(['start'], env).status).toBe(0);
    expect(recipe(['wait', '60'], env).stdout).toContain('FAILED');
    const [pre] = readFileSync(env.ARGS_LOG, 'utf8').trim().split('\n');
    expect(pre).toMatch(/--seed 1234 --time-budget 1000 --max-seconds 1100 --mix first /);
    expect(pre).not.toContain('--steps');
    expect(pre).toMatch(/ --workers 6$/);
  }, 120_000);
});
