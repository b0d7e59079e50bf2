"""Word and tag level of realqa (issue 9): reading Brown `word/tag` lines and turning words back
into document text (`detok`, the same text prepare-corpus.ts writes), the verb tables and the
lemmatiser, the synonym tables (with `swap_one`, realqa_train.py's one-word paraphrase), the tag and
word sets the question rules test against, and the small helpers shared by realqa.py's rules and
realqa_train.py / realqa_clause.py's training forms (`base_tag`, `np_span`, `ask`, `Item`, ...).
Kept apart from the rules (realqa.py) so that each file stays short; realqa.py re-exports every
name here, so `realqa.X` keeps working for callers.
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


# ---- one-word synonym swap (realqa_train.py's paraphrased questions)
VERB_BY_FORM = {}
for _base, _forms in VERB_FORMS.items():
    for _k, _f in enumerate(_forms):
        VERB_BY_FORM.setdefault(_f, (_base, _k))
VBN_SWAP = {'build', 'construct', 'establish', 'complete', 'finish', 'select', 'choose', 'examine', 'inspect', 'hire',
            'employ', 'purchase', 'buy', 'start', 'begin', 'discuss', 'reject', 'acquire', 'obtain', 'announce'}
NO_SWAP = {'suggest', 'propose', 'get', 'receive'}  # "suggests that" = indicates; "get" is too loose


def swap_one(toks):
    """The tokens with one word swapped for its synonym (NOUN_SYN / VERB_SYN), or None."""
    for i, (w, t) in enumerate(toks):
        bt, lw = base_tag(t), w.lower()
        if t.endswith('-tl') or bt.startswith('np'):
            continue
        if bt in ('nn', 'nns', 'jj') and lw in NOUN_SYN:
            new = NOUN_SYN[lw]
        elif bt in ('vb', 'vbd', 'vbn', 'vbz') and lw in VERB_BY_FORM and VERB_BY_FORM[lw][0] in VERB_SYN \
                and VERB_BY_FORM[lw][0] not in NO_SWAP:
            base, k = VERB_BY_FORM[lw]
            if bt == 'vbn' and base not in VBN_SWAP or (i + 1 < len(toks) and base_tag(toks[i + 1][1]) == 'rp'):
                continue
            new = VERB_FORMS[VERB_SYN[base]][k]
        else:
            continue
        new = new[0].upper() + new[1:] if w[0].isupper() else new
        return toks[:i] + [(new, t)] + toks[i + 1:]
    return None
