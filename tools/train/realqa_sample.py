"""Training samples of realqa (issue 9), at the text level: drawing a question (`pick_item`,
weighted by form), a counterfactual answer so that answers cannot come from memory
(`counterfactual`, with `np_pools` / `pool_key` for noun phrases of the same kind), and the
document around the target paragraph (`sample_text`: neighbouring paragraphs to a character
budget, `fit_sentences`, a random text shape in `render`). tasks.py tokenises and fits the result.
Kept apart from the question rules (realqa.py), which the evaluation builder uses alone;
realqa.py re-exports every name here, so `realqa.sample_text` etc. keep working.
"""
import re

from realqa_tags import is_year


# ---- training samples (text level; tasks.py tokenises and fits them)
# form -> sampling weight. Forms are very unequal in number (with realqa_train.py's forms: 11,000
# subject questions, 45 where questions): most weight goes to the large forms, so that the rare
# ones keep a share without each of their questions being drawn thousands of times.
FORM_WEIGHTS = {'object': 0.18, 'subject': 0.28, 'which': 0.11, 'relative': 0.06, 'participle': 0.05,
                'where': 0.04, 'agent': 0.02, 'when': 0.04, 'year': 0.02, 'named': 0.01, 'whatis': 0.03,
                'whois': 0.01, 'appos': 0.03, 'apposrole': 0.02, 'age': 0.02, 'howmany': 0.05, 'howmuch': 0.01,
                'measure': 0.01, 'duration': 0.01}
NUMBER_WORDS = ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'fifteen',
                'twenty', 'thirty', 'forty', 'fifty', 'hundred']
INTRO = 'Read the document below and answer the question.\n\n'
QUESTION_MARK = '\n\nQuestion: '
SYSTEM = 'You are Longread, an assistant that reads documents and answers questions about them.'
SENT_SPLIT = re.compile(r'(?<=[.!?"])\s+(?=[A-Z"])')
HEADING_STOP = {'which', 'would', 'there', 'their', 'these', 'those', 'about', 'could', 'should', 'other', 'after',
                'before', 'where', 'while', 'being', 'because', 'through'}


def group_items(items):
    by = {}
    for it in items:
        by.setdefault(it.form, []).append(it)
    return by


def pick_item(rnd, by_form, syn_rate=0.3):
    forms = [f for f in FORM_WEIGHTS if by_form.get(f)]
    # a form with few sentences is drawn less (min(1, n/20) of its weight): a handful of
    # sentences seen thousands of times would be learnt by heart
    f = rnd.choices(forms, [FORM_WEIGHTS[x] * min(1.0, len(by_form[x]) / 20) for x in forms])[0]
    it = rnd.choice(by_form[f])
    if not it.syn and rnd.random() < syn_rate:
        # a paraphrased variant of the same sentence and form, when one exists
        alts = [x for x in by_form[f] if x.syn and x.sentence == it.sentence and x.answer == it.answer]
        if alts:
            it = rnd.choice(alts)
    return it


MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
               'November', 'December']
DETERMINERS = {'the', 'a', 'an', 'his', 'her', 'their', 'its', 'our', 'my', 'your', 'this', 'these', 'those', 'that',
               'some', 'every', 'each', 'many', 'several', 'most', 'all', 'both', 'two', 'three', 'four', 'five'}
NP_FORMS = ('subject', 'relative', 'participle', 'object')
ARTICLES = {'the', 'a', 'an', 'his', 'her', 'their', 'its', 'our', 'my', 'your'}
PREPOSITIONS = {'of', 'in', 'on', 'at', 'for', 'with', 'between', 'from', 'to', 'by', 'about', 'among', 'under', 'over',
                'near', 'without', 'within', 'around', 'behind', 'and', 'or'}


def np_pools(items):
    """kind -> noun phrases to put in place of an answer of that kind ('person', 'thing-pl', ...):
    answers of the noun-phrase forms that start with a determiner or sit inside their sentence,
    so that their capitals are their own."""
    pools = {}
    for it in items:
        w = it.answer.split()
        if pool_key(it) and 1 <= len(w) <= 5 and not re.search(r'[0-9"(]', it.answer) and swappable(it):
            pools.setdefault(pool_key(it), set()).add(it.answer)
    return {k: sorted(v) for k, v in pools.items()}


