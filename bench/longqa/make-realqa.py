"""Builds bench/longqa/data/realqa-heldout.json, the questions of the `realqa` evaluation task
(extractive QA over real prose, issue 9), from the HELD-OUT Brown files only
(.train/heldout/brown-heldout.tagged.txt, written by tools/train/prepare-corpus.ts next to
bench/longqa/data/brown-heldout.txt.gz, whose lines are the same paragraphs). The question rules
are tools/train/realqa.py's with its evaluation-only forms on (`extra_forms`: "In which year ...",
"By whom was ...") and "According to the document, ..." on every third question, plus the
hand-written questions of data/realqa-manual.json (held-out sentences, questions in other words);
tasks.ts picks a question per case seed and builds the document around it.

    node --import tsx tools/train/prepare-corpus.ts && python3 bench/longqa/make-realqa.py
"""
import gzip
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'train'))
import realqa  # noqa: E402


def main():
    lines = open(os.path.join(ROOT, '.train', 'heldout', 'brown-heldout.tagged.txt'), encoding='utf8').read().splitlines()
    plain = gzip.open(os.path.join(ROOT, 'bench', 'longqa', 'data', 'brown-heldout.txt.gz'), 'rt', encoding='utf8').read().splitlines()
    paras, items = realqa.extract(lines, extra_forms=True)
    assert paras == plain, 'tagged held-out paragraphs differ from brown-heldout.txt.gz: re-run prepare-corpus.ts'
    rows = [it.to_dict() for it in items]
    # an evaluation-only wording on every third question (training never prefixes its questions)
    for i, r in enumerate(rows):
        if i % 3 == 2 and not r['question'].startswith(('In which', 'By whom')):
            r['question'] = 'According to the document, ' + r['question'][0].lower() + r['question'][1:]
            r['form'] += '+according'
    # hand-written questions over held-out sentences, in words of their own (paraphrases the rules
    # cannot make: "How long does an air conditioner usually last?" -> "20 to 25 years")
    for m in json.load(open(os.path.join(ROOT, 'bench', 'longqa', 'data', 'realqa-manual.json'))):
        hits = [i for i, p in enumerate(paras) if m['sentence'] in p]
        assert len(hits) == 1, (m, hits)
        rows.append({'form': 'manual', 'question': m['question'], 'answer': m['answer'], 'sentence': m['sentence'],
                     'para': hits[0], 'syn': True})
    for r in rows:
        assert r['answer'] in r['sentence'] and r['sentence'] in paras[r['para']]
    out = os.path.join(ROOT, 'bench', 'longqa', 'data', 'realqa-heldout.json')
    with open(out, 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(r) for r in rows) + '\n]\n')
    forms = {}
    for r in rows:
        forms[r['form']] = forms.get(r['form'], 0) + 1
    print(f'wrote {out}: {len(rows)} questions ({forms})')


if __name__ == '__main__':
    main()
