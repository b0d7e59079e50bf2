/**
 * A small SentencePiece-style (`tokenizer.ggml.model = llama`) vocabulary for tiny test models:
 * <unk>, <s>, </s>, the ChatML markers <|im_start|> / <|im_end|> (control), 256 byte tokens,
 * single characters with and without the U+2581 space marker, and every prefix of a list of
 * common English words (so merges happen), scored by order. Carries a ChatML chat template,
 * so `longread ask` works on tiny models.
 *
 * Extend: more words -> more merges; ids of the fixed tokens must not move (tests use them).
 */
import type { MetaValue } from './gguf-stream-writer.ts';

const WORDS = ['the', 'and', 'was', 'she', 'he', 'they', 'said', 'with', 'what', 'document', 'question', 'answer', 'once', 'upon', 'time', 'there', 'little', 'girl', 'boy', 'park', 'play', 'happy', 'went', 'saw', 'big', 'for', 'you', 'this', 'that', 'is', 'of', 'in', 'to', 'it', 'a'];

export const TINY_IDS = { unk: 0, bos: 1, eos: 2, imStart: 3, imEnd: 4 } as const;

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

export function tinyVocab(): Record<string, MetaValue> {
  const tokens = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'];
  const types = [2, 3, 3, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const seen = new Set(tokens);
  const add = (t: string) => {
    if (seen.has(t)) return;
    seen.add(t);
    tokens.push(t);
    types.push(1);
  };
  add('\u2581');
  for (let c = 33; c < 127; c++) add(String.fromCharCode(c));
  for (let c = 33; c < 127; c++) add('\u2581' + String.fromCharCode(c));
  for (const w of WORDS) {
    for (let n = 2; n <= w.length; n++) {
      add(w.slice(0, n));
      add('\u2581' + w.slice(0, n));
    }
  }
  // SPM merges by score: longer pieces win; the order among equals is by position
  const scores = tokens.map((t, i) => (types[i] === 1 ? -i / 1000 + [...t].length : 0));
  return {
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.pre': 'default',
    'tokenizer.ggml.tokens': { strings: tokens },
    'tokenizer.ggml.scores': { f32s: scores },
    'tokenizer.ggml.token_type': { i32s: types },
    'tokenizer.ggml.bos_token_id': { u32: TINY_IDS.bos },
    'tokenizer.ggml.eos_token_id': { u32: TINY_IDS.eos },
    'tokenizer.ggml.unknown_token_id': { u32: TINY_IDS.unk },
    'tokenizer.ggml.add_bos_token': true,
    'tokenizer.ggml.add_eos_token': false,
    'tokenizer.chat_template': CHATML_TEMPLATE,
  };
}
