/**
 * `longread ask --doc FILE [--model M.gguf] [options] "question"`: puts the whole document
 * (ingested by engine/documents: PDF, DOCX, EPUB, HTML, Markdown, text) and the question
 * through the model's chat template and streams the answer. The document and the question are
 * untrusted text: they are tokenized with special-token parsing off (chat-template.ts), so a
 * document containing <|im_end|> cannot end the turn. The KV cache is allocated for exactly
 * prompt + --max-tokens (capped by the model's context; too long -> context-too-large).
 */
import { parseArgs } from 'node:util';
import { LongreadError } from '../../errors.ts';
import { APP_GPU, gpuAcquire } from '../../gpu/device.ts';
import { ingestDocument } from '../../documents/ingest.ts';
import { modelInspect, modelLoad, sessionCreate } from '../../decode/index.ts';
import { modelFileOpen } from '../../models/model-file.ts';
import { tokenizerFromGguf } from '../../tokenizer/tokenizer.ts';
import { chatPromptTokens } from '../../tokenizer/chat-template.ts';
import { docQuestionMessages } from '../doc-prompt.ts';
import type { Command } from './command.ts';
import { contextFrom, modelPathFrom, SAMPLING_OPTIONS, samplingFrom, statsLine } from './runtime-args.ts';


export const askCommand: Command = {
  name: 'ask',
  summary: 'Ask a question about a document (the whole document in context; answer streamed)',
  usage: '--doc FILE [--model M.gguf] [--max-tokens N] [--temperature T] [--seed S] [--context N] [--json] "question"',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...SAMPLING_OPTIONS, doc: { type: 'string' } } });
    const question = positionals.join(' ').trim();
    if (!values.doc || !question) throw new LongreadError('bad-request', 'ask needs --doc FILE and a question.', 'Example: longread ask --doc report.pdf "What is the main finding?"');
    const sampling = samplingFrom(values, 512);
    const modelPath = modelPathFrom(values.model);
    const doc = await ingestDocument({ kind: 'path', path: values.doc });
    const gpu = await gpuAcquire(APP_GPU);
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    try {
      // Tokenize from the header first, then size the KV cache to the prompt.
      const info = await modelInspect(modelPath);
      const f = await modelFileOpen(modelPath);
      const tok = tokenizerFromGguf(f.metadata);
      const template = tok.vocab.chatTemplate;
      await f.close();
      const promptTokens = chatPromptTokens(tok, template, docQuestionMessages([{ title: doc.info.title || doc.info.name, text: doc.text }], question));
      const need = promptTokens.length + sampling.maxTokens;
      const contextLength = contextFrom(values.context) ?? Math.min(info.contextLength, need);
      if (promptTokens.length + 1 > contextLength) {
        throw new LongreadError('context-too-large', `The document and question take ${promptTokens.length} tokens; the model holds ${info.contextLength}.`,
          'Ask about a shorter document (or a part of it), or use a model with a longer context.', { promptTokens: promptTokens.length, contextLength: info.contextLength });
      }
      const model = await modelLoad(gpu, modelPath, { contextLength });
      try {
        const r = await sessionCreate(model).generate({
          promptTokens, ...sampling, signal: ac.signal,
          ...(values.json ? {} : { onToken: (t: string) => void process.stdout.write(t) }),
        });
        if (values.json) {
          process.stdout.write(JSON.stringify({ model: modelPath, document: doc.info.name, answer: r.text, ids: r.tokens, stats: r.stats }) + '\n');
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
