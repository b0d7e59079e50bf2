"""Checks of the extractive-QA generator (realqa.py, tasks.py gen_realqa) on the real training
corpus, without torch or tokenizers (a character-level stand-in tokenizer):

    node --import tsx tools/train/prepare-corpus.ts     # once: .train/corpus (+ tagged text)
    python3 tools/train/test_realqa.py [--show 30]

- every extracted answer is a span of its sentence and the sentence a span of its paragraph;
- every sample fits its length, is the app's prompt layout (doc-prompt.ts) and its target is a
  contiguous span of the document as it appears in the prompt, followed by <|im_end|>;
- questions are well formed (wh-word first, '?' last, the answer not given away);
- the same seed gives the same sample, another seed another one;
- no held-out Brown paragraph is used (bench/longqa/data/brown-heldout.txt.gz).
It prints --show examples to read. Exit status 1 on any failure.
"""
import argparse
import gzip
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import realqa  # noqa: E402
import tasks  # noqa: E402

SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']


class CharTok:
    """Stand-in for the HF tokenizer: one id per character (specials 0-2)."""
    class E:
        def __init__(self, ids):
            self.ids = ids

    def encode(self, s, add_special_tokens=False):
        return self.E([ord(c) + 3 for c in s])

    def encode_batch(self, xs, add_special_tokens=False):
        return [self.encode(x) for x in xs]

    def token_to_id(self, t):
        return SPECIAL.index(t)

    def decode(self, ids):
        return ''.join(SPECIAL[i] if i < 3 else chr(i - 3) for i in ids)


WH = ('What ', 'Who ', 'Where ', 'When ', 'How ', 'Which ', 'In what year ', 'In which year ', 'By whom ') + tuple(
    p + ' how many ' for p in ('In', 'With', 'Into', 'After', 'Within', 'On', 'By'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(ROOT, '.train', 'corpus'))
    ap.add_argument('--show', type=int, default=30)
    ap.add_argument('--samples', type=int, default=300)
    a = ap.parse_args()
    corpus = os.path.join(a.data, 'brown-train.txt')
    if not os.path.exists(corpus[:-4] + '.tagged.txt'):
        print(f'no {corpus[:-4]}.tagged.txt: run node --import tsx tools/train/prepare-corpus.ts first')
        return 2
    fails = []

    def check(ok, msg):
        if not ok:
            fails.append(msg)
            if len(fails) <= 20:
                print('FAIL', msg)

    tok = CharTok()
    gen = tasks.Gen(tok, corpus, os.path.join(a.data, 'words-train.json'))
    paras, by = gen.realqa_data()
    plain = open(corpus, encoding='utf8').read().splitlines()
    check(paras == plain, 'detokenised tagged paragraphs differ from brown-train.txt')
    items = [it for xs in by.values() for it in xs]
    print(f'{len(items)} questions from {len(paras)} training paragraphs: ' +
          ', '.join(f'{f} {len(by[f])}' for f in sorted(by, key=lambda f: -len(by[f]))))
    check(len(items) > 500, f'only {len(items)} questions')
    for it in items:
        check(it.answer in it.sentence and it.sentence in paras[it.para], f'span: {it.to_dict()}')
        q = it.question
        check(q.startswith(WH) and q.endswith('?') and '  ' not in q and q.count('?') == 1, f'question form: {q}')
        check(it.answer.lower() not in q.lower(), f'answer in question: {q} / {it.answer}')
        check(not re.search(r'\b(?!had\b|that\b)(\w+) \1\b', q.lower()), f'repeated word: {q}')
    held = set(gzip.open(os.path.join(ROOT, 'bench', 'longqa', 'data', 'brown-heldout.txt.gz'), 'rt', encoding='utf8').read().splitlines())
    check(not any(p in held for p in paras), 'a held-out paragraph is in the training paragraphs')

    # samples: fit, layout, span
    im_end = 2
    shown = 0
    intro = realqa.INTRO
    for s in range(a.samples):
        rnd = random.Random(s)
        # lengths in characters of the stand-in tokenizer (about 4 per real token)
        L = 4 * rnd.choice([256, 512, 1024, 2048, 4096, 16384])
        ids, kinds = gen.gen_realqa(rnd, L)
        check(len(ids) <= L, f'seed {s}: {len(ids)} tokens > {L}')
        check(len(ids) > 0.6 * L or L <= 4 * 512, f'seed {s}: {len(ids)} tokens, far below {L}')
        text = tok.decode(ids)
        ans_ids = [t for t, k in zip(ids, kinds) if k == 2]
        check(ans_ids[-1] == im_end and im_end not in ans_ids[:-1], f'seed {s}: answer does not end with <|im_end|>')
        ans = tok.decode(ans_ids[:-1])
        m = re.fullmatch(r'(?:<\|im_start\|>system\n' + re.escape(realqa.SYSTEM) + r'<\|im_end\|>\n)?<\|im_start\|>user\n' + re.escape(intro)
                         + r'(.*)\n\nQuestion: ([^\n]*)<\|im_end\|>\n<\|im_start\|>assistant\n(.*)<\|im_end\|>', text, re.S)
        check(m is not None, f'seed {s}: not the app prompt layout: {text[:200]!r} ... {text[-200:]!r}')
        if not m:
            continue
        doc, q, a2 = m.groups()
        check(a2 == ans and ans and ans in doc, f'seed {s}: answer {ans!r} not a span of the document')
        check(q.endswith('?'), f'seed {s}: question {q!r}')
        if shown < a.show:
            shown += 1
            i = doc.find(ans)
            print(f'--- seed {s} L={L} tokens={len(ids)}\n  Q: {q}\n  A: {ans}\n  context: ...{doc[max(0, i - 150):i + len(ans) + 60]!r}...')
    # determinism
    x1 = gen.gen_realqa(random.Random(12345), 2048)
    x2 = gen.gen_realqa(random.Random(12345), 2048)
    x3 = gen.gen_realqa(random.Random(12346), 2048)
    check(x1 == x2, 'same seed, different sample')
    check(x1 != x3, 'different seeds, same sample')
    gen2 = tasks.Gen(tok, corpus, os.path.join(a.data, 'words-train.json'))
    check(gen2.gen_realqa(random.Random(12345), 2048) == x1, 'a second generator gives another sample for the same seed')
    # the training mixes draw it
    names = [tasks.sample(gen, random.Random(s), 1024, tasks.MIX_FINETUNE)[0] for s in range(200)]
    check(60 < names.count('realqa') < 140, f'finetune mix drew realqa {names.count("realqa")}/200')
    print(f'{len(fails)} failures' if fails else 'all checks passed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
