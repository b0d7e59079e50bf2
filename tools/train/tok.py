"""Trains the byte-level BPE tokenizer of the bundled model with Hugging Face `tokenizers`.

The pre-tokenizer is llama.cpp's `qwen2` pattern, verbatim (single digits, contractions,
letters with one leading non-letter, punctuation runs, newlines, spaces), followed by the GPT-2
byte-to-unicode mapping with no prefix space and no NFC normaliser: so a GGUF that says
`tokenizer.ggml.pre = qwen2` tokenizes exactly like this tokenizer.json. Special tokens (ids
0..2): <|endoftext|>, <|im_start|>, <|im_end|> (ChatML).

    python3 tools/train/tok.py --corpus .train/corpus/brown-train.txt --out tokenizer.json
"""
import argparse
import json
import random

QWEN2_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']


def train_tokenizer(corpus_path, extra_texts, vocab_size, out):
    from tokenizers import Tokenizer, Regex, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior='isolated', invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    lines = open(corpus_path, encoding='utf8').read().splitlines()

    def it():
        yield from lines
        yield from extra_texts
    tok.train_from_iterator(it(), trainer=trainer, length=len(lines) + len(extra_texts))
    tok.save(out)
    return tok


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--words', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--vocab', type=int, default=8192)
    a = ap.parse_args()
    import tasks
    rnd = random.Random(7)
    words = json.load(open(a.words))
    extra = [tasks.sample_text_for_tokenizer(rnd, words) for _ in range(3000)]
    t = train_tokenizer(a.corpus, extra, a.vocab, a.out)
    print('vocab', t.get_vocab_size())
