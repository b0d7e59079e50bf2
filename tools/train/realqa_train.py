"""Training-only question forms for realqa (issue 9), on top of realqa.py's rules, so that the
fine-tune sees some 20,000 distinct questions over the training paragraphs instead of the 727
it learnt by heart. Answers stay contiguous spans of the sentence (realqa.extract checks each).
The evaluation builder (bench/longqa/make-realqa.py) never calls this module: held-out questions
keep realqa.py's forms and wordings, and wordings kept for evaluation ("According to the
document", "In which year", "By whom") are never made here.

Sentences are analysed by realqa_clause.py (`[LEAD,] SUBJECT VERB REST.`, who/what from the
corpus). Forms (`Item.form`; realqa.py's names where the question is the same kind):

  subject   "The committee approved the plan on Monday."  -> "Who approved the plan on Monday?"
            "When the war ended, the men returned home."  -> "Who returned home when the war ended?"
            a plural subject's verb made singular ("What was damaged?"); paraphrases (Item.syn):
            a cleft ("Who was it that approved ...?") and a synonym (realqa_tags.swap_one)
  which     "The Senate Finance Committee approved ..."   -> "Which committee approved ...?" (+ "What committee")
  relative  "... the mill, which was built in 1887, ..."  -> "What was built in 1887?" (the mill)
  participle "... the mill built by John Ward, ..."       -> "What was built by John Ward?" (the mill)
  howmany   "Three men were arrested in Dallas."          -> "How many men were arrested in Dallas?" (Three)
  whatis    "The purpose of the visit was a survey."      -> "What was the purpose of the visit?" (a survey)
  object    "The committee approved the plan on Monday."  -> "What did the committee approve on Monday?"
            (+ "What was it that the committee approved on Monday?")
  when/year/where/duration  a year, date, place or "for N years" in the rest or the lead:
            "In 1958, the Conference endorsed birth control." -> "When did the Conference endorse birth control?"
A second main clause (", and the men were hungry.") and a clause after that/because/when/...
("He said that the committee approved the plan." -> "Who approved the plan?"; not after if or
though: that did not happen) are asked like sentences of their own, and realqa.py's rules run
again on a clause without its lead.

`python3 tools/train/realqa_train.py --stats` prints items per form and why sentences were
rejected; `--show N [--form F]` prints N random questions to read. Extend: a form is one
function `form_*(c, ...)` returning (form, question, answer, syn, kind) tuples, called from
`Forms.clause_questions`; `kind` ('person', 'thing-pl', ...) lets realqa.counterfactual swap
the answer for another noun phrase of the same kind.
"""
import argparse
import collections
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realqa  # noqa: E402
from realqa import base_tag, detok, ask, np_span, parse_tagged, PRONOUN_WORDS, swap_one  # noqa: E402
from realqa_clause import (FINITE, SINGULAR_OF, COPULAR, QUANTITY_NOUNS, ORG_NOUNS, singular, Lexicon, clause, simple, np_sane,  # noqa: E402
                           finite_at, cut_clause, starts_clause, main_clause_before, head_of, antecedent,
                           noun_phrase_kind)


# ---- question forms: each takes a Clause, returns (form, question, answer, syn, kind) tuples
PP_TAGS = {'in', 'at', 'nn', 'nns', 'np', 'nps', 'jj', 'cd', 'od', 'rb', 'pp$', 'nr', 'ap', 'nn$', 'nns$', 'np$', 'dt',
           'abn', 'vbn', 'vbg'}
NP_START = {'at', 'nn', 'nns', 'np', 'nps', 'cd', 'pp$', 'abn', 'ap', 'dt', 'dts', 'dti', 'od'}
EMBEDDING = {'that', 'because', 'since', 'when', 'after', 'before', 'while', 'until', 'where', 'once', 'whereas'}
DANGLING = {'the', 'a', 'an', 'of', 'and', 'or', 'but', 'which', 'who', 'whose', 'than', 'if', 'their', 'its', 'my', 'our',
            'your'}  # a question cut inside a phrase ends on one of these


def words(toks):
    return [w for w, _ in toks]


def lowered(toks):
    """The words, the first one lower-cased unless it is a name, a title or `I`."""
    return realqa.lower_first(words(toks), [t for _, t in toks])