def swappable(it):
    """A whole noun phrase that another can replace, with capitals of its own (not a capital
    only because it starts the sentence). The noun phrase before a relative clause or a
    participle was found backwards and may have left words out ("several noted [architects]
    who", "every [retiring person] who"): there only one that starts with an article or a
    possessive, or a name."""
    w = it.answer.split()
    if it.form in ('relative', 'participle'):
        return w[0].lower() in ARTICLES or (all(x[:1].isupper() for x in w) and not it.sentence.startswith(it.answer))
    return w[0].lower() in DETERMINERS or not it.sentence.startswith(it.answer)


def pool_key(it):
    """Which answers may stand in for this one: a person for a person ("The juror said" -> "The
    farmer said"); a thing only for the same thing ("the first program" -> "the television
    program": "The latch was infiltrated with neutrophils" would teach nonsense); for "Which
    committee ...?" another committee."""
    if it.form == 'which':
        return 'which ' + it.question.split()[1].lower()
    w = it.answer.lower().split()
    if it.form not in NP_FORMS or not it.kind or any(x in PREPOSITIONS for x in w):
        return None  # "Business relations between the companies and city": the head is not last
    if it.kind.startswith(('person', 'group')):
        return it.kind
    head = it.answer.split()[-1]  # with its case: "a faint sound" is no "the Mississippi Sound"
    return 'head ' + head if head.isalpha() else None


def case_at(np, at_start):
    """A pool noun phrase with the capital its new place needs."""
    first, _, tail = np.partition(' ')
    if first.lower() in DETERMINERS:
        first = first.capitalize() if at_start else first.lower()
    elif at_start:
        first = first[0].upper() + first[1:]
    return first + (' ' + tail if tail else '')


def counterfactual(rnd, it, name_pool, place_pool=(), np_pool=None):
    """A new answer for the same sentence (numbers, years, names, dates; the noun phrase of a
    subject/relative/object/which question for another of the same kind), so that answers cannot be
    memorised from the question: returns (new sentence, new answer, whole-word replacements for
    the document) or None."""
    a = it.answer
    if it.form in ('year', 'when') and is_year(a):
        new = str(rnd.randint(1600, 2029))
    elif it.form == 'age' and re.fullmatch(r'\d\d', a):
        new = str(rnd.randint(18, 89))
    elif it.form in ('howmany', 'measure', 'duration', 'howmuch'):
        m = re.match(r'^(\$?)([0-9][0-9,]*)(.*)$', a)
        if m:
            n = rnd.choice([rnd.randint(2, 99), rnd.randint(100, 9999), rnd.randint(10000, 999999)])
            new = m.group(1) + (f'{n:,}' if ',' in m.group(2) else str(n)) + m.group(3)
        elif a.split()[0].lower() in NUMBER_WORDS:
            new = ' '.join([rnd.choice([w for w in NUMBER_WORDS if w != a.split()[0].lower()])] + a.split()[1:])
            new = new.capitalize() if a[0].isupper() else new
        else:
            return None
    elif it.form == 'subject' and it.kind in ('', 'person') and re.fullmatch(r"[A-Z][a-z]+", a) and name_pool:
        new = rnd.choice(name_pool)
        if new == a or new in it.sentence or new.lower() in it.question.lower():
            return None
        return re.sub(r'\b' + a + r'\b', new, it.sentence), new, {a: new}
    elif pool_key(it) and np_pool and np_pool.get(pool_key(it)) and len(a.split()) <= 8 and swappable(it):
        new = case_at(rnd.choice(np_pool[pool_key(it)]), it.sentence.startswith(a))
        if new.lower() == a.lower() or new.lower() in it.sentence.lower() or new.lower() in it.question.lower():
            return None
    elif it.form == 'when' and a in MONTH_NAMES:
        new = rnd.choice([m for m in MONTH_NAMES if m != a])
    elif it.form == 'where' and re.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)?", a) and place_pool:
        new = rnd.choice(place_pool)
        if new == a or new in it.sentence or new.lower() in it.question.lower():
            return None
        return re.sub(r'\b' + a + r'\b', new, it.sentence), new, {a: new}
    elif it.form == 'when' and re.fullmatch(r'[A-Z][a-z]+\.? \d{1,2}', a):
        new = a.rsplit(' ', 1)[0] + ' ' + str(rnd.randint(1, 28))
    else:
        return None
    if new == a or it.sentence.count(a) != 1 or new.lower() in it.question.lower():
        return None
    return it.sentence.replace(a, new), new, {}


def heading(rnd, para):
    words = [w.strip('.,;:"()') for w in para.split()[:40]]
    words = [w for w in words if re.fullmatch(r'[a-z]{5,12}', w) and w not in HEADING_STOP]
    if not words:
        return 'Notes'
    k = min(len(words), rnd.randint(1, 3))
    return ' '.join(w.capitalize() for w in rnd.sample(words, k))


