"""Training-data generators of the bundled model: RULER-style long-document tasks with TRAINING
templates only (paraphrases; the exact RULER templates and the document-QA evaluation templates
live in bench/longqa/ and never appear here), keys/names drawn from the training word lists and
prose from the training split of the Brown corpus (held-out files never appear here).

Each sample is a list of token ids plus a per-token loss kind: 0 = no loss, 1 = context language
modelling, 2 = answer. The chat format is ChatML; the answer prefix (if any) opens the assistant
turn stripped of surrounding whitespace, exactly as bench/longqa's runner does.

Extend: add a generator `gen_<task>(self, rnd, L)` returning `self.chat(...)`, and give it a
weight in MIX.
"""
import json
import os
import random
import re
import uuid

import realqa
import realqa_train

NOISE_LINES = [
    'The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.',
    'The river runs to the sea. The hills are quiet. The road goes on and on.',
    'Birds fly south in winter. The leaves turn brown. Rain falls on the roof.',
]
SYSTEMS = ['You are a helpful assistant.', 'You answer questions about long documents.',
           'You are Longread, an assistant that reads documents and answers questions about them.']
TYPES = {'numbers': ('number', 'numbers'), 'words': ('word', 'words'), 'uuids': ('uuid', 'uuids')}

TRAIN_NEEDLES = [
    'One of the special magic {tp} for {key} is {value}.',
    'The special magic {ts} for {key} is: {value}.',
    'A special magic {ts} for {key} is: {value}.',
    'Remember that one special magic {ts} for {key} is {value}.',
    'Here is one of the special magic {tp} for {key}: {value}.',
    'The value of a special magic {ts} for {key} is: {value}.',
]
TRAIN_INSTR = [
    'The text below hides special magic {t}. Memorize them carefully, since I will ask about them later.',
    'Read the following text. Special magic {t} are hidden inside it and you will be asked about them.',
    'Below is a long text with special magic {t} hidden in it. Keep them in mind.',
    'Find and remember the special magic {t} hidden in the text that follows.',
]
TRAIN_QUESTIONS = [
    'What {be} the special magic {t} for {q} in the text above?',
    'Which special magic {t} {was} given for {q}?',
    'Tell me the special magic {t} for {q} that appeared in the text.',
    'According to the text, what {be} the special magic {t} for {q}?',
]
TRAIN_PREFIXES = [
    'The special magic {t} for {q} in the text above {be}',
    'Answer: the special magic {t} for {q} {be}',
    'The special magic {t} for {q} mentioned in the text {be}',
    '',
]

# Document QA facts: TRAINING statement/question templates (evaluation ones are in bench/longqa).
FACTS = {
    'job': (['{name} works as a {job}.', '{name} has worked as a {job} for many years.', 'By profession, {name} is a {job}.'],
            ["What is {name}'s job?", 'What does {name} do for a living?'], '{job}'),
    'town': (['{name} was born in {town}.', '{name} grew up in the town of {town}.'],
             ['Where was {name} born?', 'In which town did {name} grow up?'], '{town}'),
    'pet': (['{name} has a {animal} named {pet}.', '{name} keeps a {animal} called {pet}.'],
            ["What is the name of {name}'s {animal}?", "What is {name}'s {animal} called?"], '{pet}'),
    'color': (['{name} drives a {color} car.', 'The car of {name} is {color}.'],
              ["What color is {name}'s car?"], '{color}'),
    'year': (['{name} moved to {town} in {year}.'], ['In which year did {name} move to {town}?'], '{year}'),
    'count': (['{name} collects old coins and owns {n} of them.', '{name} has a collection of {n} old coins.'],
              ['How many old coins does {name} own?'], '{n}'),
}
JOBS = ['carpenter', 'baker', 'pilot', 'nurse', 'teacher', 'lawyer', 'farmer', 'chemist', 'painter', 'tailor',
        'plumber', 'librarian', 'surgeon', 'architect', 'sailor', 'jeweler', 'miner', 'editor', 'banker', 'potter']