def lead_words(c, rest):
    """The lead's words to put after the question, [] when dropped, None when it must stay and cannot."""
    if not c.lead or c.move == 'drop':
        return []
    if simple(rest):
        return lowered(c.lead)
    return [] if c.move == 'move-or-drop' else None


def item_kind(kind, head, plural):
    """Item.kind: 'person', 'group' (a committee, a company), 'thing', + '-pl' when plural."""
    if not kind:
        return ''
    if kind == 'person' and head and singular(head[0]) in ORG_NOUNS:
        kind = 'group'
    return kind + ('-pl' if plural else '')


def kind_of(c):
    return item_kind(c.kind, c.head, c.plural)


def form_subject(c, lex):
    """Who/What + the verb group and the rest, as written (a plural subject's verb made singular)."""
    if c.kind is None:
        return []
    rest = list(c.rest)
    vw, vt = rest[0]
    bt = base_tag(vt).rstrip('*')
    # who/what take a singular verb, whatever the subject's number ("Local police have ..." ->
    # "Who has ...?")
    if vw.lower() in SINGULAR_OF:
        rest[0] = (SINGULAR_OF[vw.lower()], vt)
    elif bt == 'vb':
        s3 = lex.third_person(vw)
        if not s3:
            return []
        rest[0] = (s3, 'vbz')
    k = 1  # past the verb group: auxiliaries, adverbs, negation
    while k < len(rest) and (base_tag(rest[k][1]) in ('rb', 'ql', '*', 'be', 'ben', 'hv', '(') or base_tag(rest[k][1]) in realqa.BE):
        bt = base_tag(rest[k][1]).rstrip('*')
        k += 1
    if k < len(rest) and base_tag(rest[k][1]) == 'cs' and (bt in realqa.BE or bt in ('be', 'ben', 'vbg')
                                                          or rest[k - 1][0].lower() in COPULAR):
        return []  # "The reasons are that ...", "A suspicion was growing that ...": not a subject question
    if bt in realqa.BE and k + 1 < len(rest) and rest[k][0] == 'to' and base_tag(rest[k + 1][1]) == 'vb':
        return []  # "The way is to rent a car": not about the subject
    if (bt in realqa.BE or bt in ('be', 'ben')) and k < len(rest) and base_tag(rest[k][1]) in NP_START | {'jj'}:
        # "X was the president": "Who was the president?"; "X is a city": not asked ("What is a city?")
        if not (c.kind == 'person' and not c.plural and rest[k][0] == 'the' and np_span(rest, k) > k):
            return []
    lw = lead_words(c, c.rest)
    if lw is None:
        return []
    wh = 'Who' if c.kind == 'person' else 'What'
    ans = detok(words(c.subj))
    out = [('subject', ask([wh] + words(c.adv) + words(rest) + lw), ans, False, kind_of(c))]
    if bt in ('vbd', 'bedz', 'hvd', 'dod') and not c.adv:
        # a cleft paraphrase: "Who was it that approved the plan?"
        out.append(('subject', ask([wh, 'was', 'it', 'that'] + words(rest) + lw), ans, True, kind_of(c)))
    alt = swap_one(rest)
    if alt:
        out.append(('subject', ask([wh] + words(c.adv) + words(alt) + lw), ans, True, kind_of(c)))
    return out


def copula_np(rest):
    """Whether the verb group is a form of `be` followed by a noun phrase ("is another pro")."""
    k, bt = 0, ''
    while k < len(rest) and (base_tag(rest[k][1]).rstrip('*') in realqa.BE | {'be', 'ben', 'md', 'hv', 'hvz', 'hvd'}
                             or base_tag(rest[k][1]) in ('rb', 'ql', '*')):
        bt = base_tag(rest[k][1]).rstrip('*') if base_tag(rest[k][1]) not in ('rb', 'ql', '*') else bt
        k += 1
    return (bt in realqa.BE or bt in ('be', 'ben')) and k < len(rest) and (np_span(rest, k) > k or base_tag(rest[k][1]) in NP_START)


