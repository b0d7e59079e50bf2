/**
 * Command line of the random-weight GGUF generator (gen-gguf.ts):
 *   npx tsx tools/gen-gguf/cli.ts --shape llama-3.2-1b --type Q4_K_M --out /tmp/l1b.gguf
 * A file of its own so that bundles which import gen-gguf.ts (bench/e2e) never run it: inside
 * one esbuild bundle every module shares the bundle's import.meta.url, so an "am I the entry?"
 * check in gen-gguf.ts would fire there.
 */
import { parseArgs } from 'node:util';
import { ggufGenerate, SHAPES, type GenType } from './gen-gguf.ts';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { shape: { type: 'string' }, type: { type: 'string', default: 'Q8_0' }, out: { type: 'string' }, seed: { type: 'string', default: '1' }, peak: { type: 'string' }, layers: { type: 'string' }, context: { type: 'string' } } });
  if (!values.shape || !values.out) {
    process.stderr.write(`usage: gen-gguf --shape ${Object.keys(SHAPES).join('|')} --type F32|F16|Q8_0|Q4_0|Q4_K|Q6_K|Q4_K_M --out FILE [--seed N --peak S --layers N --context N]\n`);
    process.exit(2);
  }
  const t0 = performance.now();
  const r = ggufGenerate({
    shape: values.shape, type: values.type as GenType, out: values.out, seed: Number(values.seed),
    ...(values.peak ? { peak: Number(values.peak) } : {}), ...(values.layers ? { layers: Number(values.layers) } : {}), ...(values.context ? { context: Number(values.context) } : {}),
  });
  process.stdout.write(`${values.out}: ${r.tensors} tensors, ${(r.bytes / 1e6).toFixed(1)} MB, vocab ${r.vocab}, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

await main(process.argv.slice(2));
