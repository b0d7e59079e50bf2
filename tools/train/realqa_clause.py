"""Sentence analysis for realqa_train.py's training-only questions (issue 9): what the Brown
tags say about a sentence beyond realqa.py's strict rules.

`clause(tagged sentence, lexicon)` splits `[LEAD,] SUBJECT [ADVERBS] FINITE-VERB REST.` into a
Clause, or returns the reason it cannot (a short string, counted by `realqa_train.py --stats`):

- LEAD: "And"/"But", an adverb, a prepositional phrase or a subordinate clause ending at a comma
  (`strip_lead`); Clause.move says whether a question may drop it or must carry it after itself;
- SUBJECT: a noun phrase without pronouns (realqa.np_span), with `of`-phrases, up to two
  prepositional phrases or `A and B`, and an inserted ", who ...," / ", a compromise," skipped;
- REST: everything after the subject as written, cut before a coordinated clause with its own
  subject (`cut_clause`: "..., and the men were hungry"), never inside a subordinate clause.

Lexicon: who/what for a noun from the corpus itself (common nouns seen before "who" or a
speech verb vs before "which"; names after a title or before "said" vs after in/at/from).
`antecedent` / `noun_phrase_kind`: the noun phrase a relative clause or participle is about, and
whether it is a person or a thing (for realqa_train.py's relative and participle forms).
Extend: a new lead or subject shape goes into `strip_lead` / `subject_end`, with its reason.
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realqa  # noqa: E402
from realqa import base_tag, parse_tagged, np_span, PRONOUN_WORDS  # noqa: E402

FINITE = {'md', 'bez', 'bedz', 'bed', 'ber', 'bem', 'hv', 'hvz', 'hvd', 'do', 'doz', 'dod', 'vbd', 'vbz', 'vb'}
LEAD_MOVE_CS = {'When', 'After', 'Before', 'Until', 'Once', 'If', 'Unless', 'Because', 'Since', 'While', 'As'}
LEAD_DROP_CS = {'When', 'After', 'Before', 'Although', 'Though', 'While', 'Once', 'Because', 'Since', 'As', 'Whereas'}
LEAD_PREPS = {'In', 'On', 'During', 'At', 'Since', 'By', 'After', 'Before', 'For', 'With', 'Under', 'From', 'Until',
              'Throughout', 'Within', 'Among', 'Despite', 'Without', 'Through', 'Over', 'Near', 'Across', 'Along'}
MOVE_ADVERBS = {'Today', 'Yesterday', 'Tomorrow', 'Tonight', 'Later', 'Recently', 'Earlier', 'Afterward', 'Afterwards'}
SUBJ_PREPS = {'in', 'on', 'at', 'from', 'for', 'with', 'near', 'of', 'about', 'under', 'between', 'among', 'to', 'by',
              'over', 'without', 'within', 'around', 'behind'}
TITLES = {'Mr.', 'Mrs.', 'Miss', 'Dr.', 'Gov.', 'Sen.', 'Rep.', 'Gen.', 'Col.', 'Capt.', 'Lt.', 'Prof.', 'Rev.', 'Sgt.',
          'Maj.', 'Ms.', 'Judge', 'President', 'Mayor', 'Senator', 'Governor', 'Father', 'Mother', 'Sister', 'Brother',
          'Uncle', 'Aunt', 'Lord', 'Lady', 'Sir', 'King', 'Queen', 'Prince', 'Princess', 'Pope', 'Bishop', 'Coach'}
ORG_NOUNS = {'university', 'association', 'society', 'club', 'bureau', 'union',
             'institute', 'foundation', 'corporation', 'company', 'committee', 'council', 'board', 'commission',
             'department', 'administration', 'senate', 'legislature', 'congress', 'court', 'jury', 'team',
             'government', 'agency', 'police', 'army', 'navy', 'firm', 'staff', 'group', 'family', 'crew',
             'audience', 'public', 'majority', 'minority', 'league', 'assembly', 'cabinet'}
# people the corpus rarely marks (no "who" after them, no speech verb): checked before the counts
PERSON_NOUNS = set("""colonel corps posse pilot pa ma mama papa grandma grandpa guerrilla troops crowd soldier general
sheriff marshal captain lieutenant sergeant cowboy girl boy baby child wife husband mother father sister brother son
daughter uncle aunt friend enemy guest patient victim nurse doctor lawyer priest king queen prince lady gentleman nobody
everybody proponent opponent critic expert citizen resident native youth adult parent couple partner colleague delegate
official spokesman representative clerk guard cop detective agent spy thief killer prisoner slave servant maid cook
farmer worker employee pupil scholar artist poet novelist writer player fan rider driver hunter buyer seller customer
client tenant landlord neighbor stranger visitor tourist passenger sailor officer commander chief dean professor
scientist physicist chemist engineer mechanic carpenter senator congressman legislator voter taxpayer consumer reader
viewer listener lecturer teacher graduate boss superintendent supervisor foreman inspector investigator prosecutor
attorney defendant plaintiff witness juror bride groom widow orphan infant kid lad fellow guy man woman person
individual hero heroine villain actor actress dancer singer musician pianist violinist critic reporter journalist
correspondent publisher historian philosopher theologian preacher rabbi bishop monk nun saint god lord master mistress
settler pioneer immigrant refugee negro athlete co. inc. corp.""".split())
IRREGULAR_PLURAL = {'men': 'man', 'women': 'woman', 'children': 'child', 'people': 'person', 'feet': 'foot',
                    'teeth': 'tooth', 'mice': 'mouse', 'geese': 'goose', 'wives': 'wife', 'lives': 'life'}
SPEECH_VERBS = {'said', 'says', 'told', 'asked', 'replied', 'added', 'explained', 'declared', 'announced', 'thought',
                'knew', 'smiled', 'nodded', 'laughed', 'whispered', 'shouted', 'insisted', 'agreed', 'argued', 'decided',
                'wanted', 'believed', 'hoped', 'admitted', 'urged', 'testified', 'recalled', 'complained', 'cried'}
COPULAR = {'remains', 'remained', 'seems', 'seemed', 'appears', 'appeared', 'grew', 'became', 'becomes', 'is', 'was'}
HUMAN_VERBS = {'told', 'asked', 'replied', 'thought', 'knew', 'smiled', 'nodded', 'laughed', 'whispered', 'shouted',
               'insisted', 'agreed', 'decided', 'wanted', 'believed', 'hoped', 'admitted', 'cried', 'grinned'}
SINGULAR_OF = {'are': 'is', 'were': 'was', 'have': 'has', 'do': 'does', "aren't": "isn't", "weren't": "wasn't",
               "haven't": "hasn't", "don't": "doesn't"}


def singular(w):
    w = w.lower()
    if w in IRREGULAR_PLURAL:
        return IRREGULAR_PLURAL[w]
    if w.endswith('ies') and len(w) > 4:
        return w[:-3] + 'y'
    if re.search(r'(ss|sh|ch|x)es$', w):
        return w[:-2]
    return w[:-1] if w.endswith('s') and not w.endswith('ss') else w


class Lexicon:
    """What the corpus says about its words: common nouns seen before `who` (people) or `which`
    (things), proper nouns after a title / before a speech verb (people) or after in/at/from
    (places), and the 3rd-person forms of verbs (for `What eats ...?`)."""

    def __init__(self, tagged_lines):
        self.who, self.which = collections.Counter(), collections.Counter()
        self.person, self.place = collections.Counter(), collections.Counter()
        self.vbz = set()
        for line in tagged_lines:
            toks = parse_tagged(line)
            n = len(toks)
            for i, (w, t) in enumerate(toks):
                bt = base_tag(t)
                nxt = toks[i + 1][0] if i + 1 < n else ''
                rel = (toks[i + 2][0] if nxt == ',' and i + 2 < n else nxt).lower()
                if bt in ('nn', 'nns') and w.isalpha():
                    if rel == 'who' or nxt in HUMAN_VERBS:
                        self.who[singular(w)] += 1
                    elif rel == 'which':
                        self.which[singular(w)] += 1
                elif bt == 'np' and w[:1].isupper():
                    prev = toks[i - 1][0] if i > 0 else ''
                    if rel == 'who' or prev in TITLES or nxt in SPEECH_VERBS or (nxt == ',' and rel == 'who'):
                        self.person[w] += 1
                    if prev in ('in', 'at', 'from', 'In', 'At', 'From') and t == 'np':
                        self.place[w] += 1
                elif t == 'vbz' and w.islower():
                    self.vbz.add(w)

    def noun_kind(self, w):
        """'person', 'thing' or None (no evidence either way) for a common noun."""
        s = singular(w)
        if w == 'house':
            return 'thing'  # the building; the House (of Representatives) is tagged as a title
        if s in ORG_NOUNS or s in PERSON_NOUNS or s in realqa.HUMAN_NOUNS or w.lower() in realqa.HUMAN_NOUNS:
            return 'person'
        a, b = self.who[s], self.which[s]
        if a >= 2 and a > 2 * b:
            return 'person'
        if b > a:
            return 'thing'
        if a > 0 or re.search(r'(man|men|ist|ists|ian|ians|er|ers|or|ors|ess|ee|ees)$', w.lower()):
            return None  # mixed evidence, or looks like a person noun the corpus says nothing about
        return 'thing'

    def name_kind(self, words):
        """'person', 'thing' or None for a proper-name phrase."""
        if words[0] in TITLES:
            return 'person'
        p = sum(self.person[w] for w in words)
        q = sum(self.place[w] for w in words)
        if p > q:
            return 'person'
        if q >= 2 and p == 0:
            return 'thing'
        return None

    def third_person(self, w):
        """`eat` -> `eats` when the corpus has that form as vbz, else None."""
        w = w.lower()
        cands = [w + 's', w + 'es'] + ([w[:-1] + 'ies'] if w.endswith('y') else [])
        return next((c for c in cands if c in self.vbz), None)


# ---- the clause: [LEAD,] SUBJECT [ADVERBS] FINITE-VERB REST.
class Clause:
    __slots__ = ('lead', 'move', 'subj', 'adv', 'rest', 'plural', 'kind', 'neg', 'head')

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


DROP_ADVERBS = {'Then', 'Now', 'Still', 'Soon', 'Also', 'Thus', 'Therefore', 'However', 'Moreover', 'Meanwhile',
                'Indeed', 'Perhaps', 'Certainly', 'Finally', 'Later', 'Instead', 'Nevertheless', 'Furthermore',
                'Consequently', 'Hence', 'Otherwise', 'Usually', 'Generally', 'Often', 'Sometimes', 'Suddenly'}


def simple(toks):
    """A rest the moved lead can follow: short and without a clause break."""
    return len(toks) <= 12 and not any(w in (',', ';', ':', '--') or base_tag(t) in ('cs', 'wdt', 'wps', 'wrb')
                                       for w, t in toks)


def strip_lead(body):
    """(lead tokens, how, body after the lead) or a rejection reason. how: 'move' (the lead
    goes after the question; "If ..." cannot be dropped), 'drop', 'move-or-drop' (moved after a
    simple rest, else dropped), '' (no lead)."""
    w0, t0 = body[0]
    b0 = base_tag(t0)
    if b0 == 'cc' and w0 in ('And', 'But', 'Yet', 'So'):
        body = body[1:]
        if not body:
            return 'short'
        w0, t0 = body[0]
        b0 = base_tag(t0)
    if b0 == 'rb' and len(body) > 2 and body[1][0] == ',':
        return (body[:1], 'move-or-drop' if w0 in MOVE_ADVERBS else 'drop', body[2:])
    if b0 == 'rb' and w0 in DROP_ADVERBS | MOVE_ADVERBS:
        return (body[:1], 'move-or-drop' if w0 in MOVE_ADVERBS else 'drop', body[1:])
    if b0 == 'wrb' and w0 == 'When':
        b0 = 'cs'
    if (b0 == 'in' and w0 in LEAD_PREPS) or (b0 == 'cs' and w0 in LEAD_MOVE_CS | LEAD_DROP_CS):
        for k in range(2, min(len(body) - 2, 22)):
            if body[k][0] != ',':
                continue
            lead = body[:k]
            if any(w in ('``', "''", '(', ')', ';', ':', '--') for w, _ in lead):
                return 'leading phrase'
            if base_tag(lead[-1][1]) in ('at', 'jj', 'ap', 'dt', 'pp$', 'abn', 'cc', 'in', 'cs'):
                continue  # "..., the slender, sun-tanned Chief Executive": the comma is inside the subject
            if b0 == 'in' and any(base_tag(t) in FINITE | {'pps', 'ppss', 'wdt', 'wps', 'cs'} for _, t in lead):
                return 'leading phrase'
            e = np_span(body, k + 1)
            if e > k + 1:
                if b0 == 'in' or w0 in LEAD_MOVE_CS & LEAD_DROP_CS:
                    how = 'move-or-drop'
                else:
                    how = 'move' if w0 in LEAD_MOVE_CS else 'drop'
                if ',' in [x for x, _ in lead]:
                    # "Before the airplanes came, he said, ...": not moved whole
                    if how == 'move':
                        return 'leading phrase'
                    how = 'drop'
                return (lead, how, body[k + 1:])
            if b0 == 'in':
                break
        if b0 == 'in':
            return lead_without_comma(body)
        return 'leading phrase'
    if b0 in ('vbg', 'vbn'):
        return 'leading participle'
    return ([], '', body)


def lead_without_comma(body):
    """"In 1887 the mill was built ...", "On Monday Mr. Smith said ...": a prepositional phrase
    that ends where a subject starts (an article, a name or a possessive after the phrase's
    noun) and a finite verb follows that subject; else the 'leading phrase' reason."""
    for k in range(2, min(len(body) - 2, 10)):
        w, t = body[k]
        if base_tag(t) not in realqa.NP_TAGS and w != 'of':
            break
        if base_tag(t) == 'np' and body[k - 1][0][:1].isupper():
            continue  # "In 1959 President Eisenhower": the name goes on
        if base_tag(body[k - 1][1]) in ('nn', 'nns', 'np', 'cd', 'nr') and base_tag(t) in ('at', 'np', 'pp$') \
                and np_span(body[:k], 1) == k and any(finite_at(body, k + e) is not None for e, _ in subject_end(body[k:])):
            return (body[:k], 'move-or-drop', body[k:])
    return 'leading phrase'


def np_sane(toks):
    """No article after a head noun ("The next day the man ..."), no pronoun, no quote."""
    seen_head = False
    for w, t in toks:
        bt = base_tag(t)
        if w == 'of' or bt == 'in' or w == 'and':
            seen_head = False
        elif bt in ('at', 'dt', 'pp$', 'abn') and seen_head:
            return False
        elif bt in realqa.HEAD_TAGS or bt == 'cd':
            if seen_head == 'time':
                return False  # "Every morning contingents of prisoners"
            seen_head = 'time' if w.lower() in realqa.TIME_NOUNS else True
        if w.lower() in PRONOUN_WORDS or bt in ('pps', 'ppss', 'ppo', 'ppl', 'pn') or w in ('``', "''"):
            return False
    return True


def finite_at(body, i):
    """Index of the finite verb at i after up to two adverbs, or None."""
    j = i
    while j < len(body) and j - i < 2 and base_tag(body[j][1]) in ('rb', 'ql') and body[j][1] != '*':
        j += 1
    if j < len(body) and base_tag(body[j][1]).rstrip('*') in FINITE and '+' not in body[j][1]:
        return j
    return None


def subject_end(body):
    """Ends of the subject candidates: the noun phrase, + up to two prepositional phrases, or
    + `and` noun phrase; the longest one followed by a finite verb wins."""
    e = np_span(body, 0, max_len=10)
    if e == 0:
        return []
    ends, coord = [(e, False)], False
    for _ in range(2):
        if e < len(body) and body[e][0] in SUBJ_PREPS and base_tag(body[e][1]) == 'in':
            e2 = np_span(body, e + 1, max_len=8)
            if e2 == e + 1:
                break
            e = e2
            ends.append((e, coord))
        elif e < len(body) and body[e][0] == 'and' and not coord:
            e2 = np_span(body, e + 1, max_len=6)
            if e2 == e + 1:
                break
            e, coord = e2, True
            ends.append((e, coord))
        else:
            break
    return ends[::-1]


def starts_clause(toks, i):
    """Whether a clause with its own subject starts at i ("... and liquid accumulates ...",
    "..., and in most cases, this requires ..."): adverbs, commas and a prepositional phrase
    skipped, then nominal words up to a finite verb. None when a relative clause makes it
    unclear."""
    for _ in range(4):
        while i < len(toks) and (base_tag(toks[i][1]) in ('rb', 'ql', 'qlp') or toks[i][0] == ','):
            i += 1
        if i < len(toks) and (base_tag(toks[i][1]) == 'in' or toks[i][0] == 'like'):
            # a prepositional phrase up to its comma ("in most cases, this requires ...") or its noun phrase
            comma = next((x for x in range(i + 1, min(len(toks), i + 8)) if toks[x][0] == ','), None)
            if comma and not any(base_tag(t).rstrip('*') in FINITE for _, t in toks[i + 1:comma]):
                i = comma
            elif np_span(toks, i + 1) > i + 1:
                i = np_span(toks, i + 1)
                if i < len(toks) and base_tag(toks[i][1]).rstrip('*') in FINITE - {'vb'}:
                    return True  # "on King's Bridge two boys sat": the phrase ran into the subject
        while i < len(toks) and base_tag(toks[i][1]) in ('vbg', 'vbn') and i + 1 < len(toks) and toks[i + 1][0] == ',':
            i += 1  # ", trembling, he closed ..."
    nominal = False
    for j in range(i, min(len(toks), i + 20)):
        w, t = toks[j]
        bt = base_tag(t)
        if bt.rstrip('*') in FINITE - {'vb'} or (bt == 'vb' and nominal):
            return nominal
        if bt in ('pps', 'ppss', 'ex', 'pn') or bt in realqa.HEAD_TAGS or bt == 'cd' or w.lower() in PRONOUN_WORDS:
            nominal = True
        elif bt in ('wps', 'wdt') and nominal:
            return None  # "and the men who had scoffed at the warnings laughed": a clause or a list item, unclear
        elif (bt in ('in', 'rb', 'ql') or w == ',' or (bt == 'ppo' and base_tag(toks[j - 1][1]) == 'in')) and nominal:
            continue  # "awards for the purchase of the cars are made ...", "some of them offer", "she always got"
        elif not (bt in ('at', 'jj', 'ap', 'dt', 'dti', 'dts', 'abn', 'pp$', 'nn$', 'nns$', 'np$', 'od', 'jjs', 'jjt', 'jjr')
                  or w == 'of' or (bt in ('vbn', 'vbg') and not nominal)):
            return False  # ("her pointed nails raked ...": a participle before the noun)
    return False


def cut_clause(rest):
    """The rest up to a coordinated clause with its own subject, a semicolon or a dash (the
    question keeps one clause: "What discolors the beef[ and liquid accumulates ...]?"), or None
    when that clause may belong to a subordinate one (which of the two, the tags do not say)."""
    sub = False
    for j, (w, t) in enumerate(rest):
        bt = base_tag(t)
        if w in (';', ':', '--'):
            if (sub and w != ';') or (j > 0 and base_tag(rest[j - 1][1])[:2] in ('vb', 'be', 'hv', 'do')):
                return None  # inside a subordinate clause, or "has said: ..." (the verb's object cut off)
            return rest[:j]
        if bt in ('cs', 'wrb', 'wdt', 'wps') and not (w in ('so', 'for') and rest[j - 1][0] == ','):
            sub = True
        nxt = rest[j + 1] if j + 1 < len(rest) else ('', '')
        comma_clause = w == ',' and (base_tag(nxt[1]) in ('pps', 'ppss', 'ex', 'at', 'np', 'nn', 'nns') or nxt[0].lower() in PRONOUN_WORDS
                                     or nxt[0] in ('so', 'for'))
        starts = starts_clause(rest, j + (2 if nxt[0] in ('so', 'for') else 1)) if j > 0 and (bt == 'cc' or comma_clause) else False
        if starts is None:
            return None
        if starts:
            if sub:
                return None
            kept = rest[:j - 1] if rest[j - 1][0] == ',' else rest[:j]
            if any(w == ',' and base_tag(kept[x + 1][1]) == 'cc' for x, (w, _) in enumerate(kept[:-1])):
                return None  # a ", and" left before the cut: where the clauses split, unclear
            return kept
    return rest


QUANTITY_NOUNS = {'hundreds', 'thousands', 'millions', 'dozens', 'number', 'lot', 'lots', 'couple', 'pair', 'group',
                  'majority', 'most', 'many', 'some', 'few', 'all', 'one', 'two', 'three', 'rest', 'half'}


def main_clause_before(toks, j):
    """Whether toks[:j] starts as a clause (after its lead): a subject, then a finite verb
    before j ("Two officers, a couple of men I knew, and two other men stood ...": no)."""
    lead = strip_lead(toks[:j])
    if isinstance(lead, str) or not lead[2]:
        return False
    body = lead[2]
    if base_tag(body[0][1]) in ('pps', 'ppss', 'ex') or body[0][0].lower() in PRONOUN_WORDS:
        v = finite_at(body, 1)
        return v is not None
    return any(finite_at(body, e) is not None for e, _ in subject_end(body))


def inserted(body, e):
    """"Mr. Smith, who is 60, said ..." / "The plan, a compromise, was ...": the finite verb
    after the comma that closes a phrase inserted after the subject, or None."""
    for k in range(e + 2, min(len(body) - 1, e + 16)):
        w, t = body[k]
        if w in (';', ':', '--', '``', '(') or (base_tag(t) == 'cc' and body[k - 1][0] == ','):
            return None
        if base_tag(t).rstrip('*') in FINITE and base_tag(body[e + 1][1]) not in ('wps', 'wdt'):
            return None  # "The whole thing, from the moment when they jumped ...,": where it ends, unclear
        if w == ',':
            v = finite_at(body, k + 1)
            return v if v is not None and base_tag(body[e + 1][1]) in ('wps', 'wdt', 'at', 'np', 'cd', 'jj', 'nn', 'ap', 'od', 'in', 'abn', 'pp$') else None
    return None


def head_of(subj):
    """The head noun of the subject's first noun phrase (before `of`, a preposition or `and`)."""
    head = None
    for w, t in subj:
        bt = base_tag(t)
        if w == 'of' and head and head[0].lower() in QUANTITY_NOUNS:
            head = None  # "hundreds of families": the head is "families"
            continue
        if w in ('of', 'and') or bt == 'in' or (bt in ('vbg', 'vbn') and head):
            if head:
                break  # ("schools granting degrees": the head is "schools")
            continue
        if bt in realqa.HEAD_TAGS or bt == 'cd':
            head = (w, t)
    return head