def form_which(c):
    """"The Senate Finance Committee approved the plan." -> "Which committee approved the plan?"
    (The Senate Finance Committee): a common-noun head with modifiers to tell it apart."""
    h = c.head
    if base_tag(h[1]) not in ('nn', 'nns') or h[1].endswith('-tl') or h[0].lower() in QUANTITY_NOUNS | {'others', 'ones'}:
        return []
    i = c.subj.index(h)
    if any(w == 'of' for w, _ in c.subj[:i]) or any(base_tag(t) in ('jjr', 'rbr') or w.lower() in ('more', 'less', 'fewer')
                                                  for w, t in c.subj):
        return []  # "The rest of the press": not a kind of press; "Higher proportions ... than ...": the comparison lost
    mods = [t for t in c.subj[:i] if base_tag(t[1]) not in ('at', 'dt', 'dti', 'dts', 'abn', 'ap', 'pp$')] + c.subj[i + 1:]
    if not mods or not h[0].isalpha() or any(x[0] == 'and' for x in c.subj) or c.subj[0][0].lower() in ('a', 'an'):
        return []
    lw = lead_words(c, c.rest)
    if lw is None or copula_np(c.rest):
        return []
    q = [h[0].lower()] + words(c.adv) + words(c.rest) + lw
    ans = detok(words(c.subj))
    return [('which', ask(['Which'] + q), ans, False, kind_of(c)), ('which', ask(['What'] + q), ans, True, kind_of(c))]


def form_howmany(c):
    """"Three men were arrested." -> "How many men were arrested?" (Three)."""
    s = c.subj
    if len(s) < 2 or base_tag(s[0][1]) != 'cd' or not realqa.is_number(s[0][0].lower(), 'cd') \
            or base_tag(s[-1][1]) != 'nns' or not all(base_tag(t) in ('jj', 'nns', 'nn') for _, t in s[1:]):
        return []
    lw = lead_words(c, c.rest)
    if lw is None:
        return []
    q = ['How', 'many'] + words(s[1:]) + words(c.adv) + words(c.rest) + lw
    return [('howmany', ask(q), s[0][0], False, 'number')]


def form_whatis(c):
    """"The purpose of the visit was a survey." -> "What was the purpose of the visit?"."""
    r = c.rest
    if c.adv or c.neg or c.kind is None or base_tag(r[0][1]) not in ('bez', 'bedz', 'ber', 'bed') or c.subj[0][0].lower() != 'the':
        return []
    comp = r[1:]
    if np_span(comp, 0) != len(comp) or not np_sane(comp) or base_tag(comp[0][1]) in ('vbn', 'vbg', 'cd'):
        return []
    names = all(base_tag(t) == 'np' for _, t in comp)
    if c.kind == 'person' and not names:
        return []
    lw = lead_words(c, [])
    if lw is None:
        return []
    wh = 'Who' if c.kind == 'person' and names else 'What'
    return [('whatis', ask([wh, r[0][0]] + lowered(c.subj) + lw), detok(words(comp)), False, '')]


def verb_front(c, rules, objects=True):
    """(words after the wh-word up to the main verb, index of the object in c.rest, main verb)
    for an active verb group with do-support or an auxiliary, or None."""
    r, subj = c.rest, lowered(c.subj) + words(c.adv)  # "did the committee also approve"
    w0, t0 = r[0][0], base_tag(r[0][1])
    if t0 in ('vbd', 'vbz'):
        lemma = 'have' if w0.lower() in ('had', 'has') else rules.lem.lemma(w0, t0)
        if not lemma:
            return None
        front, i, main = ['did' if t0 == 'vbd' else 'does'] + subj + [lemma], 1, lemma
    elif len(r) > 2 and ((t0 == 'md' and base_tag(r[1][1]) == 'vb') or (t0 in ('hvz', 'hvd', 'hv') and base_tag(r[1][1]) == 'vbn')
                         or (t0 in realqa.DO and base_tag(r[1][1]) == 'vb')):
        front, i, main = [w0.lower()] + subj + [r[1][0]], 2, r[1][0].lower()
    else:
        return None
    while i < len(r) and base_tag(r[i][1]) == 'rp':
        front.append(r[i][0])
        i += 1
    if objects and (main in realqa.NOT_OBJECT_VERBS or w0.lower() in realqa.NOT_OBJECT_VERBS or main in ('be', 'say', 'said', 'tell', 'told')):
        return None
    return front, i, main


