/**
 * `longread generate --prompt P [--model M.gguf] [--max-tokens N --temperature T --seed S
 * --top-k K --top-p P --min-p P --context N --json]`: raw text continuation of a prompt
 * (BOS added as the vocabulary says, no chat template), streamed to stdout; Ctrl-C stops it
 * within one token. With --json: one JSON object with the prompt and generated ids, the text,
 * prefill and decode tokens/s and the full stats. Greedy by default (--temperature 0).
 */
import { parseArgs } from 'node:util';
import { LongreadError } from '../../errors.ts';
import { APP_GPU, gpuAcquire } from '../../gpu/device.ts';
import { modelLoad, sessionCreate } from '../../decode/index.ts';
import type { Command } from './command.ts';
import { contextFrom, modelPathFrom, SAMPLING_OPTIONS, samplingFrom, statsLine } from './runtime-args.ts';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Continue a text prompt with a GGUF model (streamed; --json for ids and tokens/s)',
  usage: '--prompt TEXT [--model M.gguf] [--max-tokens N] [--temperature T] [--seed S] [--top-k K] [--top-p P] [--min-p P] [--context N] [--json]',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { ...SAMPLING_OPTIONS, prompt: { type: 'string' } } });
    if (values.prompt === undefined) throw new LongreadError('bad-request', 'generate needs --prompt TEXT.', 'Example: longread generate --prompt "Once upon a time" --max-tokens 64');
    const sampling = samplingFrom(values, 128);
    const modelPath = modelPathFrom(values.model);
    const gpu = await gpuAcquire(APP_GPU);
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    try {
      const ctxArg = contextFrom(values.context);
      const model = await modelLoad(gpu, modelPath, ctxArg ? { contextLength: ctxArg } : {});
      try {
        const promptTokens = model.tokenizer.encode(values.prompt, { addSpecial: true });
        const r = await sessionCreate(model).generate({
          promptTokens, ...sampling, signal: ac.signal,
          ...(values.json ? {} : { onToken: (t: string) => void process.stdout.write(t) }),
        });
        if (values.json) {
          process.stdout.write(JSON.stringify({
            model: modelPath, promptIds: promptTokens, ids: r.tokens, text: r.text,
            prefillTokensPerSecond: r.stats.prefillTokensPerSecond, decodeTokensPerSecond: r.stats.decodeTokensPerSecond, stats: r.stats,
          }) + '\n');
        } else {
          process.stdout.write('\n');
          process.stderr.write(statsLine(r.stats) + '\n');
        }
      } finally {
        model.dispose();
      }
    } finally {
      process.off('SIGINT', onSigint);
      gpu.dispose();
    }
    return 0;
  },
};