def antecedent(toks, j):
    """The noun phrase ending at toks[j] that a relative clause or participle after it is about,
    or None when that is unclear (after a preposition: "the treaty with Great Britain which ...";
    in a list; after a determiner the phrase left out)."""
    k = j
    while k >= 0 and base_tag(toks[k][1]) in realqa.NP_TAGS - {'vbn', 'vbg'} and toks[k][0].lower() not in PRONOUN_WORDS:
        k -= 1
    ant = toks[k + 1:j + 1]
    if not ant or np_span(toks, k + 1) != j + 1 or not np_sane(ant) or base_tag(ant[-1][1]) not in realqa.HEAD_TAGS \
            or base_tag(ant[0][1]) in ('nr', 'cd', 'od'):
        return None
    if k >= 0 and (base_tag(toks[k][1]) == 'in' or toks[k][0] in ('and', 'or', 'nor') or toks[k][0].lower() in PRONOUN_WORDS
                   or (k > 0 and toks[k][0] == ',' and base_tag(toks[k - 1][1]) == 'jj')):
        return None
    return ant


def noun_phrase_kind(ant, lex):
    head = head_of(ant)
    if base_tag(head[1]) == 'np':
        return head, lex.name_kind([x for x, t in ant if base_tag(t) == 'np'])
    return head, lex.noun_kind(head[0])