def after_object(toks):
    """The prepositional phrases and adverbs after an object, up to a clean clause break; None
    when what follows is not that (a list, a complement, an infinitive)."""
    for j, (w, t) in enumerate(toks):
        bt = base_tag(t)
        nxt = base_tag(toks[j + 1][1]) if j + 1 < len(toks) else ''
        if w == ',' and (nxt in ('cs', 'wrb', 'wdt') or (nxt == 'cc' and j + 2 < len(toks)
                                                         and base_tag(toks[j + 2][1]) in ('pps', 'ppss', 'at', 'np'))):
            break
        if bt in ('cs', 'wrb') and j > 0:
            break
        # a second verb phrase ("opened the door and stepped out", "..., stepping out"): the
        # object's own clause ends here
        if (bt == 'cc' and base_tag(nxt).rstrip('*') in ('vbd', 'vbz', 'md', 'bedz', 'bez', 'hvd', 'hvz')) \
                or (w == ',' and j > 0 and nxt == 'vbg'):
            break
        if bt not in PP_TAGS or (j == 0 and w not in realqa.VERB_PREPS) or w in ('of', 'than', 'as'):
            return None
    else:
        j = len(toks)
    seg = toks[:j]
    if seg and base_tag(seg[-1][1]) not in ('nn', 'nns', 'np', 'nps', 'cd', 'nr', 'rb'):
        return None
    return seg


def form_object(c, rules, lex):
    """"The committee approved the plan on Monday." -> "What did the committee approve on
    Monday?" (the plan), and "What was it that the committee approved on Monday?"."""
    if c.neg or c.kind is None or any(base_tag(t) != 'rb' for _, t in c.adv):
        return []
    vf = verb_front(c, rules)
    if vf is None:
        return []
    front, i, main = vf
    e = np_span(c.rest, i)
    obj = c.rest[i:e]
    amount = form_amount(c, front, obj, c.rest[e:])
    if amount is not None:
        return amount
    if e == i or not np_sane(obj) or base_tag(obj[0][1]) in ('nn', 'cd', 'vbn', 'vbg', 'od') or obj[0][0].lower() == 'no':
        return []
    head = head_of(obj)
    if head is None or base_tag(head[1]) not in ('nn', 'nns') or head[0].lower() in realqa.TIME_NOUNS:
        return []
    seg = after_object(c.rest[e:])
    kind = lex.noun_kind(head[0])
    if seg is None or kind is None:
        return []
    lw = lead_words(c, seg)
    if lw is None:
        return []
    wh = 'Who' if kind == 'person' else 'What'
    ans = detok(words(obj))
    k = item_kind(kind, head, base_tag(head[1]) == 'nns')
    out = [('object', ask([wh] + front + words(seg) + lw), ans, False, k)]
    if base_tag(c.rest[0][1]) == 'vbd' and i == 1:
        out.append(('object', ask([wh, 'was', 'it', 'that'] + lowered(c.subj) + [c.rest[0][0]] + words(seg) + lw), ans, True, k))
    main_syn = realqa.VERB_SYN.get(main)
    if main_syn and i == 1:
        out.append(('object', ask([wh] + front[:-1] + [main_syn] + words(seg) + lw), ans, True, k))
    return out


def form_amount(c, front, obj, after):
    """An object that is a number of things or a sum: "The company employs 300 workers in Texas."
    -> "How many workers does the company employ in Texas?" (300); "... paid $4,000 for the land"
    -> "How much did ... pay for the land?" ($4,000). None when the object is neither."""
    tags = [base_tag(t) for _, t in obj]
    if len(obj) >= 2 and tags[0] == 'cd' and realqa.is_number(obj[0][0], 'cd') and tags[-1] == 'nns' \
            and tags.count('cd') == 1 and all(x in ('cd', 'jj', 'nns', 'nn') for x in tags) and not obj[-1][0].endswith('.'):
        wh, ans = ['How', 'many'] + words(obj[1:]), obj[0][0]
        form = 'howmany'
    elif len(obj) == 1 and re.fullmatch(r'\$[0-9][0-9,.]*', obj[0][0]):
        wh, ans, form = ['How', 'much'], obj[0][0], 'howmuch'
    else:
        return None
    seg = after_object(after)
    lw = lead_words(c, seg) if seg is not None else None
    if lw is None:
        return []
    return [(form, ask(wh + front + words(seg) + lw), ans, False, 'number')]