TOWNS = ['Ashford', 'Brookvale', 'Cedar Falls', 'Dunmore', 'Elmwood', 'Fairhaven', 'Glenrock', 'Harrowgate',
         'Ironbridge', 'Kingsport', 'Larkspur', 'Millbrook', 'Northwick', 'Oakridge', 'Pinecrest', 'Redwater',
         'Stonehill', 'Thornbury', 'Westmere', 'Yarrow']
ANIMALS = ['dog', 'cat', 'parrot', 'horse', 'goat', 'rabbit', 'turtle', 'canary']
COLORS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'silver', 'orange', 'purple', 'brown']
SYL = ['ka', 'lo', 'mi', 'ra', 'ten', 'vo', 'sa', 'del', 'ri', 'no', 'bel', 'tor', 'an', 'is', 'el', 'mar',
       'qu', 'fen', 'dor', 'li', 'ga', 'wen', 'ru', 'ob']


def name_is_train(n):
    """Names whose character-code sum is even are training names; odd ones are held out."""
    return sum(ord(c) for c in n) % 2 == 0


def make_name(rnd, train=True):
    while True:
        first = ''.join(rnd.choice(SYL) for _ in range(rnd.randint(2, 3))).capitalize()
        last = ''.join(rnd.choice(SYL) for _ in range(rnd.randint(2, 3))).capitalize()
        n = f'{first} {last}'
        if name_is_train(n) == train:
            return n


def join_list(xs):
    return xs[0] if len(xs) == 1 else ', '.join(xs[:-1]) + ', and ' + xs[-1]


def sample_text_for_tokenizer(rnd, words):
    g = Gen.__new__(Gen)
    g.words = words
    k, v = g.rand_value(rnd, 'words'), g.rand_value(rnd, rnd.choice(list(TYPES)))
    ts, tp = TYPES['numbers']
    s = rnd.choice(TRAIN_NEEDLES).format(ts=ts, tp=tp, key=k, value=v)
    s += ' VAR ' + ''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ') for _ in range(5)) + ' = ' + str(rnd.randint(10000, 99999))
    kind = rnd.choice(list(FACTS))
    st, qs, ans = FACTS[kind]
    slots = dict(name=make_name(rnd), job=rnd.choice(JOBS), town=rnd.choice(TOWNS), animal=rnd.choice(ANIMALS),
                 pet=make_name(rnd).split()[0], color=rnd.choice(COLORS), year=str(rnd.randint(1800, 2020)), n=str(rnd.randint(2, 999)))
    return s + ' ' + rnd.choice(st).format(**slots) + ' ' + rnd.choice(qs).format(**slots)