def clause(toks, lex):
    """A Clause, or the reason (a short string) the sentence is not used."""
    if len(toks) < 4:
        return 'short'
    if len(toks) > 60:
        return 'long'
    if toks[-1][0] != '.':
        return 'not a statement (? ! : or no end)'
    tags = [t for _, t in toks]
    if any(t.endswith('-hl') for t in tags):
        return 'headline'
    if any(t.startswith('fw') or t.endswith('-nc') for t in tags):
        return 'foreign or cited words'
    if any('+' in t for t in tags):
        return 'contraction'
    if toks[0][0] == '``' or tags.count('``') != tags.count("''") or tags.count('(') != tags.count(')'):
        return 'quotation'
    body = toks[:-1]
    lead = strip_lead(body)
    if isinstance(lead, str):
        return lead
    lead, move, body = lead
    if len(body) < 3:
        return 'short'
    w0, t0 = body[0]
    if base_tag(t0) in ('pps', 'ppss', 'ppo', 'pn', 'ex', 'ppl') or w0.lower() in PRONOUN_WORDS:
        return 'pronoun subject'
    if base_tag(t0) in ('wrb', 'wdt', 'wps', 'wpo', 'cs', 'cc', 'in', 'rb', 'to', 'vb', 'uh'):
        return 'no noun-phrase subject'
    ends = subject_end(body)
    if not ends:
        return 'no noun-phrase subject'
    for e, coord in ends:
        v = finite_at(body, e)
        if v is not None:
            break
    else:
        e, coord = ends[-1]
        if e < len(body) and body[e][0] == ',':
            v = inserted(body, e)
            if v is None:
                return 'apposition or relative clause after the subject'
        else:
            return 'no finite verb after the subject'
    subj, adv = body[:e], ([] if any(w == ',' for w, _ in body[e:v]) else body[e:v])
    while len(subj) > 1 and base_tag(subj[-1][1]) == 'nr' and base_tag(subj[-2][1]) != 'in':
        subj, adv = subj[:-1], subj[-1:] + adv  # "Thieves yesterday ransacked ...": the adverb is not the subject
    if not np_sane(subj) or len(subj) > 12:
        return 'run-on noun phrase'
    head = head_of(subj)
    if head is None:
        return 'no noun-phrase subject'
    plural = coord or base_tag(head[1]) in ('nns', 'nps') or (base_tag(head[1]) == 'cd' and head[0].lower() not in ('one', '1'))
    vt = base_tag(body[v][1]).rstrip('*')
    if vt == 'vb' and not plural:
        return 'no finite verb after the subject'
    rest = cut_clause(body[v:])
    if rest is None:
        return 'coordinated clauses after a subordinate one'
    rtags = [t for _, t in rest]
    if rtags.count('``') != rtags.count("''") or rtags.count('(') != rtags.count(')'):
        return 'quotation'  # cut inside a quotation or brackets
    if len(rest) < 2:
        return 'nothing after the verb'
    if len(rest) > 30:
        return 'long'
    if base_tag(head[1]) in ('np', 'nps'):
        names = [w for w, t in subj if base_tag(t) in ('np', 'nps')]
        kind = lex.name_kind(names) or ('person' if base_tag(head[1]) == 'nps' else None)
    elif base_tag(head[1]) == 'cd':
        kind = None
    else:
        kind = lex.noun_kind(head[0])
    neg = any('*' in t for _, t in rest)
    return Clause(lead=lead, move=move, subj=subj, adv=adv, rest=rest, plural=plural, kind=kind, neg=neg, head=head)