def form_participle(toks, lex):
    """Participles after a noun phrase, with their prepositional phrases: "... the mill built by
    John Ward in 1887 ..." -> "What was built by John Ward in 1887?" (the mill); "... a man
    standing at the door." -> "Who was standing at the door?" (a man). `was` when the sentence is
    in the past, else `is`."""
    tags = [base_tag(t) for _, t in toks]
    if any(t in ('``', "''", '(', ')') or '+' in t or t.endswith('-hl') or t.startswith('fw') for t in tags) or toks[-1][0] != '.':
        return []
    be = 'was' if any(t.rstrip('*') in ('vbd', 'bedz', 'bed', 'hvd', 'dod') for t in tags) else 'is'
    out = []
    for i, (w, t) in enumerate(toks):
        if tags[i] not in ('vbn', 'vbg') or i < 2 or tags[i - 1] not in ('nn', 'nns', 'np', 'nps') or i + 2 >= len(toks) \
                or w.lower() in ('come', 'gone', 'become', 'been', 'fallen', 'risen', 'arrived', 'according'):
            continue  # ("the bar come lightly into contact": not a passive)
        end = next(x for x in range(i + 1, len(toks)) if toks[x][0] in (',', ';', ':', '--', '.')
                   or tags[x] in ('cc', 'cs', 'wdt', 'wps', 'wrb') or tags[x].rstrip('*') in FINITE - {'vb'})
        seg = toks[i:end]
        if len(seg) < 3 or tags[i + 1] not in ('in', 'rp', 'rb') or toks[i + 1][0] in ('of', 'than', 'as', 'to') \
                or not all(x in PP_TAGS | {'rp'} for x in tags[i + 1:end]) or tags[end - 1] not in ('nn', 'nns', 'np', 'nps', 'cd', 'nr', 'rb') \
                or (end < len(toks) and tags[end] == 'cc' and toks[end - 1][0] != ','):
            continue
        ant = antecedent(toks, i - 1)
        if ant is None:
            continue
        start = i - len(ant)
        if end < len(toks) and tags[end].rstrip('*') in FINITE and not (start == 0 or toks[start - 1][0] == ','):
            continue  # "... his face set in the same look Juanita wore": the verb has a subject of its own
        head, kind = noun_phrase_kind(ant, lex)
        if kind is None or head[0].lower() in realqa.TIME_NOUNS:
            continue  # ("spending several weeks visiting in Florida")
        plural = base_tag(head[1]) in ('nns', 'nps')
        out.append(('participle', ask(['Who' if kind == 'person' else 'What', be] + words(seg)), detok(words(ant)), False,
                    item_kind(kind, head, plural)))
    return out


def form_relative(toks, lex):
    """Relative clauses about a noun phrase anywhere in the sentence: "... the mill, which was
    built in 1887, ..." -> "What was built in 1887?" (the mill); "... a man who knew the
    river." -> "Who knew the river?" (a man). The clause runs to a comma or the end."""
    tags = [t for _, t in toks]
    if any(t in ('``', "''", '(', ')') or '+' in t or t.endswith('-hl') or t.startswith('fw') for t in tags) or toks[-1][0] != '.':
        return []
    out = []
    for i, (w, t) in enumerate(toks):
        if w.lower() not in ('who', 'which', 'that') or base_tag(t) not in ('wps', 'wdt') or i < 2:
            continue
        ant = antecedent(toks, i - 1 if toks[i - 1][0] != ',' else i - 2)
        if ant is None:
            continue
        v = finite_at(toks, i + 1)
        if v is None:
            continue  # "which he built": not about the noun phrase as a subject
        end = next((x for x in range(v, len(toks)) if toks[x][0] in (',', ';', ':', '--', '.')), len(toks))
        seg = cut_clause(toks[v:end])
        if not seg or len(seg) < 2 or len(seg) > 25 or any(x in ('than', 'as') or base_tag(y) in ('wps', 'wdt') for x, y in seg):
            continue
        if any(base_tag(t).rstrip('*') in FINITE - {'vb'} and base_tag(seg[x - 1][1]) not in ('cs', 'wps', 'wdt', 'pps', 'ppss', 'md', 'rb', '*')
               for x, (_, t) in enumerate(seg) if x > 0):
            continue  # "the man who built the mill died": where the relative clause ends, unknown
        head, kind = noun_phrase_kind(ant, lex)
        plural = base_tag(head[1]) in ('nns', 'nps')
        if w.lower() in ('who', 'which'):
            kind = kind or ('person' if w.lower() == 'who' else 'thing')
            if kind != ('person' if w.lower() == 'who' else 'thing'):
                continue  # "the child in school who ...": the clause is about another noun
        if kind is None:
            continue
        seg = list(seg)
        vw, vt = seg[0]
        if vw.lower() in SINGULAR_OF:
            seg[0] = (SINGULAR_OF[vw.lower()], vt)
        elif base_tag(vt) == 'vb':
            s3 = lex.third_person(vw)
            if not s3:
                continue
            seg[0] = (s3, 'vbz')
        if not plural and (vw.lower() in SINGULAR_OF or base_tag(vt) == 'vb'):
            continue  # the verb agrees with another noun than the one found
        last = [base_tag(t) for _, t in seg]
        if last[-1] in ('at', 'in', 'jj', 'cc', 'cs', 'pp$', 'to') or ('be' in last[:1] or last[0] in realqa.BE) and len(seg) > 1 \
                and last[1] in ('at', 'nn', 'nns', 'np', 'cd', 'pp$', 'abn', 'ap') and kind != 'person':
            continue  # cut mid-phrase, or "which is a city" ("What is a city?")
        wh = 'Who' if kind == 'person' else 'What'
        out.append(('relative', ask([wh] + words(seg)), detok(words(ant)), False, item_kind(kind, head, plural)))
    return out


