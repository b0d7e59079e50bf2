/**
 * Checks an exported model against the references: the GGUF loads in llama.cpp (node-llama-cpp
 * CPU build in .peer/), and llama.cpp, our tokenizer (engine/tokenizer from the GGUF metadata)
 * and Hugging Face's implementation (@lenml/tokenizers over the training tokenizer.json) give the
 * same token ids on sample texts; then prints llama.cpp's greedy answer to one needle prompt.
 *
 *   node --import tsx tools/train/verify-gguf.ts --model assets/models/longread-lr28m.gguf --tokenizer-json DIR/tokenizer.json
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TokenizerLoader } from '@lenml/tokenizers';
import { ggufOpen } from '../../engine/formats/gguf-read.ts';
import { tokenizerFromGguf } from '../../engine/tokenizer/tokenizer.ts';
import { llamaCpp } from '../../test/peer/llama-cpp.ts';

const SAMPLES = [
  'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence".',
  'One of the special magic numbers for tasteful-cartridge is: 4839201.\nVAR QWERT = VAR ASDFG  \n\n  x',
  "It's 12,345.67 dollars -- isn't it?\tTabs\r\nand unicode: café, naïve, 東京, emoji 🙂.",
  'UUID 3f2a9c1e-7b4d-4e8a-9f01-23456789abcd; JSON {"a": "b"} <|im_end|> stays text.',
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, 'tokenizer-json': { type: 'string' } } });
  const gguf = await ggufOpen(values.model!);
  const ours = tokenizerFromGguf(gguf.metadata);
  const hf = TokenizerLoader.fromPreTrained({ tokenizerJSON: JSON.parse(readFileSync(values['tokenizer-json']!, 'utf8')), tokenizerConfig: {} });
  const { llama } = await llamaCpp();
  const model = await llama.loadModel({ modelPath: values.model! });
  let bad = 0;
  for (const s of SAMPLES) {
    const a = ours.encode(s);
    const b = [...model.tokenize(s, false)] as number[];
    const c = hf.encode(s.replace('<|im_end|>', '<|im_end |>'), { add_special_tokens: false }) as number[];
    const same = JSON.stringify(a) === JSON.stringify(b);
    const sameHf = !s.includes('<|im_end|>') ? JSON.stringify(a) === JSON.stringify(c) : true;
    if (!same || !sameHf) bad++;
    console.log(`${same ? 'ok  ' : 'DIFF'} llama.cpp  ${sameHf ? 'ok  ' : 'DIFF'} hf  (${a.length} tokens) ${JSON.stringify(s.slice(0, 40))}`);
  }
  const ctx = await model.createContext({ contextSize: 2048 });
  const seq = ctx.getSequence();
  const prompt = '<|im_start|>user\nA special magic number is hidden within the following text. Make sure to memorize it. I will quiz you about the number afterwards.\n' +
    'The sky is blue. One of the special magic numbers for brave-lantern is: 5551234. The grass is green.\nWhat is the special magic number for brave-lantern mentioned in the provided text?<|im_end|>\n<|im_start|>assistant\nThe special magic number for brave-lantern mentioned in the provided text is';
  const ids = [...model.tokenize(prompt, true)];
  const out: number[] = [];
  for await (const t of seq.evaluate(ids, { temperature: 0 })) {
    if (model.isEogToken(t) || out.length >= 12) break;
    out.push(t);
  }
  console.log('llama.cpp greedy answer:', JSON.stringify(model.detokenize(out)));
  await ctx.dispose();
  await model.dispose();
  await gguf.close();
  if (bad) process.exit(1);
}

main().catch((e) => { console.error(e); process.exit(1); });
