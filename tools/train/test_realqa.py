"""Checks of the extractive-QA generator (realqa.py, tasks.py gen_realqa) on the real training
corpus, without torch or tokenizers (a character-level stand-in tokenizer):

    node --import tsx tools/train/prepare-corpus.ts     # once: .train/corpus (+ tagged text)
    python3 tools/train/test_realqa.py [--show 30]

- at least 15,000 distinct (sentence, question) items (realqa.py's forms + realqa_train.py's);
- every extracted answer is a span of its sentence (whole words) and the sentence a span of its
  paragraph;
- every sample fits its length, is the app's prompt layout (doc-prompt.ts) and its target is a
  contiguous span of the document as it appears in the prompt, followed by <|im_end|>;
- questions are well formed (wh-word first, '?' last, no word repeated or left dangling, quotes
  and brackets balanced, the answer not given away) and never in an evaluation-only wording;
- counterfactual answers (realqa.counterfactual) exist for the main forms and are spans of the
  changed sentence that the question does not contain;
- the same seed gives the same sample, another seed another one; extraction is deterministic;
- no held-out Brown paragraph is used (bench/longqa/data/brown-heldout.txt.gz), and realqa.py
  still gives the held-out questions of bench/longqa/data/realqa-heldout.json (when
  .train/heldout is there).
It prints --show examples to read. Exit status 1 on any failure.
"""
import argparse
import gzip
import json
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


EVAL_ONLY = ('According to the document', 'In which year', 'By whom')  # bench/longqa/make-realqa.py's wordings
DANGLING = {'the', 'a', 'an', 'of', 'and', 'or', 'but', 'which', 'who', 'whose', 'than', 'if', 'their', 'its', 'my',
            'our', 'your'}  # a question never ends on these ("with his" may: "holding his eyes with his")


def check_item(it, paras, check):
    """One extracted question: its answer a whole-word span, its wording clean."""
    q, a = it.question, it.answer
    check(a in it.sentence and it.sentence in paras[it.para], f'span: {it.to_dict()}')
    check(a == a.strip(' ,;:') and re.search(r'(?<!\w)' + re.escape(a) + r'(?!\w)', it.sentence) is not None,
          f'answer not whole words: {a!r} in {it.sentence!r}')
    check(q.startswith(WH) and q.endswith('?') and '  ' not in q and q.count('?') == 1, f'question form: {q}')
    check(not q.startswith(EVAL_ONLY), f'evaluation-only wording in training: {q}')
    check(a.lower() not in q.lower(), f'answer in question: {q} / {a}')
    check(not re.search(r'\b(?!had\b|that\b)(\w+) \1\b', q.lower()), f'repeated word: {q}')
    last = re.findall(r"[\w']+", q)[-1].lower()
    check(last not in DANGLING, f'question ends on {last!r}: {q}')
    check(q.count('"') % 2 == 0 and q.count('(') == q.count(')') and not re.search(r' [,.;:]', q), f'punctuation: {q}')


def held_out_unchanged(check):
    """realqa.py with its evaluation forms still builds the committed held-out questions (the
    training-only forms live in realqa_train.py and must not leak into them)."""
    tagged = os.path.join(ROOT, '.train', 'heldout', 'brown-heldout.tagged.txt')
    if not os.path.exists(tagged):
        print(f'(no {tagged}: held-out regeneration not checked)')
        return
    _, items = realqa.extract(open(tagged, encoding='utf8').read().splitlines(), extra_forms=True)
    rows = [r for r in json.load(open(os.path.join(ROOT, 'bench', 'longqa', 'data', 'realqa-heldout.json'))) if r['form'] != 'manual']
    for r in rows:
        if r['form'].endswith('+according'):
            r['form'] = r['form'][:-len('+according')]
            q = r['question'][len('According to the document, '):]
            r['question'] = q[0].upper() + q[1:]
    check([it.to_dict() for it in items] == rows, 'realqa.extract(held-out, extra_forms=True) differs from realqa-heldout.json')


def counterfactuals(gen, by, check):
    """Share of questions per form that get a counterfactual answer; each one a span of its new
    sentence, not in the question, and the rest of the sentence unchanged."""
    rnd = random.Random(7)
    rates = {}
    for f, xs in sorted(by.items()):
        got = 0
        for it in rnd.sample(xs, min(200, len(xs))):
            cf = realqa.counterfactual(rnd, it, gen.rq_names, gen.rq_places, gen.rq_nps)
            if not cf:
                continue
            sent, ans, repl = cf
            got += 1
            i = it.sentence.find(it.answer)
            # a name or place is replaced everywhere (whole words), anything else once
            want = re.sub(r'\b' + re.escape(it.answer) + r'\b', ans, it.sentence) if repl else \
                it.sentence[:i] + ans + it.sentence[i + len(it.answer):]
            check(ans in sent and ans != it.answer and ans.lower() not in it.question.lower() and sent == want,
                  f'counterfactual {f}: {it.to_dict()} -> {cf}')
        rates[f] = got / min(200, len(xs))
    print('counterfactual answers: ' + ', '.join(f'{f} {100 * r:.0f}%' for f, r in sorted(rates.items(), key=lambda x: -x[1])))
    # objects are mostly things, swapped only for the same thing (realqa.pool_key): fewer
    for f, least in (('subject', 0.3), ('which', 0.2), ('relative', 0.3), ('object', 0.1), ('howmany', 0.5),
                     ('when', 0.5), ('year', 0.5)):
        check(rates.get(f, 0) > least, f'form {f}: counterfactual answers for {100 * rates.get(f, 0):.0f}% only')


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
    distinct = {(it.sentence, it.question) for it in items}
    check(len(distinct) >= 15000, f'only {len(distinct)} distinct (sentence, question) items')
    for f in ('subject', 'which', 'relative', 'object', 'howmany', 'when', 'where'):
        check(len(by.get(f, [])) >= 40, f'form {f}: {len(by.get(f, []))} questions')
    for it in items:
        check_item(it, paras, check)
    held_out_unchanged(check)
    held = set(gzip.open(os.path.join(ROOT, 'bench', 'longqa', 'data', 'brown-heldout.txt.gz'), 'rt', encoding='utf8').read().splitlines())
    check(not any(p in held for p in paras), 'a held-out paragraph is in the training paragraphs')

    counterfactuals(gen, by, check)

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
    items2 = [it for xs in gen2.realqa_data()[1].values() for it in xs]
    check([it.to_dict() for it in items2] == [it.to_dict() for it in items], 'a second extraction gives other questions')
    # the training mixes draw it
    names = [tasks.sample(gen, random.Random(s), 1024, tasks.MIX_FINETUNE)[0] for s in range(200)]
    check(60 < names.count('realqa') < 140, f'finetune mix drew realqa {names.count("realqa")}/200')
    print(f'{len(fails)} failures' if fails else 'all checks passed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