def aux_front(c, rules):
    """(words after the wh-word: auxiliary + subject + the rest of the verb group, index past
    the verb group in c.rest) for any verb group, or None ("When was the mill built ...")."""
    r, subj = c.rest, lowered(c.subj)
    w0, t0 = r[0][0], base_tag(r[0][1])
    if t0 in ('vbd', 'vbz'):
        f = verb_front(c, rules, objects=False)
        return f[:2] if f else None
    if t0 not in realqa.BE | realqa.HV | realqa.DO | {'md'}:
        return None
    i = 1
    while i < len(r) and base_tag(r[i][1]) in ('be', 'ben', 'hv', 'hvn', 'vb', 'vbn', 'vbg', 'rp'):
        i += 1
    if t0 in realqa.HV and i == 1 or (t0 in realqa.DO | {'md'} and i == 1):
        return None  # "had a car": do-support, done by verb_front
    return [w0.lower()] + subj + words(r[1:i]), i


def simple_rest(toks):
    """The objects, prepositional phrases and adverbs of a rest up to a clean break (as
    after_object), or None."""
    for j, (w, t) in enumerate(toks):
        bt = base_tag(t)
        nxt = base_tag(toks[j + 1][1]) if j + 1 < len(toks) else ''
        if w == ',' and (nxt in ('cs', 'wrb', 'wdt') or (nxt == 'cc' and j + 2 < len(toks) and base_tag(toks[j + 2][1]) in ('pps', 'ppss', 'at', 'np'))):
            return toks[:j]
        if bt in ('cs', 'wrb') and j > 0:
            return toks[:j]
        if bt not in PP_TAGS | {'rp', 'ql'} or w in ('than', 'as'):
            return None
    return toks


def form_pp(c, rules, lex):
    """A year, a date, a place or a duration in the rest, asked with the rest of the clause:
    "The mill was built by John Ward in 1887." -> "When was the mill built by John Ward?"."""
    if c.neg or c.adv or c.kind is None:
        return []
    f = aux_front(c, rules)
    if f is None:
        return []
    front, i = f
    rest = simple_rest(c.rest[i:])
    if rest is None or not rest:
        return []
    out = []
    if c.lead and base_tag(c.lead[0][1]) == 'in' and np_span(c.lead, 1) == len(c.lead):
        out += pp_questions(c.lead[0][0].lower(), c.lead[1:], front, words(rest), True, lex)
    ranged = any(w in ('from', 'to', 'between') for w, _ in rest)
    for p, (w, t) in enumerate(rest):
        if base_tag(t) != 'in':
            continue
        # a phrase right after the verb group (or an adverb) is about the verb; one after a noun
        # may be about the noun ("the first Sunday in November"): only years are taken there
        prev = base_tag(rest[p - 1][1]) if p else ''
        at_verb = p == 0 or prev in ('rb', 'rp') and rest[p - 1][0] not in ('early', 'late', 'later', 'earlier')
        if prev in ('vbn', 'vbg', 'jj', 'ql') or rest[p - 1][0] in ('early', 'late', 'mid') or ranged:
            continue
        e = np_span(rest, p + 1)
        if e == p + 1 or (e < len(rest) and base_tag(rest[e][1]) not in ('in', 'rb')) or rest[e - 1][0] == ',':
            continue
        ph = rest[p + 1:e]
        wo = rest[:p] + rest[e:]
        if wo and base_tag(wo[-1][1]) in ('in', 'at', 'cc', 'jj', 'ap'):
            continue
        lw = lead_words(c, wo)
        if lw is None:
            continue
        out += pp_questions(w, ph, front, words(wo) + lw, at_verb, lex)
    return out