def render(rnd, paras, target, shape):
    """Joins paragraphs into a document of the given shape; paragraph `target` is never split
    inside a sentence (lists break paragraphs only at sentence boundaries)."""
    if shape == 'plain':
        return '\n\n'.join(paras)
    if shape == 'lines':
        return '\n'.join(paras)
    out = []
    if rnd.random() < 0.3:
        out.append('---\ntitle: ' + heading(rnd, paras[0]) + '\n---')
    if rnd.random() < 0.6:
        out.append('# ' + heading(rnd, paras[0]))
    every = rnd.randint(1, 4)
    for i, p in enumerate(paras):
        if i % every == 0 and rnd.random() < 0.7:
            out.append('#' * rnd.randint(2, 3) + ' ' + heading(rnd, p))
        sents = SENT_SPLIT.split(p)
        r = rnd.random()
        if len(sents) >= 2 and r < 0.2:
            out.append('\n'.join('- ' + s for s in sents))
        elif len(sents) >= 2 and r < 0.3:
            out.append('\n'.join(f'{k + 1}. ' + s for k, s in enumerate(sents)))
        elif r < 0.35:
            out.append('> ' + p)
        else:
            out.append(p)
    return '\n\n'.join(out)


def fit_sentences(ss, room, from_end):
    out, n = [], 0
    for x in (reversed(ss) if from_end else ss):
        if n + len(x) + 1 > room:
            break
        out.append(x)
        n += len(x) + 1
    return ' '.join(reversed(out) if from_end else out)


def sample_text(rnd, paras, by_form, name_pool, char_budget, cf_rate=0.5, syn_rate=0.3, place_pool=(), np_pool=None):
    """One training sample as text: (document, question, answer). The document is the target
    paragraph inside its neighbouring training paragraphs (about char_budget characters, the
    target at a random depth), in a random text shape."""
    it = pick_item(rnd, by_form, syn_rate)
    sent, ans, repl = it.sentence, it.answer, {}
    if rnd.random() < cf_rate:
        cf = counterfactual(rnd, it, name_pool, place_pool, np_pool)
        if cf:
            sent, ans, repl = cf
    target = paras[it.para].replace(it.sentence, sent, 1)
    if len(target) > char_budget:  # too long: the target sentence with its neighbours only
        ss = SENT_SPLIT.split(target)
        k = next((i for i, s in enumerate(ss) if sent in s), None)
        if k is None:
            target = sent
        else:
            lo = hi = k
            while True:
                grown = False
                if hi + 1 < len(ss) and len(' '.join(ss[lo:hi + 2])) <= char_budget:
                    hi += 1
                    grown = True
                if lo > 0 and len(' '.join(ss[lo - 1:hi + 1])) <= char_budget:
                    lo -= 1
                    grown = True
                if not grown:
                    break
            target = ' '.join(ss[lo:hi + 1])
    rest = max(0, char_budget - len(target))
    f = rnd.random()
    before, after = [], []
    nb = na = 0
    i, j = it.para - 1, it.para + 1
    while i >= 0 and nb + len(paras[i]) + 2 <= f * rest:  # the target at depth about f
        before.append(paras[i])
        nb += len(paras[i]) + 2
        i -= 1
    while j < len(paras) and na + len(paras[j]) + 2 <= rest - nb:
        after.append(paras[j])
        na += len(paras[j]) + 2
        j += 1
    while i >= 0 and nb + na + len(paras[i]) + 2 <= rest:  # the end of the corpus: more before
        before.append(paras[i])
        nb += len(paras[i]) + 2
        i -= 1
    # a paragraph too long for what is left: the sentences of it that fit (its end before the
    # target, its start after it)
    if j < len(paras):
        part = fit_sentences(SENT_SPLIT.split(paras[j]), rest - nb - na - 2, from_end=False)
        if part:
            after.append(part)
            na += len(part) + 2
    if i >= 0:
        part = fit_sentences(SENT_SPLIT.split(paras[i]), rest - nb - na - 2, from_end=True)
        if part:
            before.append(part)
            nb += len(part) + 2
    ps = before[::-1] + [target] + after
    shape = rnd.choices(['plain', 'markdown', 'lines'], [0.5, 0.35, 0.15])[0]
    doc = render(rnd, ps, len(before), shape)
    for a, b in repl.items():
        doc = re.sub(r'\b' + re.escape(a) + r'\b', b, doc)
    if sent not in doc or ans not in doc:
        doc = '\n\n'.join(ps)
    return doc, it.question, ans, it