class Gen:
    def __init__(self, tok, corpus_path, words_path):
        self.tok = tok
        self.corpus_path = corpus_path
        self.words = json.load(open(words_path))
        text = open(corpus_path, encoding='utf8').read().splitlines()
        sents = []
        for p in text:
            sents.extend(s for s in re.split(r'(?<=[.!?"])\s+(?=[A-Z"])', p) if s)
        self.sents = [e.ids for e in tok.encode_batch([' ' + s for s in sents], add_special_tokens=False)]
        self.sp = {t: tok.token_to_id(t) for t in ['<|endoftext|>', '<|im_start|>', '<|im_end|>']}
        self.noise_ids = [self.enc('\n' + l) for l in NOISE_LINES]

    def enc(self, s):
        return self.tok.encode(s, add_special_tokens=False).ids

    def enc_many(self, xs):
        return [e.ids for e in self.tok.encode_batch(xs, add_special_tokens=False)]

    # ---- values
    def rand_value(self, rnd, kind):
        if kind == 'numbers':
            return str(rnd.randint(10**6, 10**7 - 1))
        if kind == 'uuids':
            return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        return rnd.choice(self.words['adjectives']) + '-' + rnd.choice(self.words['nouns'])

    # ---- haystacks: lists of token-id lists (units) filling exactly `budget` tokens
    def essay(self, rnd, budget):
        out, n = [], 0
        i = rnd.randrange(len(self.sents))
        while n < budget:
            s = self.sents[i % len(self.sents)]
            out.append(s[:budget - n])
            n += len(out[-1])
            i += 1
        return out

    def noise(self, rnd, budget):
        line = self.noise_ids[0] if rnd.random() < 0.6 else rnd.choice(self.noise_ids)
        out, n = [], 0
        while n < budget:
            out.append(line[:budget - n])
            n += len(out[-1])
        return out

    @staticmethod
    def insert(units, pieces, rnd, depths=True):
        """Insert token-id pieces at random unit boundaries (RULER depth grid when depths)."""
        n = len(units)
        if depths:
            grid = sorted({round(i * 100 / 39) for i in range(40)})
            ds = sorted(rnd.sample(grid, min(len(pieces), len(grid))))
            pos = [int(n * d / 100) for d in ds]
        else:
            pos = sorted(rnd.randrange(n + 1) for _ in pieces)
        for p, piece in sorted(zip(pos, pieces), key=lambda x: -x[0]):
            units.insert(p, piece)
        return units

    # ---- chat assembly
    def chat(self, rnd, user_parts, prefix, answer, L):
        """user_parts: list of (ids, kind) or ('HAY', filler) where filler(budget) -> list of units.
        Returns (ids, kinds) of length <= L with the haystack sized to fill L."""
        sp = self.sp
        head = []
        if rnd.random() < 0.25:
            head += [sp['<|im_start|>']] + self.enc('system\n' + rnd.choice(SYSTEMS)) + [sp['<|im_end|>']] + self.enc('\n')
        head += [sp['<|im_start|>']] + self.enc('user\n')
        tail = [sp['<|im_end|>']] + self.enc('\n') + [sp['<|im_start|>']] + self.enc('assistant\n' + prefix.strip())
        ans = self.enc((' ' if prefix.strip() else '') + answer) + [sp['<|im_end|>']]
        fixed = len(head) + len(tail) + len(ans) + sum(len(p[0]) for p in user_parts if p[0] != 'HAY')
        ids, kinds = list(head), [0] * len(head)
        for p in user_parts:
            if p[0] == 'HAY':
                units = p[1](max(16, L - fixed))
                for u in units:
                    ids += u
                kinds += [1] * (len(ids) - len(kinds))
            else:
                ids += p[0]
                kinds += [p[1]] * len(p[0])
        ids += tail
        kinds += [0] * len(tail)
        ids += ans
        kinds += [2] * len(ans)
        return ids, kinds

    # ---- tasks
    def gen_niah(self, rnd, L):
        r = rnd.random()
        # RULER-like configurations, plus random mixtures
        n_keys, n_vals, n_q, hay = [(1, 1, 1, 'essay'), (1, 1, 1, 'noise'), (4, 1, 1, 'essay'), (1, 1, 1, 'needle'),
                                    (1, 4, 1, 'essay'), (4, 1, 4, 'essay'), (rnd.randint(2, 8), 1, 1, 'essay'),
                                    (rnd.randint(2, 6), 1, rnd.randint(2, 3), 'essay')][int(r * 8)]
        if n_q > n_keys:
            n_q = n_keys
        ktype = 'uuids' if (hay == 'needle' and rnd.random() < 0.4) else 'words'
        vtype = rnd.choice(['numbers', 'numbers', 'numbers', 'words', 'uuids'])
        ts, tp = TYPES[vtype]
        keys = []
        while len(keys) < n_keys:
            k = self.rand_value(rnd, ktype)
            if k not in keys:
                keys.append(k)
        vals = {k: [self.rand_value(rnd, vtype) for _ in range(n_vals)] for k in keys}
        ntpl = rnd.choice(TRAIN_NEEDLES)
        needles = [ntpl.format(ts=ts, tp=tp, key=k, value=v) for k in keys for v in vals[k]]
        rnd.shuffle(needles)
        queries = rnd.sample(keys, n_q)
        refs = [v for q in queries for v in vals[q]]
        single = len(refs) == 1
        t = ts if single else tp
        fmt = dict(t=t, q=join_list(queries), be='is' if single else 'are', was='was' if single else 'were')
        instr = rnd.choice(TRAIN_INSTR).format(t=tp)
        question = rnd.choice(TRAIN_QUESTIONS).format(**fmt)
        prefix = rnd.choice(TRAIN_PREFIXES).format(**fmt)
        answer = join_list(refs) + '.'
        sep = '\n' if hay != 'essay' else ' '
        needle_ids = self.enc_many([sep + n for n in needles])

        def fill(budget):
            budget -= sum(map(len, needle_ids))
            if hay == 'essay':
                units = self.essay(rnd, budget)
            elif hay == 'noise':
                units = self.noise(rnd, budget)
            else:
                units, n = [], 0
                while n < budget:
                    batch = [sep + ntpl.format(ts=ts, tp=tp, key=self.rand_value(rnd, ktype), value=self.rand_value(rnd, vtype))
                             for _ in range(64)]
                    for u in self.enc_many(batch):
                        if n >= budget:
                            break
                        units.append(u[:budget - n])
                        n += len(units[-1])
            return self.insert(units, needle_ids, rnd, depths=hay == 'essay')
        return self.chat(rnd, [(self.enc(instr + '\n'), 1), ('HAY', fill), (self.enc('\n' + question), 1)], prefix, answer, L)

    def vt_chain(self, rnd, n_chains, hops):
        names = set()
        chains, values = [], []
        for _ in range(n_chains):
            vs = []
            while len(vs) < hops + 1:
                v = ''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ') for _ in range(5))
                if v not in names:
                    names.add(v)
                    vs.append(v)
            val = str(rnd.randint(10000, 99999))
            while val in values:
                val = str(rnd.randint(10000, 99999))
            values.append(val)
            chains.append((vs, val, [f'VAR {vs[0]} = {val}'] + [f'VAR {vs[j + 1]} = VAR {vs[j]}' for j in range(hops)]))
        return chains

    def vt_block(self, rnd, budget, chains, hay):
        lines = [[self.enc('\n' + l) for l in c[2]] for c in chains]
        budget -= sum(len(x) for c in lines for x in c)
        units = self.noise(rnd, budget) if hay == 'noise' else self.essay(rnd, budget)
        # chains interleaved at sorted random positions, each chain in order
        pieces = []
        idx = [0] * len(lines)
        while any(i < len(l) for i, l in zip(idx, lines)):
            c = rnd.choice([j for j in range(len(lines)) if idx[j] < len(lines[j])])
            pieces.append(lines[c][idx[c]])
            idx[c] += 1
        pos = sorted(rnd.randrange(len(units) + 1) for _ in pieces)
        out, pi = [], 0
        for i, u in enumerate(units + [None]):
            while pi < len(pieces) and pos[pi] == i:
                out.append(pieces[pi])
                pi += 1
            if u is not None:
                out.append(u)
        return out

    def gen_vt(self, rnd, L):
        hops = 4 if rnd.random() < 0.6 else rnd.randint(1, 5)
        n_chains = 1 if rnd.random() < 0.5 else rnd.randint(2, 3)
        hay = 'noise' if rnd.random() < 0.8 else 'essay'
        chains = self.vt_chain(rnd, n_chains, hops)
        target = rnd.choice(chains)
        instr = rnd.choice(['Keep track of the chains of variable assignments hidden in the text below.',
                            'The following text contains variable assignments. Follow every chain of assignments.',
                            'Trace the variable assignment chains that are hidden in this text.'])
        qt = rnd.choice(['Question: Which variables are assigned the value {v} in the text above?',
                         'Question: List every variable that ends up with the value {v}.',
                         'Question: Find the variables whose value is {v}.'])
        q = qt.format(v=target[1])
        prefix = rnd.choice(['Answer: The variables assigned the value {v} are:',
                             'Answer: Following the chains in the text, {n} variables have the value {v}, namely:',
                             '']).format(v=target[1], n=hops + 1)
        answer = ' '.join(target[0]) + '.'
        parts = []
        if L >= 2048 and rnd.random() < 0.5:  # one worked example, like RULER's ICL example
            ex = self.vt_chain(rnd, 1, hops)
            ex_ids = [self.enc(instr + '\n')] + self.vt_block(rnd, 300, ex, 'noise')
            ex_ids.append(self.enc('\n' + qt.format(v=ex[0][1]) + '\nAnswer: ' + ' '.join(ex[0][0]) + '.\n\n'))
            parts.append(([t for u in ex_ids for t in u], 1))
        parts += [(self.enc(instr + '\n'), 1), ('HAY', lambda b: self.vt_block(rnd, b, chains, hay)), (self.enc('\n' + q), 1)]
        return self.chat(rnd, parts, prefix, answer, L)

    def gen_cwe(self, rnd, L):
        pool = self.words['nouns'] + self.words['adjectives'] + self.words['verbs']
        # ~4 tokens per numbered entry; 10 common x30 (x6 below 4K), the rest x3 (x1)
        big = L >= 4096
        fc, fu = (30, 3) if big else (6, 1)
        n_entries = max(40, (L - 120) // 4)
        n_unc = max(5, (n_entries - 10 * fc) // fu)
        words = rnd.sample(pool, min(len(pool), 10 + n_unc))
        common = words[:10]
        lst = common * fc + words[10:] * fu
        rnd.shuffle(lst)
        ctx = ' '.join(f'{i + 1}. {w}' for i, w in enumerate(lst))
        instr = rnd.choice(['Here is a numbered list of words. Some words occur much more often than the rest.',
                            'The numbered list below repeats some words many times. Count how often each word appears.'])
        q = rnd.choice(['Question: Which 10 words occur most often in the list above?',
                        'Question: Name the ten most frequent words of the list.'])
        prefix = rnd.choice(['Answer: The 10 most frequent words are:', ''])
        ids = self.enc(ctx)
        qi = self.enc('\n' + q)

        def fill(budget):
            return [ids[:budget]]
        return self.chat(rnd, [(self.enc(instr + '\n'), 1), ('HAY', fill), (qi, 1)], prefix, ', '.join(common) + '.', L)

    def gen_kv(self, rnd, L):
        n = max(4, L // 50)
        pairs = [(self.rand_value(rnd, 'uuids'), self.rand_value(rnd, 'uuids')) for _ in range(n)]
        qi = rnd.randrange(n)
        k, v = pairs[qi]
        instr = rnd.choice(['Find the value stored under a key in the JSON object below.',
                            'Look up a key in this JSON object.'])
        pair_ids = self.enc_many([('{' if i == 0 else ' ') + f'"{a}": "{b}"' + ('}' if i == n - 1 else ',')
                                  for i, (a, b) in enumerate(pairs)])
        q = rnd.choice(['Key: "{k}"\nWhat is the value for this key?', 'What value does the key "{k}" have?']).format(k=k)

        def fill(budget):
            # keep a window of whole pairs around the queried one
            lo = hi = qi
            tot = len(pair_ids[qi])
            while True:
                grew = False
                if hi + 1 < n and tot + len(pair_ids[hi + 1]) <= budget:
                    hi += 1
                    tot += len(pair_ids[hi])
                    grew = True
                if lo > 0 and tot + len(pair_ids[lo - 1]) <= budget:
                    lo -= 1
                    tot += len(pair_ids[lo])
                    grew = True
                if not grew:
                    return pair_ids[lo:hi + 1]
        return self.chat(rnd, [(self.enc(instr + '\nJSON data:\n'), 1), ('HAY', fill), (self.enc('\n' + q), 1)],
                         rnd.choice(['The value is:', '']), v, L)

    def fact(self, rnd, kind, name):
        st, qs, ans = FACTS[kind]
        slots = dict(name=name, job=rnd.choice(JOBS), town=rnd.choice(TOWNS), animal=rnd.choice(ANIMALS),
                     pet=make_name(rnd).split()[0], color=rnd.choice(COLORS), year=str(rnd.randint(1800, 2020)),
                     n=str(rnd.randint(2, 999)))
        return rnd.choice(st).format(**slots), rnd.choice(qs).format(**slots), ans.format(**slots)

    def gen_docqa(self, rnd, L):
        n = rnd.randint(1, 10)
        names = [make_name(rnd) for _ in range(n)]
        facts = [self.fact(rnd, rnd.choice(list(FACTS)), nm) for nm in names]
        target = facts[0]
        stmt_ids = self.enc_many([' ' + f[0] for f in facts])
        layout = rnd.randrange(3)

        def fill(budget):
            units = self.essay(rnd, budget - sum(map(len, stmt_ids)))
            return self.insert(units, stmt_ids, rnd, depths=False)
        if layout == 0:
            parts = [(self.enc('Read the document below and answer the question.\n\n'), 1), ('HAY', fill),
                     (self.enc('\n\nQuestion: ' + target[1]), 1)]
        elif layout == 1:
            parts = [(self.enc('Document:\n'), 1), ('HAY', fill),
                     (self.enc('\n\nAnswer the question using the document above. ' + target[1]), 1)]
        else:
            parts = [(self.enc('Question: ' + target[1] + '\nThe answer is in this document:\n'), 1), ('HAY', fill),
                     (self.enc('\n\nQuestion: ' + target[1]), 1)]
        return self.chat(rnd, parts, rnd.choice(['', '', 'Answer:']), target[2] + '.', L)

    def gen_recall(self, rnd, L):
        """Dense associative recall (MQAR-like): `key: value` records, many keys recur later and
        every recurring value is an answer token. Teaches the copy/lookup circuit densely."""
        ktype = rnd.choice(['words', 'words', 'uuids', 'var'])
        vtype = rnd.choice(['numbers', 'numbers', 'words', 'uuids'])
        sep = rnd.choice([': ', ' = ', ' is ', ' -> '])
        prose = rnd.random() < 0.5
        ids, kinds, seen = [], [], []
        while len(ids) < L:
            if seen and rnd.random() < 0.45:
                k, v = rnd.choice(seen)
                kk, vv = self.enc_many([' ' + k + sep, v + '.'])
                ids += kk
                kinds += [1] * len(kk)
                ids += vv
                kinds += [2] * len(vv)
            else:
                k = (''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ') for _ in range(5)) if ktype == 'var'
                     else self.rand_value(rnd, ktype))
                v = self.rand_value(rnd, vtype)
                seen.append((k, v))
                x = self.enc(' ' + k + sep + v + '.')
                ids += x
                kinds += [1] * len(x)
            if prose and rnd.random() < 0.3:
                for u in self.essay(rnd, rnd.randint(20, 200)):
                    ids += u
                kinds += [1] * (len(ids) - len(kinds))
        return ids[:L], kinds[:L]

    # ---- extractive QA over real prose (issue 9): realqa.py's rule-based questions on TRAINING
    # paragraphs (.train/corpus/brown-train.tagged.txt, written by prepare-corpus.ts), in the app's
    # exact prompt (engine/service/doc-prompt.ts): system DOC_SYSTEM, user "Read the document below
    # and answer the question.\n\n" + document + "\n\nQuestion: " + q; the target is the answer
    # span as it appears in the document, then <|im_end|>.
    def realqa_data(self):
        if not hasattr(self, 'rq_paras'):
            tagged = self.corpus_path[:-len('.txt')] + '.tagged.txt'
            if not os.path.exists(tagged):
                raise FileNotFoundError(f'{tagged} missing: re-run node --import tsx tools/train/prepare-corpus.ts')
            lines = open(tagged, encoding='utf8').read().splitlines()
            self.rq_paras, items, _ = realqa_train.extract(lines)  # realqa.py's forms + the training-only ones
            self.rq_by = realqa.group_items(items)
            self.rq_names = sorted({i.answer for i in self.rq_by.get('subject', [])
                                    if re.fullmatch(r'[A-Z][a-z]+', i.answer) and i.kind in ('', 'person')})
            self.rq_nps = realqa.np_pools(items)
            self.rq_places = sorted({i.answer for i in self.rq_by.get('where', []) if re.fullmatch(r'[A-Z][a-z]+( [A-Z][a-z]+)?', i.answer)})
            probe = self.rq_paras[:300]
            self.rq_cpt = sum(map(len, probe)) / max(1, sum(map(len, self.enc_many(probe))))  # characters per token
        return self.rq_paras, self.rq_by

    def doc_chat(self, content, answer, system=True):
        """The app's ChatML prompt around `content` (kind 1 = context loss) + answer (kind 2)."""
        sp = self.sp
        head = []
        if system:
            head += [sp['<|im_start|>']] + self.enc('system\n' + realqa.SYSTEM) + [sp['<|im_end|>']] + self.enc('\n')
        head += [sp['<|im_start|>']]
        user = self.enc('user\n' + content)
        tail = [sp['<|im_end|>']] + self.enc('\n') + [sp['<|im_start|>']] + self.enc('assistant\n')
        ans = self.enc(answer) + [sp['<|im_end|>']]
        ids = head + user + tail + ans
        kinds = [0] * len(head) + [1] * len(user) + [0] * len(tail) + [2] * len(ans)
        return ids, kinds

    def gen_realqa(self, rnd, L):
        paras, by = self.realqa_data()
        system = rnd.random() < 0.9  # the app always sends its system prompt; a few without it
        fixed = 90  # system, intro, question, answer (tokens), measured again below
        scale = 1.0
        for _ in range(6):
            budget = int(max(48, L - fixed) * self.rq_cpt * scale)
            doc, q, a, _it = realqa.sample_text(rnd, paras, by, self.rq_names, budget, place_pool=self.rq_places,
                                                np_pool=self.rq_nps)
            ids, kinds = self.doc_chat(realqa.INTRO + doc + realqa.QUESTION_MARK + q, a, system)
            if len(ids) <= L:
                return ids, kinds
            scale *= 0.97 * (L - fixed) / max(1, len(ids) - fixed)
        return ids, kinds

    def gen_prose(self, rnd, L):
        ids, n = [], 0
        for u in self.essay(rnd, L):
            ids += u
        return ids[:L], [1] * min(L, len(ids))


# Training from scratch: the first model's mix (recall 22, niah 32, vt 12, cwe 4, kv 7, docqa 13,
# prose 10) scaled by 0.85, plus extractive QA over real prose 15%.
MIX = [('recall', 0.187), ('niah', 0.272), ('vt', 0.102), ('cwe', 0.034), ('kv', 0.0595), ('docqa', 0.1105),
       ('prose', 0.085), ('realqa', 0.15)]
# Fine-tuning the shipped model (train.py --init-gguf ... --mix finetune): mostly the new task, the
# old ones kept as rehearsal so that they are not forgotten.
# vt has a larger share than in MIX: the shipped model's variable tracking (60-67% at 4K) is below
# issue 9's 70%.
MIX_FINETUNE = [('realqa', 0.45), ('niah', 0.13), ('recall', 0.08), ('vt', 0.16), ('docqa', 0.07), ('kv', 0.05),
                ('cwe', 0.02), ('prose', 0.04)]
# The reader fine-tune (--mix reader --phases reader): realqa half of the samples, the rest
# rehearsal of what the acceptance suite scores (niah, vt) and of the synthetic tasks.
MIX_READER = [('realqa', 0.5), ('niah', 0.12), ('recall', 0.06), ('vt', 0.14), ('docqa', 0.08), ('kv', 0.04),
              ('cwe', 0.02), ('prose', 0.04)]
# The shipped model's pretraining mix (MIX at d335347, before realqa existed): --mix first. With it
# and that run's --seed and --steps, the batches should be that run's: the data of a step depends
# only on the seed, the step and the step count (train.py Batches), and the generators of these
# tasks are unchanged since d335347 (not checked against that run's data, which is lost).
MIX_FIRST = [('recall', 0.22), ('niah', 0.32), ('vt', 0.12), ('cwe', 0.04), ('kv', 0.07), ('docqa', 0.13), ('prose', 0.10)]
MIXES = {'default': MIX, 'finetune': MIX_FINETUNE, 'reader': MIX_READER, 'first': MIX_FIRST}


def sample(gen, rnd, L, mix=None):
    """One sample of at most L tokens (a task whose fixed part does not fit is redrawn)."""
    for _ in range(20):
        r, acc = rnd.random(), 0.0
        name = 'prose'
        for n, w in (mix or MIX):
            acc += w
            if r < acc:
                name = n
                break
        ids, kinds = getattr(gen, 'gen_' + name)(rnd, L)
        if len(ids) <= L:
            return name, (ids, kinds)
    return 'prose', gen.gen_prose(rnd, L)