def pp_questions(prep, ph, front, tail, at_verb, lex):
    """The when/year/where/duration question of one prepositional phrase (prep + ph)."""
    pw, pt = words(ph), [base_tag(x) for _, x in ph]
    if prep in ('in', 'during') and len(ph) == 1 and realqa.is_year(pw[0]):
        return [('when', ask(['When'] + front + tail), pw[0], False, 'year'),
                ('year', ask(['In', 'what', 'year'] + front + tail), pw[0], False, 'year')]
    if not at_verb:
        return []
    if prep in ('on', 'in') and pw[0] in realqa.MONTHS and all(x in ('np', 'cd') for x in pt) and len(ph) <= 2:
        return [('when', ask(['When'] + front + tail), detok(pw), False, 'date')]
    if prep in ('in', 'at') and all(x == 'np' for x in pt) and lex.name_kind(pw) == 'thing' and len(ph) <= 3:
        return [('where', ask(['Where'] + front + tail), detok(pw), False, 'place')]
    if prep == 'for' and len(ph) == 2 and pt[0] == 'cd' and realqa.is_number(pw[0], 'cd') and pw[1] in realqa.DURATION:
        return [('duration', ask(['How', 'long'] + front + tail), detok(pw), False, 'number')]
    return []


class Forms:
    """All training-only questions of a sentence (`questions`), counting rejections by reason."""

    def __init__(self, tagged_lines, base_counts=None):
        base_counts = base_counts if base_counts is not None else realqa.base_verb_counts(tagged_lines)
        self.rules = realqa.Rules(base_counts)
        self.lex = Lexicon(tagged_lines)
        self.rejected = collections.Counter()

    def questions(self, toks):
        rel = form_relative(toks, self.lex) + form_participle(toks, self.lex) if not any(w == 'Af' for w, _ in toks) else []
        for j in range(2, len(toks) - 4):
            # a second main clause (", and the men were hungry.", "; the men were hungry."): its
            # own subject, verb and rest, asked like a sentence of its own
            if (toks[j][0] == ';' or (toks[j - 1][0] == ',' and base_tag(toks[j][1]) == 'cc')) and starts_clause(toks, j + 1) \
                    and main_clause_before(toks, j):
                c2 = clause(toks[j + 1:], self.lex)
                if not isinstance(c2, str):
                    rel += self.clause_questions(c2, toks[j + 1:], second=True)
        rel += self.embedded(toks)
        c = clause(toks, self.lex)
        if isinstance(c, str):
            self.rejected[c] += 1
            return rel
        if c.kind is None:
            self.rejected['subject neither person nor thing (unknown word)'] += 1
        out = self.clause_questions(c, toks)
        if not out:
            self.rejected['parsed, no form applies'] += 1
        return out + rel

    def embedded(self, toks):
        """Subject questions about a clause inside the sentence ("He said that the committee
        approved the plan." -> "Who approved the plan?"; "..., because the rain flooded the
        field." -> "What flooded the field?"), the clause up to its comma or the end. Not after
        if/unless/whether/though: what such a clause says did not happen."""
        out = []
        if any(w == 'Af' or t in ('``', "''") for w, t in toks) or toks[-1][0] != '.':
            return out
        for i in range(1, len(toks) - 4):
            w, t = toks[i]
            if w.lower() in ('when', 'where') and not (toks[i - 1][0] == ',' or base_tag(toks[i - 1][1]) in ('nn', 'nns', 'np', 'nr')):
                continue  # "asked it where the colors could come from": a question, not a statement
            if w.lower() not in EMBEDDING or base_tag(t) not in ('cs', 'wrb') or not starts_clause(toks, i + 1) \
                    or base_tag(toks[i + 1][1]) in ('pps', 'ppss', 'ex', 'pn') or toks[i + 1][0].lower() in PRONOUN_WORDS:
                continue
            end = next((x for x in range(i + 1, len(toks)) if toks[x][0] in (',', ';', ':', '--', '.')), len(toks) - 1)
            c = clause(toks[i + 1:end] + [('.', '.')], self.lex)
            if isinstance(c, str) or c.lead or any(
                    base_tag(t).rstrip('*') in FINITE - {'vb'} and base_tag(c.rest[x - 1][1]) not in ('cs', 'wps', 'wdt', 'wrb', 'pps', 'ppss')
                    for x, (_, t) in enumerate(c.rest) if x > 0):
                continue  # a second verb: "when X reported ... the only steed he had ridden was ...", "where the door
                # stood ajar and climbed ...": where the clause ends, unclear
            out += [q for q in form_subject(c, self.lex) + form_which(c) if not q[3] or q[1].startswith(('Which', 'What'))]
        return out

    def clause_questions(self, c, toks, second=False):
        if any(w == 'Af' for w, _ in toks):
            return []  # the corpus' stand-in for a formula: nothing to ask about
        out = form_subject(c, self.lex) + form_which(c) + form_howmany(c) + form_whatis(c) + form_object(c, self.rules, self.lex) \
            + form_pp(c, self.rules, self.lex)
        if (c.lead and c.move != 'move') or second:
            # realqa.py's forms on the clause without its lead ("When ..., " / "However, ")
            stripped = c.subj + c.adv + c.rest + [toks[-1]]
            out += [(f, q, a, syn, '') for f, q, a, syn in self.rules.questions(stripped)]
        return out


