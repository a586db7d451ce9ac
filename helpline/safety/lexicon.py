"""Deterministic crisis safety net: a curated lexicon, no model, no Rasa.

Missing a crisis is the worst failure this helpline can have, so this module
runs after the trained NLU (see ``helpline_rasa.crisis_detector``) and catches
crisis language whatever the classifier thought. It is plain regular
expressions so that it is fast, auditable and behaves the same in every model.

How a message is judged
  1. ``normalise``: lowercase, unicode quotes, contractions ("won't" ->
     "will not"), SMS shorthand ("kms", "od'd", "wanna") and common misspellings
     are folded to one spelling, so the patterns only need to know one form.
  2. Idioms ("this wait is killing me", "dying to know", "to die for",
     "overdosed on chocolate") are masked out before matching (``IDIOMS``).
  3. Every pattern in ``PATTERNS`` is matched clause by clause. A match is then
     *suppressed* if it is
       - negated: "I am not suicidal", "he doesn't hit me", "no seizures";
       - history: "I overdosed two years ago", with nothing in the clause saying
         it is happening now;
       - an information question: "what is the overdose risk of fentanyl",
         "does your program help people who had seizures in withdrawal".
     Suicide and self-harm are never treated as an information question:
     anyone asking about suicide gets the 988 answer, which is also what they
     would want if they were only asking.
  4. Safety first: a negation or history is only trusted when the message has
     nothing else that reopens it ("anymore", "again", "lately", "not really",
     "but ..." after a denial; see ``REOPENERS``). "I'm not suicidal anymore
     but..." is flagged; "I am not suicidal, just want info" is not.
  5. Of the matches left, the most severe wins ("immediate" before "urgent"),
     then the category order of ``CATEGORIES``.

Category conventions
  - Signs of an opioid-type overdose (not breathing, blue lips, won't wake up,
    unresponsive) are ``overdose`` even with no drug named: the overdose answer
    (911, naloxone, recovery position) is the right one for them here.
  - Pills already swallowed are ``overdose`` even if it was a suicide attempt:
    the emergency is the ingestion. Intent to do it later is suicide.
  - Intent or threats to hurt *other* people are ``violence_abuse``.

Limits
  A lexicon knows the constructions it was given. On fresh crisis sentences
  written after the lexicon and never seen by it, first-run recall was 16/24,
  15/25 and 7/20 (oblique wording: "my dad's on the kitchen floor and won't
  answer me"). It is a floor under the trained ``crisis`` intent, not a
  replacement for it; keep adding real misses to tests/safety/crisis_positive.yml.

Nothing here logs or stores message text: ``CrisisMatch.matched`` and
``Finding.pattern`` carry the pattern name only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Pattern

__all__ = [
    "CATEGORIES",
    "SEVERITIES",
    "CrisisMatch",
    "CrisisPattern",
    "Finding",
    "PATTERNS",
    "analyse",
    "benign_reading",
    "detect_crisis",
    "normalise",
]

# Ties between equally severe matches go to the earlier category: suicide first
# because its answer (988 + "call 911 if you might act") also covers the rest.
CATEGORIES = ("suicide_self_harm", "overdose", "medical_emergency", "violence_abuse")
SEVERITIES = ("immediate", "urgent")
SUICIDE, OVERDOSE, MEDICAL, VIOLENCE = CATEGORIES
IMMEDIATE, URGENT = SEVERITIES


@dataclass(frozen=True)
class CrisisMatch:
    """The verdict for one message.

    ``matched`` is the name of the deciding pattern, never user text.
    ``categories`` lists every category that matched, ``category`` first.
    """

    category: str
    severity: str
    matched: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrisisPattern:
    name: str
    category: str
    severity: str
    regex: Pattern[str]
    # The pattern's own wording contains a negator ("not breathing", "better
    # off without me", "don't want to live"): only a negator *before* the match
    # cancels it, never one inside it.
    own_negation: bool = False
    # A bare mention of the topic ("narcan", "domestic violence", "seizure"):
    # ignored in any question or generic clause, even a first-person one.
    topic: bool = False
    # Extra context the whole message must contain (e.g. withdrawal for
    # "seeing things").
    requires: Optional[Pattern[str]] = None


@dataclass(frozen=True)
class Finding:
    """One pattern hit, and why it was set aside (``None`` = it counts)."""

    pattern: str
    category: str
    severity: str
    suppressed_by: Optional[str]  # "negation" | "history" | "question" | None


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
})

_LAUGHTER_EMOJI = re.compile("[\U0001F602\U0001F923\U0001F606\U0001F605\U0001F639]")

# "od" shorthand needs the dots and apostrophes that the later steps remove.
_OD_FORMS = (
    (re.compile(r"\bo\.d\.?'?e?d\b|\bod'e?d\b|\boded\b"), "overdosed"),
    (re.compile(r"\bo\.?d\.?['-]?ing\b|\bodding\b"), "overdosing"),
    (re.compile(r"\bo\.d\.?(?=[\s,!?;:]|$)|\bod\b"), "overdose"),
    (re.compile(r"\bods\b"), "overdoses"),
)

_CONTRACTIONS = (
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"\b(i|you|he|she|we|they|it)'d\b"), r"\1 would"),
    (re.compile(r"\b(he|she|it|that|there|who|what|where|someone|somebody|everyone|nobody)'s\b"), r"\1 is"),
    # "my dad's on the floor": a noun's "'s" before a state is "is", not a possessive.
    (re.compile(r"\b(\w+)'s (?=(?:on|in|not|been|going|gone|got|having|turning|passed|lying|laying|unconscious|"
                r"unresponsive|bleeding|breathing|seizing|blue|overdosing|trying|threatening|hitting|beating|"
                r"drunk|high|outside|still|barely|really|so|just|always|never|locked|shaking|throwing|"
                r"choking|collapsed|dead|dying)\b)"), r"\1 is "),
    (re.compile(r"\bcannot\b"), "can not"),
)

# Word-for-word replacements, applied after apostrophes are gone. Keys are
# regexes over whole words; the order matters only where noted.
_WORDS: tuple[tuple[str, str], ...] = (
    # apostrophe-less contractions typed on phones
    (r"im", "i am"), (r"ive", "i have"), (r"dont", "do not"), (r"doesnt", "does not"),
    (r"didnt", "did not"), (r"isnt", "is not"), (r"wasnt", "was not"), (r"arent", "are not"),
    (r"werent", "were not"), (r"cant", "can not"), (r"wont", "will not"), (r"wouldnt", "would not"),
    (r"couldnt", "could not"), (r"shouldnt", "should not"), (r"havent", "have not"),
    (r"hasnt", "has not"), (r"hadnt", "had not"), (r"aint", "is not"), (r"hes", "he is"),
    (r"shes", "she is"), (r"theyre", "they are"), (r"youre", "you are"), (r"thats", "that is"),
    (r"whats", "what is"), (r"ill(?= (?:kill|hurt|end|do it|shoot|jump|be|never|not))", "i will"),
    # "hell kill me": he'll, typed without the apostrophe, before a threat.
    (r"hell(?= (?:kill|hurt|shoot|stab|beat|find|come|end|do))", "he will"),
    (r"shell(?= (?:kill|hurt|shoot|stab|beat|find|come|end|do))", "she will"),
    (r"tonights", "tonight is"), (r"todays(?= the)", "today is"), (r"itd", "it would"),
    # SMS shorthand
    (r"kms", "kill myself"), (r"kys", "kill yourself"),
    (r"unalive", "kill"), (r"unaliving", "killing"), (r"unalived", "killed"),
    (r"sewer ?slide", "suicide"), (r"su[i1]c[i1]de", "suicide"),
    (r"wanna|wana|wnna", "want to"), (r"gonna|gunna|gona|finna", "going to"),
    (r"imma|ima", "i am going to"), (r"tryna", "trying to"), (r"gotta", "got to"),
    (r"kinda", "kind of"), (r"sorta", "sort of"), (r"u", "you"), (r"ur", "your"),
    (r"r", "are"), (r"pls|plz|plse", "please"), (r"rn", "right now"), (r"bf", "boyfriend"),
    (r"gf", "girlfriend"), (r"bff", "best friend"), (r"ppl", "people"),
    (r"bc|cuz|coz|cos", "because"), (r"idk", "i do not know"), (r"tho", "though"),
    (r"w/", "with"), (r"b4", "before"), (r"2nite|tonite|2night", "tonight"), (r"2day", "today"),
    (r"fr", "for real"), (r"ngl", "not going to lie"), (r"tbh", "to be honest"),
    (r"lmao+|lmfao+|lol+|(?:lo)+l|rofl|haha+(?:ha)*|hehe+|xd|jk", "lol"),
    (r"my self", "myself"), (r"him self", "himself"), (r"her self", "herself"),
    (r"your self", "yourself"), (r"them selves", "themselves"), (r"myslef|meself", "myself"),
    # misspellings of words the lexicon relies on
    (r"su[ic]+id(?:al|le|el)|suisidal|suacidal|suicdal|sucidal", "suicidal"),
    (r"sucide|suiside|suicde|sucicide|suiced", "suicide"),
    (r"over dose", "overdose"), (r"over dosed|overdossed|overdozed", "overdosed"),
    (r"over dosing|overdoseing|overdozing", "overdosing"),
    (r"s(?:ie|ei|e|ee)[sz]ure?s?|seziures?|ceasures?|seisures?|siezures?", "seizure"),
    (r"breething|breathng|breating|breatheing", "breathing"),
    (r"unresponsve|unresposive|unresponcive|unresponive", "unresponsive"),
    (r"unconcious|unconsious|unconscience|unconsience", "unconscious"),
    (r"hal+u[cs]+inat(?:ing|eing)", "hallucinating"),
    (r"withdrawl|withdrawls|withdrawals|withdrawel|widthdrawal|wd|wds", "withdrawal"),
    (r"narcon|narcn|narcam", "narcan"), (r"nalaxone|naloxon|nalloxone", "naloxone"),
    (r"fent|fetty|fentynal|fentanil|fentenyl|fentanyl", "fentanyl"),
    (r"xans|xannies|xanny|zanax|xanex", "xanax"), (r"percs|perks|percocets", "percocet"),
    (r"d\.?t\.?s|dt|dts", "dts"), (r"threatend|thretened|threatned", "threatened"),
    (r"strangeled|strangeld", "strangled"), (r"abussive|abusive", "abusive"),
)
_WORD_RULES = tuple((re.compile(rf"(?<![\w/])(?:{pattern})(?![\w/])"), repl) for pattern, repl in _WORDS)

# Digits used as letters inside words ("k1ll", "su1cide"); numbers stay numbers.
_LEET = str.maketrans({"1": "i", "3": "e", "0": "o", "4": "a", "5": "s", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"\b(?=[a-z0-9@$]*[a-z])(?=[a-z0-9@$]*[0-9@$])[a-z0-9@$]+\b")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    # Strip accents ("suïcide") but keep the base letters.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _LAUGHTER_EMOJI.sub(" lol ", text.lower())
    for rule, repl in _OD_FORMS:
        text = rule.sub(repl, text)
    for rule, repl in _CONTRACTIONS:
        text = rule.sub(repl, text)
    text = text.replace("'", "").replace('"', " ")
    text = re.sub(r"[-_*~]+", " ", text)
    text = re.sub(r"[^\w\s.,!?;:/@$]", " ", text)
    return text


def _finish(text: str) -> str:
    # Twice, because one expansion can expose another ("im gonna" -> "i am
    # going to"); then once more after digits-as-letters ("k1ms" -> "kms").
    for _ in range(2):
        for rule, repl in _WORD_RULES:
            text = rule.sub(repl, text)
    text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
    for rule, repl in _WORD_RULES:
        text = rule.sub(repl, text)
    text = re.sub(r"\s*([.,!?;:]+)\s*", r" \1 ", text)
    return re.sub(r"\s+", " ", text).strip()


def normalise(text: str) -> str:
    """Fold a message to the one spelling the lexicon is written in.

    Repeated letters are squeezed to two ("killll" -> "kill"); see
    ``_variants`` for "dieeee".
    """
    text = _fold(text or "")
    text = re.sub(r"(.)\1{2,}", r"\1\1", text)
    return _finish(text)


def _variants(text: str) -> list[str]:
    """Spellings to check: ``normalise`` plus, for "dieeee"/"helppp", runs of
    three or more letters squeezed to one (doubling would leave "diee")."""
    first = normalise(text)
    folded = _fold(text or "")
    if not re.search(r"(.)\1{2,}", folded):
        return [first]
    second = _finish(re.sub(r"(.)\1{2,}", r"\1", folded))
    return [first] if second == first else [first, second]


# --------------------------------------------------------------------------------------
# Shared vocabulary
# --------------------------------------------------------------------------------------

_PERSON_NOUNS = (
    r"son|sons|daughter|daughters|kid|kids|child|children|baby|boy|girl|teen|teenager|"
    r"husband|wife|spouse|partner|boyfriend|girlfriend|fiance|fiancee|ex|brother|sister|"
    r"bro|sis|mom|mum|mother|mama|dad|father|papa|parent|parents|stepdad|stepfather|"
    r"stepmom|stepmother|stepson|stepdaughter|friend|friends|roommate|roomie|cousin|uncle|"
    r"aunt|nephew|niece|grandson|granddaughter|grandma|grandpa|grandmother|grandfather|"
    r"nan|neighbor|neighbour|coworker|buddy|mate|homie|guy|man|woman|lady|dude|person|"
    r"family|client|patient|sibling|twin|grandkid|grandchild|dealer|landlord|pimp|boss|manager|"
    r"teacher|doctor|nurse|counselor|therapist|sponsor|cop|cops|officer|police|stranger|driver|caregiver|carer|aide|"
    r"bitch|bastard|asshole|idiot|kids|guys|girls|people|toddler"
)
# A person as a grammatical subject: pronoun or "my (older) brother", "my mom's boyfriend".
_SUBJ = (
    rf"(?:he|she|they|(?:my|our|his|her|their|the|this|that|a|her|his) (?:\w+ ){{0,3}}?(?:{_PERSON_NOUNS})"
    r"|someone|somebody"
    # SMS drops the possessive: "boyfriend choked me again". Only relations:
    # "man", "dude", "guys" open a clause as interjections.
    r"|^(?:boyfriend|girlfriend|husband|wife|partner|fiance|ex|dad|father|stepdad|stepfather|mom|mother|"
    r"stepmom|brother|sister|son|daughter|roommate|dealer|uncle|cousin|pimp|landlord))"
)
_SELF = r"(?:myself|himself|herself|themselves|themself|yourself|ourselves)"
_OBJ = rf"(?:me|us|her|him|them|(?:my|our|the|his|her) (?:\w+ )?(?:{_PERSON_NOUNS}))"
_PILLS = (
    r"(?:pills?|tablets?|capsules?|caps|meds|medications?|bars|xanax|benzos?|klonopins?|"
    r"valiums?|ativans?|percocet|oxys?|oxycodone|oxycontin|vicodins?|norcos?|hydros?|"
    r"methadone|suboxone|subs|tylenol|advil|ibuprofen|aspirin|sleeping pills|antidepressants|"
    r"painkillers|pain pills|opioids?|fentanyl|heroin|seroquel|trazodone|ambien|gabapentin|lyrica|adderall|"
    r"lithium|zoloft|prozac|wellbutrin|lexapro|remeron|clonidine|insulin|benadryl)"
)
_USED = r"(?:took|taken|taking|swallowed|popped|ate|eaten|downed|used|did|snorted|shot|injected)"

_WITHDRAWAL_CONTEXT = re.compile(
    r"\b(?:withdrawal|withdrawing|detox|detoxing|detoxed|dts|quit|quitting|stopped|stopping|"
    r"coming off|came off|cold turkey|sober|days? (?:off|without|clean|sober|since|no)|day \d+|"
    r"no (?:alcohol|drink|drinks|drinking|booze)|(?:have|has|had) not (?:had a drink|drank|drunk|"
    r"been drinking|used)|not drinking|without (?:a )?drink\w*|off (?:the )?(?:booze|alcohol|drink|"
    r"drinking|benzos|xanax|pills|opiates|opioids)|off (?:my|his|her) (?:benzos|xanax|pills|meds|klonopin|valium|"
    r"ativan|methadone|suboxone|opiates|opioids)|last (?:drink|drank|used|use))\b"
)
_HEAD_OR_FEVER = re.compile(r"\b(?:head|fever|temperature|temp)\b")


def _rx(pattern: str) -> Pattern[str]:
    return re.compile(pattern)


def _p(name: str, category: str, severity: str, pattern: str, **kw: Any) -> CrisisPattern:
    return CrisisPattern(name, category, severity, _rx(pattern), **kw)


# --------------------------------------------------------------------------------------
# The lexicon. Each entry is a *general* construction; add real-world misses to
# tests/safety/crisis_positive.yml together with the pattern change.
# --------------------------------------------------------------------------------------

PATTERNS: tuple[CrisisPattern, ...] = (
    # --- suicide / self-harm ---------------------------------------------------------
    _p("kill_self", SUICIDE, URGENT,
       rf"\b(?:kill|killing|killed|kills|hang|hanging|hanged|shoot|shooting|shot|drown|drowning|"
       rf"poison|poisoning|cut|cutting|starve|starving|stab|stabbing|off|offing|end|ending|"
       rf"suffocate|suffocating|harm|harming|strangle|strangling|overdose|overdosing) {_SELF}\b"),
    _p("suicide_word", SUICIDE, URGENT, r"\bsuicid\w*"),
    _p("want_to_die", SUICIDE, URGENT,
       r"\b(?:want|wanted|wanting|wish|wishing|ready|going|plan|planning|deserve|hope|hoping|like|"
       r"rather|prefer|need|trying|tried) (?:to )?(?:just |simply )?(?:die|be dead|disappear forever|"
       r"stop existing|(?:go to |fall )?(?:sleep|asleep) forever|not be here|not exist|not be alive)\b",
       own_negation=True),
    _p("wish_dead", SUICIDE, URGENT,
       r"\bwish (?:i|he|she) (?:was|were|had) (?:dead|never been born|not born)\b"
       r"|\bwish (?:i|he|she) (?:could|would) (?:just )?(?:die|disappear|not wake up|never wake up)\b"
       r"|\bbetter off (?:dead|without me|if i (?:was|were) (?:dead|gone))\b"
       r"|\b(?:easier|better|happier) (?:for \w+ (?:\w+ )?)?if i (?:was|were|just|had) (?:dead|gone|died|not here|not around|never been born)\b",
       own_negation=True),
    _p("not_want_to_live", SUICIDE, URGENT,
       r"\bnot (?:\w+ ){0,3}?(?:want|wanna|wish) to (?:live|be alive|be here|exist|wake up|go on|"
       r"keep going|keep living|carry on)\b"
       r"|\b(?:no|not see (?:the|a|any)|not see) (?:point|reason) (?:in |to |of |for )?(?:me |myself |us )?"
       r"(?:to )?(?:living|life|live|go on|going on|being alive|be alive|being here|carry on|carrying on|"
       r"keep going|wake up)\b"
       r"|\b(?:life|living) (?:is not|is no longer|not) worth (?:living|it)\b|\bnot worth living\b"
       r"|\b(?:nobody|no one) (?:would|will|is going to) (?:care|notice|miss me|even notice)\b"
       r"|\bnot see the point (?:anymore|any more|of anything|in anything)\b|\bwhat is the point (?:anymore|any more|of living|of anything)\b"
       r"|\bnot (?:\w+ ){0,3}?be (?:around|here) (?:much|for) (?:longer|long)\b(?!.*\b(?:moving|move|trip|vacation|travel\w*|leaving town|job)\b)"
       r"|\bcan not go on (?:living|anymore|any more)\b|\bcan not (?:keep|go on) living\b",
       own_negation=True),
    _p("never_wake_up", SUICIDE, URGENT,
       r"\b(?:go to sleep|fall asleep|sleep|close my eyes) and (?:never|not) (?:wake up|open them)\b"
       r"|\b(?:i|me) (?:\w+ ){0,3}?(?<!can )(?<!could )(?:never|not) (?:want to |wanna )?wake up\b",
       own_negation=True),
    _p("end_life", SUICIDE, URGENT,
       r"\b(?:end|ending|ended|take|taking|took|end) (?:my|his|her|their|your) (?:own )?life\b"
       r"|\bend (?:it all|everything|it|things|this life|my suffering|my pain)\b"
       r"|\bending (?:it all|it|everything|things)\b|\bdone (?:with life|living)\b"
       r"|\btired of (?:living|being alive|being here|being around|this life|existing)\b(?! (?:at|in|with|on|for)\b)"
       r"|\bwant (?:it all|everything|all of it|all this|life) (?:all )?to (?:stop|end|be over)\b"
       r"|\b(?:afraid|scared|terrified) of (?:myself|what i (?:might|will|would|could) do to myself)\b"
       r"|\bwhat (?:i|he|she) (?:might|will|would|could|is going to|am going to) do to (?:myself|himself|herself)\b"),
    _p("method", SUICIDE, URGENT,
       r"\b(?:jump|jumping|leap|throw myself) (?:off|from|in front of|out of|out) (?:a |the |my |his |her )?(?:\w+ )?"
       r"(?:bridge|building|roof|balcony|train|bus|car|truck|cliff|overpass|garage|window|highway)\b"
       r"|\b(?:step|stepping|walk|walking) in front of (?:a |the )?(?:train|bus|truck|car|traffic)\b"
       r"|\b(?:slit|slitting|slice|slicing|slash\w*) (?:my|his|her) (?:wrists?|throat)\b|\bnoose\b"
       r"|\b(?:gun|pistol|barrel) (?:to|in) (?:my|his|her) (?:head|mouth)\b|\bblow my brains out\b"
       r"|\b(?:drive|driving|crash|crashing|drove) (?:my car |the car )?(?:into|off) (?:a |the )?"
       r"(?:tree|wall|bridge|cliff|traffic|oncoming)\b"
       r"|\bcarbon monoxide\b"
       r"|\b(?:want to|going to|thinking about|thought about|urge to|tempted to|about to) (?:\w+ ){0,2}?"
       r"(?:run|drive|crash|steer|swerve|driving|running|crashing) (?:my car |the car |my truck |it )?(?:into|off)\b"
       r"|\b(?:starve|drink|use|bleed|sleep|cut) (?:myself )?(?:\w+ )?(?:until|till|til) (?:i|he|she) (?:die|dies|am dead|is dead)\b"
       r"|\b(?:going to|about to|want to|ready to) jump(?: off)?$"
       r"|\b(?:use|using|turn|turning) (?:it|them|that|this|the \w+|a \w+|my \w+) on (?:myself|himself|herself)\b"),
    # Already under way: the person is at the place or the method is running.
    _p("method_in_progress", SUICIDE, IMMEDIATE,
       r"\b(?:standing|sitting|up) on (?:a |the )?(?:ledge|edge of|bridge|roof|railing)\b"
       r"|\b(?:engine|car) (?:is )?running in (?:the |a |my )?garage\b"
       r"|\b(?:i am|am|i am sitting|i am standing) (?:on|at the edge of) (?:the |a )?"
       r"(?:bridge|ledge|overpass|railing|train tracks|tracks|cliff|rooftop)\s*[.!]*$"
       r"|\b(?:is|am|are) (?:trying|about) to (?:jump|hang|shoot|cut|stab)\b"
       r"|^(?:standing|sitting|up) on (?:the |a )?(?:edge of (?:the |a )?)?(?:overpass|bridge|ledge|railing|train tracks|tracks|rooftop|cliff)\b"
       r"|\bloaded (?:my |his |her |a |the |\w+s )?(?:\w+ )?(?:gun|pistol|rifle|shotgun|revolver)\b"),
    _p("garage_engine", SUICIDE, IMMEDIATE,
       r"\b(?:in|inside) (?:my |the |a )?(?:car|truck|van) (?:\w+ ){0,4}?(?:with (?:it|the engine|the motor) "
       r"(?:on|running)|(?:engine|motor) (?:on|running))\b",
       requires=_rx(r"\bgarage\b")),
    _p("pills_intent", SUICIDE, URGENT,
       r"\b(?:going to|want to|plan to|planning to|about to|thinking about|thinking of|might|will) "
       r"(?:take|swallow|taking|swallowing) (?:all|every|a (?:whole|full) (?:bottle|pack)|"
       r"(?:a )?(?:bunch|handful|lot) of|the whole bottle)\b"
       r"|\b(?:overdose|overdosing) on purpose\b"
       r"|\b(?:going to|about to|want to|gonna) (?:take|swallow) (?:them all|all of them|the lot|the rest)\b"
       r"|\b(?:pills|gun|rope|noose|razor|blade|knife) (?:\w+ ){0,2}?(?:in front of me|in my hand|lined up|counted out)\b"
       r"|\b(?:going to|want to|plan to|planning to|about to|thinking about|thinking of|trying to|"
       r"tried to) overdos(?:e|ing)\b"
       rf"|\b(?:enough|all) (?:of )?(?:my |his |her |\w+s )?(?:\w+ )?{_PILLS} (?:saved|stockpiled|stashed|hoarded)\b"
       rf"|\b(?:saving|stockpiling|stashing|hoarding) (?:up )?(?:my |his |her )?(?:\w+ )?{_PILLS}\b"
       r"(?! (?:to (?:bring|take|return|drop|dispose)|for (?:the )?(?:take back|disposal|pharmacy)))"),
    _p("self_harm", SUICIDE, URGENT,
       r"\bself ?harm\w*|\bself ?injur\w*"
       r"|\bcutting (?:again|myself|my (?:arms?|wrists?|legs?|thighs?|skin))\b"
       r"|\b(?:slit|slitting|cut|cutting) (?:my|his|her) (?:wrists?|arms?|thighs?)\b"
       rf"|\b(?:want|wanna|going|plan|planning|thinking about|think about|thought about|thoughts of|"
       rf"urge|urges|keep|kept|been|started|start|might|could|feel like|need|tried|trying) (?:to )?"
       rf"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning) {_SELF}\b"
       r"|\burges? to (?:cut|self harm|hurt myself)\b"
       r"|\b(?:burned|burnt|burning|cut|cutting|carved|carving) myself (?:\w+ ){0,2}?(?:with (?:a |my )?(?:lighter|razor|"
       r"blade|cigarette|scissors|match|matches)|on purpose|again|a bunch|a lot)\b"),
    _p("goodbye_burden", SUICIDE, URGENT,
       r"\b(?:wrote|writing|write|written|left|leaving) (?:a |my |some )?(?:suicide note|goodbye "
       r"(?:letters?|notes?|messages?|texts?))\b|\bgoodbye (?:letters?|notes?)\b"
       r"|\b(?:saying|said|say) (?:my )?goodbyes? to (?:everyone|everybody|my family|my kids|the world|"
       r"everything|life)\b|\bgiving away (?:all )?(?:my|his|her) (?:stuff|things|belongings)\b"
       r"|\b(?:nobody|no one) (?:would |will )?(?:care|cares|notice|miss me) if i (?:died|die|was gone|"
       r"were gone|was dead|were dead|disappeared|was not here|killed myself)\b"
       r"|\b(?:not|no longer|never) (?:\w+ )?be a burden (?:anymore|any more|to anyone|much longer)\b"
       r"|\b(?:i am|i feel like|he is|she is) (?:just |only |such )?a burden\b",
       own_negation=True),
    # A farewell with an apology or a last message for someone.
    _p("farewell", SUICIDE, URGENT,
       r"\btell (?:\w+ ){1,4}?(?:i am sorry|i love (?:her|him|them|you))\b|\bforgive me\b",
       requires=_rx(r"\b(?:goodbye|bye forever|for everything|last time)\b")),
    # Preparations: harmless alone ("I wrote my will"), alarming with "ready"
    # or a time; "a plan to quit" is excluded by the lookahead.
    _p("preparations", SUICIDE, URGENT,
       r"\b(?:wrote|writing|made|finished|updated) my will\b|\b(?:got|have|had|made) a plan\b(?! (?:to|for) )"
       r"|\b(?:wrote|writing|written|left|leaving) (?:\w+ )?(?:letters?|notes?) (?:to|for) (?:my|everyone|each)\b",
       requires=_rx(r"\b(?:ready|tonight|goodbye|today|right now|this weekend)\b")),
    _p("the_night", SUICIDE, URGENT,
       r"\b(?:tonight|today) (?:is|will be) the (?:night|day)\s*[.!]*$|\bthis is (?:the end|goodbye)\b",
       requires=_rx(r"\b(?:letters?|notes?|goodbye|ready|pills|plan|will|done|over|end|rope|gun)\b")),
    # Researching a fatal amount: "how many of my pills it would take to not wake up".
    _p("fatal_amount", SUICIDE, URGENT,
       r"\b(?:take|takes|took|enough) to (?:not|never) wake up\b"
       r"|\bhow (?:many|much) (?:\w+ ){0,5}?(?:would it take|does it take|will it take|it would take|it will take|"
       r"it takes|do i need|would i need|to take) (?:\w+ ){0,2}?(?:to )?(?:kill (?:me|myself|a person|someone)|die|"
       r"not wake up|never wake up|overdose|od|be (?:fatal|lethal))\b"
       r"|\b(?:lethal|fatal) (?:dose|amount)\b",
       own_negation=True),
    _p("death_thoughts", SUICIDE, URGENT,
       r"\b(?:think|thinking|thought|thoughts) (?:a lot )?(?:about|of) (?:dying|death|being dead|"
       r"not being here|not waking up|ending it|ending things|ending my life)\b",
       own_negation=True),
    _p("drinking_self_to_death", SUICIDE, URGENT,
       r"\b(?:drinking|using|drugging) myself to death\b|\bkilling myself (?:slowly )?with\b"),
    # --- overdose ---------------------------------------------------------------------
    _p("overdosing", OVERDOSE, IMMEDIATE, r"\b(?:overdosing|overdosed)\b"),
    _p("overdose_mention", OVERDOSE, URGENT, r"\boverdoses?\b", topic=True),
    _p("not_breathing", OVERDOSE, IMMEDIATE,
       r"\b(?:not|stopped|stop|barely|hardly|isnt) breathing\b|\bbreathing (?:is |has )?(?:gotten |got )?"
       r"(?:really |very |so |super |kind of |weird and )?(?:slow|slowed|shallow|weird|strange|funny|"
       r"rattly|raspy)\b|\bno (?:pulse|heartbeat)\b|\bcan not find (?:a|his|her) pulse\b"
       r"|\b(?:is|are) (?:he|she|they) (?:even )?breathing\b|\bnot (?:think|sure|know if) (?:he|she|they) (?:is|are) breathing\b"
       r"|\bgurgl\w+|\bdeath rattle\b|\bbreathing (?:sounds|is|sounding) (?:like |all )?(?:snoring|gurgling|rattling|choking)\b",
       own_negation=True),
    _p("blue_lips", OVERDOSE, IMMEDIATE,
       r"\b(?:lips?|skin|face|fingertips|fingers|nails) (?:are |is |look |looks |have |has )?"
       r"(?:gone |went |turned |turning |getting |going |all |kind of |really )*(?:blue|purple|gr[ae]y|ashen)\b"
       r"|\b(?:blue|purple|gr[ae]y) lips\b|\b(?:turning|turned|gone|going|went) (?:blue|purple)\b"
       rf"|\b{_SUBJ} (?:is|are|looks?|went|gone|has gone|is going|is turning) (?:all |really |kind of )?"
       r"(?:blue|purple|gr[ae]y|ashen)\b"),
    _p("unresponsive", OVERDOSE, IMMEDIATE,
       r"\b(?:unresponsive|unconscious|out cold|lifeless)\b"
       r"|\b(?:not|will not|is not|barely|hardly|stopped|not really) (?:respond\w*|responsive|conscious)\b"
       r"|\bbarely (?:awake|conscious|responsive)\b|\b(?:is|are|has|just|still|keeps?) passed out\b"
       r"|\bpassed out and (?:\w+ ){0,2}?(?:not|will not|can not|barely|unresponsive|blue)\b"
       rf"|\b{_SUBJ} (?:is|are|went|gone|has gone) (?:all |completely |totally )?(?:limp|floppy)\b"
       r"|\b(?:nodding|nodded) (?:out|off)\b|\bfoaming at the mouth\b"
       rf"|\b{_SUBJ} (?:is |are )?(?:barely|not|stopped|hardly) moving\b"
       r"|\b(?:is|are) (?:lying |laying |passed out |collapsed |face down |unconscious )?on the (?:\w+ ){0,2}?(?:floor|ground)\b"
       r"|\b(?:pinpoint|pinned) pupils\b|\bpupils (?:are )?(?:pinpoint|pinned|tiny)\b",
       own_negation=True),
    _p("wont_wake", OVERDOSE, IMMEDIATE,
       rf"\b(?:{_SUBJ}|it) (?:\w+ ){{0,2}}?(?:will not|would not|does not|did not|is not|has not|"
       r"can not) (?:\w+ )?wak(?:e|ing) up\b"
       r"|\b(?:can not|could not|unable to|hard to|trying to|tried to|try to|will not) "
       r"(?:get (?:him|her|them) to )?wake (?:him|her|them|my \w+(?: \w+)?|the \w+)(?: up)?\b"
       r"|\b(?:is|are|was|were)(?: still)? not waking(?: up)?\b"
       r"|\b(?:can not|could not|unable to) get (?:him|her|them|my \w+) to (?:respond|wake|open)\w*\b"
       r"|\b(?:throwing up|vomiting|puking|threw up|vomited) (?:\w+ )?(?:in (?:his|her|their) sleep|while (?:passed out|unconscious|asleep))\b"
       r"|(?<!\bi )\b(?:will not|would not) wake up\b"
       r"|\b(?:he|she|they|mom|dad|mother|father|son|daughter|husband|wife) (?:is|are|was|seems) (?:\w+ ){0,4}?(?:hard|impossible|difficult) to wake(?: up)?\b",
       own_negation=True),
    _p("took_too_much", OVERDOSE, IMMEDIATE,
       rf"\b{_USED} (?:\w+ ){{0,2}}?(?:way |far |much )?too (?:much|many)\b"
       rf"|\b{_USED} (?:\w+ ){{0,2}}?(?:a |an |the )?(?:whole|entire|full) (?:bottle|pack|packet|box|"
       r"strip|sheet|blister|handful|script|prescription)\b"
       rf"|\b{_USED} (?:\w+ )?(?:a|the|half a|half the|half of a|most of a|most of the) (?:bottle|pack|box|strip|sheet|blister|packet|bag) of "
       rf"(?:my |his |her |the |their )?(?:\w+ )?{_PILLS}"
       rf"|\b{_USED} (?:all|every one|each) (?:of )?(?:(?:my|his|her|their|the|those) (?:\w+ )?{_PILLS}|them|those|it all)\b"
       r"|\b(?:took|taken|swallowed|popped|ate|downed|snorted) (?:a |like |about |around |over |maybe )?(?:whole |big |huge )?"
       r"(?:bunch|handful|lot|ton|fistful|[5-9]|\d{2,}|ten|fifteen|twenty|thirty|forty|fifty) (?:of )?(?:\w+ )?"
       rf"{_PILLS}"
       r"|\b(?:took|taken|used|did) (?:\w+ )?(?:double|triple|twice|two times|three times) (?:my|his|her|the) "
       r"(?:\w+ )?(?:dose|dosage|amount|prescription|script)\b"),
    # A child who got into someone's medicine is an emergency at any amount.
    _p("child_ingestion", OVERDOSE, IMMEDIATE,
       r"\b(?:kid|kids|child|baby|toddler|son|daughter|grandson|granddaughter|little one|nephew|niece|"
       r"(?:\d+|one|two|three|four|five) (?:yr|year|years|yo|month|months) old)s? "
       r"(?:\w+ ){0,6}?(?:swallowed|ate|got into|took|drank|chewed) (?:some of |one of |a few of )?(?:my|his|her|the|"
       rf"our|their|grandmas|grandpas|\w+s) (?:\w+ )?(?:{_PILLS}|edibles|strips|drugs|patch|patches)\b"),
    _p("dangerous_mix", OVERDOSE, URGENT,
       r"\b(?:mixed|combined|took|taken) (?:\w+ ){0,2}?(?:xanax|benzos?|klonopin|valium|ativan|bars|pills|"
       r"opioids?|oxy\w*|heroin|fentanyl|methadone|percocet|sleeping pills) (?:and|with) (?:\w+ ){0,2}?"
       r"(?:alcohol|booze|drinking|drinks|vodka|beer|wine|liquor|xanax|benzos?|opioids?|heroin|fentanyl|"
       r"methadone|lean|codeine|syrup|oxy\w*|percocet|pills)\b"),
    _p("naloxone_action", OVERDOSE, IMMEDIATE,
       r"\b(?:need|needs|give|giving|gave|used|use|using|administer\w*|spray\w*|hit (?:him|her|them) with) "
       r"(?:\w+ ){0,2}?(?:narcan|naloxone)\b|\b(?:narcan|naloxone) (?:now|asap|right now|please)\b"),
    # --- medical emergency ----------------------------------------------------------------
    _p("seizure_now", MEDICAL, IMMEDIATE,
       r"\b(?:having|is having|having another|keeps having) (?:a |another |multiple |several |some |bad )?"
       r"(?:seizures?|fits?|convulsions?)\b|\b(?:seizing|convulsing|convulsions)\b"
       r"|\beyes (?:have |are |were )?(?:rolled|rolling|rolls) (?:back|up)\b"),
    _p("seizure_recent", MEDICAL, URGENT,
       r"\b(?:had|has|just had|had another) (?:a |another |multiple |several |some |bad )?"
       r"(?:seizures?|fits?|convulsions?)\b"),
    _p("seizure_mention", MEDICAL, URGENT, r"\bseizures?\b", topic=True),
    # What a seizure looks like to someone who does not know they had one.
    _p("seizure_signs", MEDICAL, IMMEDIATE,
       r"\b(?:blacked out|passed out|fainted|lost consciousness) (?:\w+ ){0,3}?(?:woke up|came to) on (?:the |a )?"
       r"(?:\w+ )?(?:floor|ground)\b|\b(?:bit|bitten) (?:my|his|her|their) tongue\b"
       r"|\b(?:twitching|jerking|shaking|convulsing) (?:\w+ ){0,3}?and (?:\w+ ){0,2}?(?:blacked|passed) out\b"
       r"|\b(?:passed out|fainted) (?:twice|again|a few times|two times|\d+ times)\b",
       requires=_WITHDRAWAL_CONTEXT),
    _p("chest_heart", MEDICAL, IMMEDIATE,
       r"\bchest (?:pains?|tightness|pressure)\b|\bchest (?:is |feels |feel )?(?:really |very |so |super )?"
       r"(?:tight|heavy|hurting|hurts?|crushing)\b|\bpain in (?:my|his|her) chest\b"
       r"|\b(?:crushing|squeezing|stabbing|sharp|tight|heavy) (?:\w+ ){0,2}?(?:in|on|across) (?:my|his|her) chest\b"
       r"|\bheart attack\b|\bcardiac arrest\b|\b(?:left )?arm (?:is )?(?:going )?numb\b"
       r"|\bleft arm (?:is )?(?:going )?(?:tingling|tingly|hurts|hurting)\b"
       r"|\bchest (?:feels|is|feel) like (?:\w+ ){0,4}?(?:sitting|standing|squeez\w*|crush\w*|pressing|exploding)\b"
       r"|\b(?:heartbeat|heart rate|pulse|heart) (?:is )?(?:so |really |very |super )?(?:slow|weak|faint)\b"
       r"|\b(?:can not|could not) (?:feel|find) (?:my|his|her) (?:heartbeat|heart beat|pulse)\b",
       own_negation=True),
    _p("cannot_breathe", MEDICAL, IMMEDIATE,
       r"\b(?:can not|could not|struggling to|hard to|unable to) (?:\w+ )?breath(?:e|ing)?\b"
       r"|\b(?:trouble|difficulty|problems?|struggling) breathing\b|\bshort(?:ness)? of breath\b"
       r"|\bgasping for (?:air|breath)\b|\bthroat (?:is )?(?:closing|swelling)\b",
       own_negation=True),
    _p("stroke_collapse", MEDICAL, IMMEDIATE,
       r"\b(?:having|had|has|is having) a stroke\b|\bface (?:is )?(?:drooping|droopy)\b"
       r"|\b(?:collapsed|collapsing|fainted|fainting|keeled over)\b"
       r"|\b(?:fell|fall|fallen|falling|fainted|collapsed|passed out|blacked out|slipped|tripped) "
       r"(?:\w+ ){0,4}?(?:hit|hitting|banged|banging|cracked|smacked|bumped) (?:his|her|my|their) head\b"),
    _p("emergency_call", MEDICAL, IMMEDIATE,
       r"\b(?:need|needs|call|calling|called|get|send|sending) (?:me |us |him |her )?(?:an |a )?(?:ambulance|paramedics|911|emt|emts)\b"
       r"|\bsend help\b|\bbody (?:is |are )?(?:shutting down|giving out|giving up)\b"),
    _p("organ_failing", MEDICAL, URGENT,
       r"\b(?:organs?|liver|kidneys?|heart) (?:is |are )?(?:shutting down|failing|giving out)\b"),
    _p("heart_weird", MEDICAL, URGENT,
       r"\bheart (?:is |keeps )?(?:doing (?:weird|funny|strange) \w+|racing|pounding|skipping|fluttering|beating "
       r"(?:so |really |too )?(?:fast|hard|weird|irregular))"
       r"|\b(?:can not|could not) feel (?:my|his|her) (?:face|arm|arms|leg|legs|body|hands|feet)\b",
       own_negation=True,
       requires=_rx(r"\b(?:coke|cocaine|crack|meth|speed|adderall|molly|mdma|took|used|pills|chest|dizzy|faint|"
                    r"pass out|passing out|numb|can not feel)\b")),
    _p("bleeding", MEDICAL, IMMEDIATE,
       r"\b(?:vomit\w*|throw\w* up|threw up|puk\w*|cough\w* up|spitting up) (?:up )?(?:\w+ ){0,4}?blood\b"
       r"|\bblood in (?:my|his|her) (?:vomit|puke)\b|\bbleeding (?:a lot|heavily|badly|so much|everywhere|"
       r"really bad|bad)\b|\b(?:will not|can not) stop (?:the )?bleeding\b|\blot of blood\b"
       r"|\b(?:so much|lots of|too much|tons of) blood\b|\bblood everywhere\b",
       own_negation=True),
    _p("gushing", MEDICAL, IMMEDIATE,
       r"\b(?:gushing|spurting|squirting|soaking through|soaked through|pouring out)\b",
       requires=_rx(r"\b(?:cut|blood|bleeding|wound|towel|gash|slit|glass)\b")),
    _p("cannot_keep_down", MEDICAL, URGENT,
       r"\b(?:can not|could not|unable to) keep (?:anything|any|water|fluids|liquids|food|it) (?:\w+ )?down\b"
       r"|\b(?:can not|could not) stop (?:vomiting|throwing up|puking)\b"
       r"|\b(?:throwing up|vomiting|puking) (?:\w+ ){0,2}?(?:nonstop|non stop|constantly|all (?:day|night)|"
       r"for (?:\d+|hours|days|a day)|every (?:hour|few minutes))\b",
       requires=_rx(r"\b(?:confused|dizzy|faint|fainting|seeing spots|pass out|passing out|blood|withdrawal|"
                    r"detox\w*|dts|shaking|seizure|hallucinat\w*|days|dark|last drink|quit|stopped)\b"),
       own_negation=True),
    _p("dying", MEDICAL, URGENT,
       rf"\b(?:i|{_SUBJ}) (?:\w+ ){{0,2}}?(?:am|is|are|be) dying\b"),
    _p("dts", MEDICAL, URGENT, r"\b(?:dts|delirium tremens|delirium)\b"),
    _p("hallucinating", MEDICAL, URGENT,
       r"\bhallucinat(?:ing|ions?|es|ed)\b|\bhearing voices\b"
       r"|\b(?:bugs|spiders|ants|insects|something) crawling (?:on|under|all over) (?:me|my|him|his|her)\b"),
    _p("sees_what_is_not_there", MEDICAL, URGENT,
       r"\b(?:things|bugs|spiders|people|voices|stuff|shadows|someone|somebody|animals|snakes)(?: \w+)? "
       r"(?:that|who|which) (?:are not|is not|was not|were not) (?:there|real)\b",
       own_negation=True),
    _p("withdrawal_hallucination", MEDICAL, URGENT,
       r"\b(?:seeing|see|sees|saw|hearing|hear|hears|heard) (?:things|bugs|spiders|snakes|shadows|animals|"
       r"stuff)\b", requires=_WITHDRAWAL_CONTEXT),
    _p("withdrawal_danger_signs", MEDICAL, URGENT,
       r"\b(?:shaking|trembling|shakes|tremors?) (?:so |really |very )?(?:bad|badly|hard|violently|"
       r"uncontrollably|all over|so much)\b|\bcan not (?:stop shaking|stand up|walk straight)\b"
       r"|\b(?:confused|disoriented|does not know where (?:he|she|they|i) (?:is|am|are)|do not know where i am"
       r"|not making (?:any )?sense|making no sense|talking nonsense|out of (?:it|his mind|her mind|my mind))\b",
       requires=_WITHDRAWAL_CONTEXT, own_negation=True),
    _p("confused_head_or_fever", MEDICAL, URGENT,
       r"\b(?:confused|disoriented|not making (?:any )?sense|making no sense)\b", requires=_HEAD_OR_FEVER, own_negation=True),
    _p("high_fever", MEDICAL, URGENT,
       r"\bhigh fever\b|\bfever of 10[3-9]\b|\b10[3-9](?: \. \d)? ?(?:degrees? )?(?:f )?fever\b"
       r"|\btemp(?:erature)? (?:of |is )?10[3-9]\b|\bburning up\b"),
    # --- violence / abuse ----------------------------------------------------------------
    _p("abuse_act", VIOLENCE, URGENT,
       rf"\b{_SUBJ} (?:\w+ ){{0,3}}?(?:hits?|hitting|beats?|beating|beat|punch\w*|slap\w*|kick\w*|chok\w*|"
       r"strangl\w*|push\w*|shov\w*|hurts?|hurting|hurt|killing|abus\w*|rap\w*|molest\w*|touch\w*|attack\w*|"
       rf"assault\w*|stab\w*|smack\w*|grab\w*|threw \w+ at|throws \w+ at|throwing \w+ at) {_OBJ}\b"
       r"|\bhands? (?:around|on|round) (?:my|her|his|their) (?:neck|throat)\b"
       rf"|\b{_SUBJ} (?:\w+ ){{0,3}}?(?:slam\w*|bang\w*|smash\w*|hit\w*|punch\w*|kick\w*|grab\w*|twist\w*|"
       r"burn\w*|pull\w*|chok\w*|stomp\w*) (?:my|her|his) (?:head|face|neck|arm|arms|throat|hair|stomach)\b"
       rf"|\b{_SUBJ} (?:\w+ ){{0,6}}?(?:broke|broken|fractured) (?:my|her|his) (?:wrist|arm|nose|jaw|ribs?|finger|hand|leg)\b"
       r"|\b(?:he|she|they) (?:\w+ ){0,6}?and (?:then )?(?:hit|punched|slapped|kicked|choked|beat|strangled|shoved) "
       r"(?:me|us)\b"
       r"|\b(?:swinging|swung|swings|throwing|threw|throws|coming at \w+ with|came at \w+ with|chasing \w+ with) "
       r"(?:a |an |his |her |the |their )?(?:\w+ )?(?:bat|hammer|bottle|chair|plate|pan|rock|brick|pipe|crowbar|"
       r"axe|club|lamp|glass|tool)s? (?:at|toward|towards) (?:me|us|her|him|them|my \w+)\b"),
    _p("coercive_control", VIOLENCE, URGENT,
       rf"\b{_SUBJ} (?:\w+ ){{0,3}}?(?:locked|locks|locking|keeps|kept) (?:me|us|her|him) (?:in|inside|up|in the \w+)\b"
       r"|\b(?:will not|does not|would not) let (?:me|us) (?:leave|out|call anyone|see anyone|have my phone)\b",
       own_negation=True),
    _p("abuse_passive", VIOLENCE, URGENT,
       r"\b(?:i|she|he|we|they|my \w+) (?:was|got|am being|is being|are being|have been|has been|been|"
       r"keep getting|keeps getting) (?:\w+ )?(?:raped|sexually assaulted|assaulted|molested|abused|beaten|"
       r"beat up|attacked|stabbed|shot|strangled|choked|hit|punched|trafficked)\b"),
    _p("threat_to_kill", VIOLENCE, URGENT,
       rf"\b(?:{_SUBJ}|i) (?:\w+ ){{0,3}}?(?:will|would|is going to|are going to|going to|threatened to|"
       r"threatening to|threatens to|tried to|trying to|tries to|wants to|is about to|said (?:he|she|they) "
       r"(?:would|will|is going to)|says (?:he|she|they) (?:will|would|is going to)) (?:\w+ )?(?:kill|shoot|"
       r"stab|murder|hurt|beat|strangle|choke|burn|attack) (?:me|us|you|my \w+|her|him|them|the kids|"
       r"the baby|everyone|somebody|someone)\b"
       r"|\bthreaten\w* (?:to (?:kill|hurt|shoot|stab|beat) )?(?:me|us|my \w+|the kids|her|him|them)\b"
       r"|\b(?:put|putting|puts) (?:me|us|you|her|him|them) (?:\w+ )?(?:in the ground|six feet under|"
       r"in (?:a|the|an) (?:grave|hospital|morgue|body bag|coffin))\b"
       r"|\b(?:coming|come|comes|show up|showing up) (?:\w+ ){0,4}?to (?:kill|hurt|shoot|stab|beat|attack) (?:me|us|my \w+)\b"
       r"|\b(?:coming|come|comes|show up|showing up) (?:\w+ ){0,4}?(?:after me|with (?:his|her|their|a) "
       r"(?:boys|crew|gang|gun|knife))\b"),
    _p("intent_to_harm_others", VIOLENCE, URGENT,
       r"\b(?:going to|want to|will|might|could|feel like|afraid i will|afraid i am going to|scared i will|"
       r"scared i am going to|thinking about|thinking of|urge to|urges to|plan to|planning to|about to) "
       rf"(?:\w+ )?(?:hurt|kill|shoot|stab|murder|beat up|attack|strangle|hurting|killing|shooting|stabbing|"
       rf"murdering|beating up|attacking|strangling) (?:someone|somebody|anyone|people|"
       rf"him|her|them|everyone|everybody|(?:my|the|a|his|her|that|this|our|their) (?:\w+ ){{0,2}}?(?:{_PERSON_NOUNS}))\b"
       r"|\bshoot(?:ing)? up (?:the|a|my|his|her|their|our) (?:school|work|office|church|mall|party|place|store|"
       r"building|class|house|meeting)\b"),
    _p("weapon", VIOLENCE, IMMEDIATE,
       r"\b(?:has|have|had|got|with|holding|pulled|pulling|waving|grabbed|grabbing|carrying|pointing|"
       r"points|pointed|brandishing|took out|came at me with|bought) (?:a |his |her |my |the |their |an |"
       r"out a |out his |out her )?(?:gun|knife|knives|weapon|pistol|rifle|shotgun|firearm|blade|machete|"
       r"handgun)s?\b"),
    _p("unsafe_home", VIOLENCE, URGENT,
       r"\b(?:not|never) (?:feel |feeling |really )?safe (?:at home|in (?:my|the|our) (?:house|home|"
       r"apartment|place|room)|here|with (?:him|her|them|my \w+)|around (?:him|her|them|my \w+)|"
       r"going home|to go home)\b|\bi am not safe(?: right now| here| now)?\s*[.!]*$"
       r"|\b(?:scared|afraid|terrified|frightened) (?:to go|of going|to be|of being) (?:back )?home\b"
       r"|\b(?:scared|afraid|terrified|fear) (?:of|for) (?:my|our) (?:life|lives|safety)\b",
       own_negation=True),
    _p("violent_person", VIOLENCE, URGENT,
       rf"\b(?:{_SUBJ}) (?:\w+ ){{0,2}}?(?:is|gets|get|getting|becomes|was being|is being|are|can be) "
       r"(?:really |very |so |super )?(?:violent|abusive)\b"
       r"|\babusive (?:husband|wife|partner|boyfriend|girlfriend|relationship|home|dad|father|mom|mother|"
       r"parent|parents|ex|spouse|stepdad|stepfather)\b"),
    _p("trapped_hiding", VIOLENCE, URGENT,
       r"\b(?:locked|barricaded|hiding|hid) (?:myself|ourselves|us|me and the kids) (?:\w+ ){0,2}?(?:in|inside)\b",
       requires=_rx(r"\b(?:kicking|banging|pounding|breaking|punching|screaming|yelling|threaten\w*|gun|knife|drunk|"
                    r"high|raging|violent)\b")),
    _p("stalking", VIOLENCE, URGENT,
       r"\b(?:stalking|stalked|following|followed|watching) me\b(?! (?:on|online)\b)"
       r"|\b(?:parked|waiting|sitting|standing) outside (?:my|the) (?:house|home|work|job|apartment|door|school|place)\b",
       requires=_rx(r"\b(?:ex|restraining order|protective order|scared|afraid|terrified|threaten\w*|will not leave "
                    r"me alone)\b")),
    _p("drugged_drink", VIOLENCE, URGENT,
       r"\bmy drink (?:tastes|tasted|taste|tasting) (?:weird|funny|off|strange|wrong|bitter)\b"
       r"|\b(?:spiked|drugged|roofied) my drink\b|\bmy drink (?:was|got|is|has been) (?:spiked|drugged)\b"
       r"|\b(?:i|we) (?:think|thought) (?:i|we) (?:was|were|got|have been|had been) (?:drugged|roofied)\b"),
    _p("domestic_violence", VIOLENCE, URGENT,
       r"\b(?:domestic (?:violence|abuse)|sexual abuse|child abuse)\b", topic=True),
)

# Hyperbole and set phrases that contain crisis words. They are masked out of
# the text before matching, so anything else risky in the message still counts.
IDIOMS: tuple[Pattern[str], ...] = tuple(_rx(p) for p in (
    # Not after a person: "he is killing me" may be literal (see abuse_act).
    r"(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!someone )(?<!somebody )"
    r"\b(?:is|are|was|were|be|keeps|keep|it is|that is) (?:\w+ )?killing (?:me|us)\b",
    r"\b(?:dying|died|killing me|kill me|killed me|i am dead)\b(?: \w+){0,3} lol\b",
    r"\blol (?:\w+ ){0,2}(?:dying|died|i am dead)\b",
    r"\bdying to (?:know|see|hear|try|get|find|meet|start|go|tell|ask)\b",
    # "for real" is how "fr" expands: "wanna die fr" must stay a crisis.
    r"\b(?:dying|kill|killing|murder) for (?!real\b)(?:a|an|some|the|my|this|that|one|more)\b",
    r"\b(?:to )?die for\b(?! real\b)",
    r"\bdrop dead (?:gorgeous|beautiful|sexy|handsome|funny)\b",
    r"\boverdos\w* on (?:chocolate|candy|sugar|sweets|cake|cookies|ice cream|pizza|netflix|tv|television|"
    r"carbs|cheese|love|nostalgia|cuteness|sunshine|memes)\b",
    r"\b(?:died|dying|die|dead|cried|peed) (?:of |from )?(?:laughing|laughter|embarrassment|boredom|shame)\b",
    r"\b(?:scared|bored|worried|sick|tired|frightened|freezing) to death\b",
    r"\bdead (?:tired|end|battery|serious|last|on|wrong|set|inside)\b|\bdying inside\b",
    r"\b(?:phone|battery|car|laptop|computer|plant|plants|charger) (?:is |was |just )?(?:dying|dead|died)\b",
    r"\bkill(?:ing|ed|s)? (?:the |my |some |a |that )?(?:pain|time|cravings?|buzz|mood|vibe|urges?|"
    r"boredom|hunger|it|germs|bugs|the bottle)\b",
    r"\bthe death of me\b",
    r"\bthat (?:joke|movie|show|video) killed me\b",
    r"\bhit (?:me|you|us|him|her|them) up\b|\bhit rock bottom\b|\bit (?:just |really |finally )?hit me\b",
    r"\bhits? different\b|\bhit (?:the|a) (?:road|gym|books|hay|spot|wall)\b",
    r"\bshoot (?:me|you|us|him|her) (?:a|an) (?:text|message|email|call|line|note|dm)\b",
    r"\bshot (?:myself|me) in the foot\b|\bshoot(?:ing)? for\b|\bshots? of\b",
    r"\b(?:flu|vaccine|covid|booster|b12|vivitrol|sublocade|insulin|depo) shots?\b",
    r"\bcut(?:ting)? (?:myself|himself|herself|yourself|me|him|her) (?:off|some slack|a break|loose)\b",
    r"\bcut (?:myself|my (?:finger|hand|thumb)) (?:while |when )?(?:shaving|cooking|chopping)\b",
    r"\bend (?:it|things) (?:with|between)\b",
    r"\b(?:having|have|has|had|throw|throwing|threw|throws|pitch\w*) a (?:hissy |little |big |total |"
    r"complete )?fit (?:about|over|because|when|if|that|at)\b|\bfit of\b",
    r"\b(?:gave|give|giving|almost had|nearly had|going to have|going to give \w+) (?:me |him |her )?a heart attack\b",
    r"\b(?:seeing|see|sees) things (?:more )?(?:clearly|differently|in a new|for what|better|from)\b",
    r"\brespond\w* to (?:my |our |the |his |her |any )?(?:texts?|messages?|emails?|calls?|treatment|"
    r"medications?|meds|therapy|voicemails?)\b",
    r"\b(?:insurance|company|office|clinic|website|app|phone|computer|email|system|server) (?:is |are )?not "
    r"responding\b",
    r"\bwake up (?:in the mornings?|early|on time|for (?:work|school|class|church|the bus)|in time|before|at)\b",
    r"\bpush\w* (?:me|us|him|her|them) (?:away|to|into|toward|towards|out|around)\b",
    r"\bkick\w* (?:me|us|him|her|them) out\b|\bbeat (?:me|us|him|her) (?:to|at|in)\b",
    r"\b(?:killing|killed|kill) (?:him|her|them)sel(?:f|ves) (?:slowly )?with (?:drink|drinking|alcohol|"
    r"booze|drugs|meth|coke|heroin|using|cigarettes|smoking|work|food)\b",
    r"\b(?:drinking|using|drugging) (?:him|her|them)sel(?:f|ves) to death\b",
    r"\bcould (?:just )?kill myself for\b",
    r"\b(?:boss|manager|teacher|coach|supervisor|professor) (?:\w+ ){0,3}kill (?:me|us)\b",
    r"\bkill (?:me|us) if (?:i am|we are|i am ever) late\b",
    r"\b(?:stop|quit|quitting|stopped|stopping) hurt\w*\b",
    r"\b(?:died|passed away|passed|lost \w+|lost \w+ \w+) (?:of|from|to) (?:an |a )?(?:overdose|overdoses|suicide)\b",
    r"\bseizure (?:disorder|meds|medication|medicine)\b|\banti ?seizure\b|\bepilep\w*",
    r"\btoo (?:much|many) (?:time|money|questions|times|of your time|coffee)\b",
    r"\bgun (?:collection|safe|license|permit|show|range|shop|store|class|course)\b",
    r"\bknife (?:set|block|drawer)\b",
    r"\b(?:marriage|relationship|life|world|business|deal|plans?|career) (?:has |have |had |just )?collaps\w*\b",
    r"\bconfused (?:about|by|with|as to|on|why|what|how|which|if|whether)\b",
    r"\b(?:suicide|overdose|crisis) (?:prevention|awareness|training|lifeline|survivors?|loss|walk|month|week|"
    r"seminar|class|course|workshop|kit|program|statistics|rates?)\b",
    # Questions ("what are the signs of an overdose") stay for the question rule.
    r"(?<!what are )\b(?:the |know (?:the )?)signs of (?:an |a )?overdose\b",
))

# --------------------------------------------------------------------------------------
# Context that suppresses or reopens a match
# --------------------------------------------------------------------------------------

_NEGATORS = frozenset({"not", "never", "no", "nobody", "noone", "none", "nor", "without", "zero", "deny", "denies"})
# "no, he hits me" / "no he hits me": an interjection, not a negation.
_AFTER_INTERJECTION_NO = frozenset({
    "i", "he", "she", "they", "we", "you", "my", "his", "her", "our", "their", "it", "this", "that",
    "the", "someone", "somebody", "please", "help", "lol",
})

_INTENSIFIERS_AFTER_NOT = frozenset({"stop", "stopping", "help", "quit"})
# A negation does not reach past these into the next predicate ("he is not
# sober and he hits me"); "or"/"nor" are left out so "no seizures or DTs" holds.
_CONJUNCTIONS = frozenset({"and", "so", "because", "then", "when", "while", "if", "since", "after", "until", "cause"})

HISTORY = _rx(
    r"\b(?:(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple|a couple of|several|"
    r"many|some) (?:years?|yrs?|months?) ago|years ago|last year|in (?:19|20)\d\d|back in|back when|"
    r"when i was|growing up|as a (?:kid|child|teen|teenager)|used to|in the past|history of|(?:the )?last time|"
    r"previously|before (?:rehab|treatment|detox|i got sober|recovery|i got clean)|(?:\d+|\w+) (?:days?|weeks?|"
    r"months?|years?) (?:sober|clean)|been (?:sober|clean)|survivors?)\b"
)
PRESENT = _rx(
    r"\b(?:now|right now|tonight|today|currently|at the moment|again|still|this (?:morning|afternoon|evening|"
    r"week)|just|keeps?|lately|recently|anymore|any more|last night|yesterday|earlier|last week|"
    r"(?:\w+ )?(?:minutes?|hours?|days?) ago)\b"
)
# Words anywhere in the message that reopen a denial or a history ("I'm not
# suicidal anymore", "it used to happen and lately...").
REOPENERS = _rx(
    r"\b(?:anymore|any more|again|lately|recently|sometimes|maybe|not sure|unsure|kind of|sort of|not really|"
    r"unless|until|yet|started|starting|some days|at times|part of me|tempted|except)\b"
)
# After a denial, "but" reopens it unless what follows is plainly reassuring.
_BUT_REOPENS = _rx(
    r"\bbut\b(?! (?:i am |i have been |i feel |now i am |i am now |everything is |things are |it is |he is |"
    r"she is )?(?:fine|ok|okay|good|safe|better|doing (?:well|better|good|great|ok|okay|fine)|in a good place|"
    r"sober|clean|stable|alright|all right|just|only|still sober|still clean|i left|i got out|i moved out)\b)"
)
_QUESTION_OPENER = _rx(
    r"^(?:(?:so|and|also|ok|okay|hi|hello|hey|um|quick question|question) )*(?:what|how|when|where|which|why|"
    r"who|is|are|am|can(?! not)|could(?! not)|does|do|did|should|would|will|if|any|is there|are there)\b"
)
# A person, not "someone"/"you": a question about a person is not a general one.
_PERSONAL = _rx(r"\b(?:i|me|my|myself|we|us|our|he|him|his|himself|she|her|hers|herself|they|them|their)\b")
_GENERIC = _rx(
    r"\b(?:someone|somebody|anyone|anybody|people|a person|patients?|clients?|those|folks|a loved one) "
    r"(?:who|that|with|in|if|when|after|going|having|on)\b|\bif (?:someone|somebody|anyone|you|a person|people)\b"
)
# Makes an "urgent" match "immediate": a time of now, or the means at hand.
_IMMINENT = _rx(
    r"\b(?:right now|now|tonight|this minute|about to|as we speak|currently|at the moment|"
    r"on (?:the|a) (?:bridge|ledge|roof)|(?:have|got|bought|holding) (?:a |the |my )?(?:gun|rope|noose|"
    r"knife|blade|razor)|(?:pills|gun|rope) (?:ready|in front of me|lined up|in my hand)|goodbye)\b"
)
_CLAUSE_SPLIT = re.compile(r"([.!?;:\n]+|,|\bbut\b)")


def _clauses(norm: str) -> list[tuple[str, bool]]:
    """(clause, ends with "?") pairs; "but" starts a new clause."""
    parts = _CLAUSE_SPLIT.split(norm)
    out: list[tuple[str, bool]] = []
    for i in range(0, len(parts), 2):
        clause = parts[i].strip()
        delim = parts[i + 1] if i + 1 < len(parts) else ""
        if clause:
            out.append((clause, "?" in delim))
    return out


def _mask_idioms(norm: str) -> str:
    for idiom in IDIOMS:
        norm = idiom.sub(" _ ", norm)
    return re.sub(r"\s+", " ", norm).strip()


def _has_negator(tokens: Iterable[str], following: list[str]) -> bool:
    tokens = list(tokens)
    for i, tok in enumerate(tokens):
        if tok not in _NEGATORS:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else (following[0] if following else "")
        if tok == "no" and (nxt in _AFTER_INTERJECTION_NO or nxt == ""):
            continue
        # "can't stop cutting", "never stop thinking about dying" intensify, not deny.
        if nxt in _INTENSIFIERS_AFTER_NOT:
            continue
        return True
    return False


def _last_predicate(tokens: list[str]) -> list[str]:
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i] in _CONJUNCTIONS:
            return tokens[i + 1:]
    return tokens


def _is_negated(clause: str, start: int, end: int, pattern: CrisisPattern) -> bool:
    inside = clause[start:end].split()
    before = _last_predicate(clause[:start].split())[-3:]
    if _has_negator(before, inside):
        return True
    return not pattern.own_negation and _has_negator(_last_predicate(inside), clause[end:].split())


def _judge(clause: str, is_q_mark: bool, whole: str, pattern: CrisisPattern, start: int, end: int) -> Optional[str]:
    if _is_negated(clause, start, end, pattern):
        reopened = REOPENERS.search(whole) or _BUT_REOPENS.search(whole)
        return None if reopened else "negation"
    if HISTORY.search(clause) and not PRESENT.search(clause):
        return None if REOPENERS.search(whole) else "history"
    if pattern.category != SUICIDE:
        opener = bool(_QUESTION_OPENER.search(clause))
        generic = bool(_GENERIC.search(clause))
        # A bare "?" only sets aside topic words: "not breathing??" is a plea.
        if pattern.topic and (opener or is_q_mark or generic):
            return "question"
        if opener and (generic or not _PERSONAL.search(clause)):
            return "question"
    return None


def _analyse_one(norm: str) -> list[Finding]:
    masked = _mask_idioms(norm)
    findings: list[Finding] = []
    for clause, is_q in _clauses(masked):
        for pattern in PATTERNS:
            if pattern.requires is not None and not pattern.requires.search(masked):
                continue
            for m in pattern.regex.finditer(clause):
                reason = _judge(clause, is_q, masked, pattern, m.start(), m.end())
                severity = pattern.severity
                if reason is None and severity == URGENT and _IMMINENT.search(masked):
                    severity = IMMEDIATE
                findings.append(Finding(pattern.name, pattern.category, severity, reason))
    return findings


def analyse(text: Optional[str]) -> list[Finding]:
    """Every pattern hit in ``text`` with the reason it was set aside, if any.

    For audits and the safety report; use ``detect_crisis`` for decisions.
    """
    if not text or not text.strip():
        return []
    seen: set[Finding] = set()
    out: list[Finding] = []
    for variant in _variants(text):
        for finding in _analyse_one(variant):
            if finding not in seen:
                seen.add(finding)
                out.append(finding)
    return out


def detect_crisis(text: Optional[str]) -> Optional[CrisisMatch]:
    """Return the crisis ``text`` signals, or ``None`` if it signals none.

    Safe on ``None``, empty and very long text; never raises on odd unicode.
    """
    live = [f for f in analyse(text) if f.suppressed_by is None]
    if not live:
        return None
    live.sort(key=lambda f: (SEVERITIES.index(f.severity), CATEGORIES.index(f.category)))
    categories = tuple(dict.fromkeys(f.category for f in live))
    top = live[0]
    return CrisisMatch(top.category, top.severity, top.pattern, categories)


def benign_reading(text: Optional[str]) -> Optional[str]:
    """Why the lexicon reads ``text`` as *not* a crisis, or ``None`` if it has no reason.

    A reason means the lexicon saw crisis-sounding words and explained every one
    away: an idiom it knows ("my feet are killing me"), or a match it set aside
    as negated, history or an information question. The pipeline uses this to
    overrule a classifier that was fooled by the same words. A message with a
    live crisis match never has a benign reading.
    """
    findings = analyse(text)
    if any(f.suppressed_by is None for f in findings):
        return None
    if findings:
        return findings[0].suppressed_by
    variants = _variants(text) if text and text.strip() else []
    if any(_mask_idioms(v) != v for v in variants):
        return "idiom"
    return None