REPEATED = re.compile(r'\b(?!had\b|that\b)(\w+) \1\b')


def extract(tagged_lines):
    """realqa.extract with the training-only forms: (paragraphs, items, rejections by reason)."""
    forms = Forms(tagged_lines)
    paras, items = realqa.extract(tagged_lines, more=forms.questions)
    seen, out = set(), []
    for it in items:
        q = it.question
        if REPEATED.search(q.lower()) or (it.form == 'agent' and q.startswith('What')) \
                or q.count('"') % 2 or q.count('(') != q.count(')') or re.findall(r"[\w']+", q)[-1].lower() in DANGLING:
            continue  # "rubbed rubbed"; "What computed the moments?" (by numerical integration: an instrument); a quote cut
        if (it.sentence, it.question) not in seen:
            seen.add((it.sentence, it.question))
            out.append(it)
    return paras, out, forms.rejected


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), '.train', 'corpus'))
    ap.add_argument('--stats', action='store_true')
    ap.add_argument('--show', type=int, default=0)
    ap.add_argument('--form', default=None)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    lines = open(os.path.join(a.data, 'brown-train.tagged.txt'), encoding='utf8').read().splitlines()
    paras, items, rejected = extract(lines)
    if a.stats:
        n = sum(len(realqa.sentences_of(parse_tagged(x))) for x in lines)
        by = collections.Counter((it.form, it.syn) for it in items)
        print(f'{len(items)} distinct (sentence, question) items from {len({it.sentence for it in items})} of {n} sentences')
        for f in sorted({f for f, _ in by}, key=lambda f: -by[(f, False)] - by[(f, True)]):
            print(f'  {f:10s} {by[(f, False)]:6d} + {by[(f, True)]:5d} paraphrased')
        print('sentences not parsed by the training clause rules, by reason:')
        for r, k in rejected.most_common():
            print(f'  {k:6d} {100 * k / n:5.1f}%  {r}')
    rnd = random.Random(a.seed)
    pool = [it for it in items if a.form is None or it.form == a.form]
    for it in rnd.sample(pool, min(a.show, len(pool))):
        print(f'[{it.form}{"+syn" if it.syn else ""}] {it.question}  ->  {it.answer}\n      {it.sentence}')


if __name__ == '__main__':
    main()
