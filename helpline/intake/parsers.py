"""Intake answers: turn what a caller typed (or a button sent) into a slot value.

Every parser takes the raw answer and returns a :class:`Parsed` holding either a
normalised value or ``None`` plus a reason code the assistant uses to re-ask
kindly. Reason codes:

``empty``         nothing was typed
``too_long``      more than :data:`MAX_ANSWER_CHARS` (or, for names, :data:`MAX_NAME_CHARS`)
``unrecognized``  we could not find an answer in the text
``digits_only``   a name made only of digits (usually a phone number in the wrong box)
``unclear``       a yes/no question answered with neither, or with both
                  (for the suicide-risk screen also a hedge, a don't-know, or another time
                  than the past month: the form asks once more, then stores ``unclear``)
``skipped``       an optional question the caller chose not to answer ("skip", "paso", or
                  for the member id "I don't have it")
``dont_know``     the caller does not know (common when calling about someone
                  else); screening treats the answer as unknown, so move on
``invalid``       recognised shape but not a usable value (e.g. a 3-character member id)
``bad_phone``     no valid phone number in the answer
``duration``      how long the use has gone on ("using for months"), not when it last happened:
                  ask for the most recent time

Buttons send the canonical value itself ("loved_one", "this week"), which every
parser accepts. Vocabularies are module-level tables so that adding a slang
word or a carrier is a one-line change here, reviewed in one place. The Spanish
words are in :mod:`helpline.intake.spanish` and merged into these tables below, so
every parser reads English, Spanish and a mix of both ("my son, tiene 19") in one
pass, on accent-folded text; what is stored as typed (a name) keeps its accents.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from helpline.intake import spanish as es
from helpline.phone import normalize_phone

MAX_ANSWER_CHARS = 500
MAX_NAME_CHARS = 40
MAX_OTHER_INSURANCE_CHARS = 60

# Value stored in ``first_name`` when the caller would rather not give one.
PREFER_NOT_TO_SAY = "prefer_not_to_say"

EMPTY = "empty"
TOO_LONG = "too_long"
UNRECOGNIZED = "unrecognized"
DIGITS_ONLY = "digits_only"
UNCLEAR = "unclear"
SKIPPED = "skipped"
DONT_KNOW = "dont_know"
INVALID = "invalid"
BAD_PHONE = "bad_phone"
DURATION = "duration"


@dataclass(frozen=True)
class Parsed:
    """One parsed answer: ``value`` when understood, else ``None`` and a ``reason``."""

    value: Any = None
    reason: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def _ok(value: Any) -> Parsed:
    return Parsed(value=value)


def _fail(reason: str) -> Parsed:
    return Parsed(value=None, reason=reason)


# --------------------------------------------------------------------------
# Vocabularies. Keys are canonical values; entries are regular-expression
# fragments matched on whole words of the lower-cased, de-accented answer.
# --------------------------------------------------------------------------

WHO_FOR_SELF: Tuple[str, ...] = (
    r"self", r"me", r"myself", r"for me", r"about me", r"it'?s me", r"i am", r"i'?m", r"im",
    r"i need", r"i have", r"i want", r"i use", r"i drink", r"i'?ve been", r"mine", r"my own",
)
WHO_FOR_LOVED_ONE: Tuple[str, ...] = (
    r"loved[ _]one", r"someone else", r"somebody else", r"another person", r"family member",
    r"a family", r"a relative", r"relative", r"someone i (?:love|care about)", r"for (?:him|her|them)", r"about (?:him|her|them)",
    r"(?:he|she|they) (?:is|are|has|have|uses?|drinks?|needs?)", r"(?:he|she)'?s", r"they'?re",
)

# Who the *person named* is. "my son" names a child, so the caller is a parent;
# "I'm his mom" or a bare "mom" names the caller, so the caller is a parent too.
ROLE_WORDS: Dict[str, Tuple[str, ...]] = {
    "parent": (
        r"parents?", r"mom", r"mum", r"mommy", r"mother", r"dad", r"daddy", r"father",
        r"step ?(?:mom|mother|dad|father)", r"guardian",
    ),
    "child": (
        r"child", r"children", r"kids?", r"sons?", r"daughters?", r"step ?(?:son|daughter)",
    ),
    "partner": (
        r"partner", r"spouse", r"husband", r"wife", r"boyfriend", r"girlfriend", r"bf", r"gf", r"hubby", r"wifey",
        r"fiance", r"fiancee", r"significant other", r"ex", r"ex[- ]?(?:husband|wife|partner)",
    ),
    "sibling": (
        r"siblings?", r"brothers?", r"sisters?", r"step ?(?:brother|sister)", r"twin", r"bro", r"sis",
    ),
    "friend": (
        r"friends?", r"best friend", r"bestie", r"buddy", r"roommate", r"room mate", r"co-?worker",
        r"colleague", r"neighbou?r",
    ),
    "other": (
        r"other", r"cousin", r"aunt", r"uncle", r"niece", r"nephew", r"grand(?:ma|pa|mother|father)",
        r"grand(?:son|daughter|child|kid)", r"in-?laws?", r"boss", r"employee", r"client", r"patient",
        r"student", r"teacher", r"pastor",
    ),
}
# Helping professionals answer the relation question ("I'm his social worker": other). Not
# roles for "who is it for": "my counselor told me to call" is someone asking for themselves.
CARE_ROLES: Tuple[str, ...] = (
    r"social worker", r"case ?worker", r"case manager", r"probation officer", r"parole officer", r"counsell?or",
    r"therapist", r"doctor", r"nurse", r"sponsor",
) + es.CARE_ROLES
# "He's like a brother to me": a likeness, not the relation.
_LIKENESS = re.compile(rf"\blike (?:a|an|my) \w+ to (?:me|us)\b|\blike family\b|{es.LIKENESS}")
CALLER_RELATIONS = ("parent", "partner", "child", "sibling", "friend", "other")
# The caller's relation when they name the other person's role ("my <role>").
_INVERSE_ROLE = {"parent": "child", "child": "parent"}

SUBSTANCES: Dict[str, Tuple[str, ...]] = {
    "alcohol": (
        r"alcohol", r"alcoholic", r"alcoholism", r"drink(?:s|ing|er)?", r"drank", r"drunk",
        r"beers?", r"wine", r"liquor", r"vodka", r"whiske?y", r"tequila", r"rum", r"gin",
        r"booze", r"seltzers?",
    ),
    "opioids": (
        r"opioids?", r"opiates?", r"fent(?:anyl)?", r"fetty", r"heroin", r"dope", r"smack",
        r"oxys?", r"oxycodone", r"oxycontin", r"oxycotton", r"percs?", r"percocets?", r"pain ?pills?",
        r"pain ?killers?", r"pain meds?", r"hydrocodone", r"vicodin", r"norcos?", r"morphine",
        r"dilaudid", r"hydromorphone", r"codeine", r"tramadol", r"methadone", r"blues", r"m30s?",
        r"kratom",
    ),
    "stimulants": (
        r"stimulants?", r"meth", r"methamphetamine", r"crystal", r"ice", r"speed",
        r"cocaine", r"coke", r"crack", r"blow", r"adderall", r"addy", r"amphetamines?",
        r"ritalin", r"vyvanse", r"uppers",
    ),
    "benzodiazepines": (
        r"benzodiazepines?", r"benzos?", r"xanax", r"xannies", r"xans?", r"alprazolam",
        r"klonopin", r"klonopins", r"clonazepam", r"valium", r"diazepam", r"ativan", r"lorazepam",
        r"downers",
    ),
    "cannabis": (
        r"cannabis", r"weed", r"marijuana", r"marihuana", r"pot", r"thc", r"edibles?", r"dabs?",
        r"dabbing", r"joints?", r"blunts?", r"smoking weed", r"mary jane", r"ganja",
    ),
    "other": (
        r"other", r"ketamine", r"special k", r"lsd", r"acid", r"mushrooms", r"shrooms",
        r"ecstasy", r"mdma", r"molly", r"inhalants?", r"huffing", r"spice", r"k2", r"gabapentin",
        r"sleeping pills?", r"ambien", r"ghb", r"pcp", r"bath salts", r"steroids",
    ),
}
NONE_WORDS: Tuple[str, ...] = (
    r"none", r"no", r"nope", r"nothing", r"not any", r"neither", r"n/?a", r"nah", r"no one",
    r"none of (?:these|those|them|the above)", r"no symptoms", r"no signs",
)

LAST_USE_VALUES = ("today", "yesterday", "this week", "this month", "longer")
# Phrases that name a recent time. "longer" phrases are weaker evidence than a
# stated amount ("sober 3 weeks") and are checked last; see parse_last_use.
LAST_USE_PHRASES: Dict[str, Tuple[str, ...]] = {
    "today": (
        r"today", r"tonight", r"this morning", r"this afternoon", r"this evening", r"right now",
        r"currently (?:using|drinking|high|drunk|on it)", r"still (?:using|drinking|high|drunk)", r"earlier",
        r"just now", r"(?:high|drunk|using|drinking) (?:right )?now", r"i'?m (?:high|drunk)", r"minutes ago",
        r"daily", r"every ?day", r"every night", r"all the time", r"constantly",
    ),
    "yesterday": (r"yesterday", r"last night", r"the other night"),
    "this week": (
        r"this week", r"(?:a )?few days(?: ago)?", r"couple (?:of )?days(?: ago)?", r"several days",
        r"past week", r"over the weekend", r"(?:this|last) weekend",
        r"(?:on |last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    ),
    "this month": (
        r"this month", r"last week", r"few weeks(?: ago)?", r"couple (?:of )?weeks(?: ago)?",
        r"several weeks", r"past month", r"a month ago",
    ),
}
LAST_USE_LONGER: Tuple[str, ...] = (
    r"longer", r"long time", r"(?:a )?while ago", r"ages", r"months", r"years?",
    r"last year", r"(?:a )?few months", r"couple (?:of )?months", r"over a month", r"sober",
    r"clean", r"in recovery",
)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "couple of": 2,
    "few": 3, "a few": 3, "several": 4, "a couple": 2, "a couple of": 2,
}
_UNIT_DAYS = {"hour": 1 / 24, "hr": 1 / 24, "day": 1, "night": 1, "week": 7, "wk": 7, "month": 30, "year": 365, "yr": 365}
# "twice a day" is how often, not how long ago.
_FREQUENCY_WORDS = {"once", "twice", "thrice", "times", "x", "every", "per", "each"}

# We cannot judge severity in chat: any vomiting counts as "severe_vomiting" so
# staff, not the parser, decide it was mild.
WITHDRAWAL_SIGNS: Dict[str, Tuple[str, ...]] = {
    "shaking": (
        r"shak(?:e|es|ing|y|iness)", r"the shakes", r"tremors?", r"trembl(?:e|es|ing)", r"jitter(?:s|y)",
    ),
    "seizures": (r"seizures?", r"seizing", r"convulsions?", r"convulsing", r"fits", r"blacked out and shook"),
    "hallucinations": (
        r"hallucinat\w*", r"seeing things", r"hearing things", r"hearing voices", r"seeing bugs",
        r"sees? (?:things|bugs|people|stuff)", r"hears? (?:things|voices)", r"bugs (?:crawling|on)", r"dts", r"d\.t\.s", r"delirium(?: tremens)?", r"paranoi[ad]\w*",
    ),
    "severe_vomiting": (
        r"severe vomiting", r"vomit\w*", r"throw(?:ing)? up", r"threw up", r"puk(?:e|es|ing)",
        r"can'?t keep (?:anything|food|water|it) down",
    ),
    "other": (
        r"sweat\w*", r"nause\w*", r"anxi\w*", r"can'?t sleep", r"insomnia", r"cramps?", r"aches?",
        r"achy", r"diarrh\w*", r"chills", r"restless\w*", r"dope ?sick", r"sick", r"withdrawals?",
        r"headaches?", r"racing heart", r"heart racing", r"panic\w*",
    ),
}

PRIOR_TREATMENT: Dict[str, Tuple[str, ...]] = {
    "detox": (r"detox\w*", r"withdrawal management"),
    "inpatient": (
        r"inpatient", r"in-patient", r"residential", r"(?<!outpatient )(?<!out-patient )rehab",
        r"treatment cent(?:er|re)", r"(?:28|30|60|90)[- ]day(?: program)?",
    ),
    "outpatient": (
        r"outpatient", r"out-patient", r"iop", r"php", r"partial hospitali[sz]ation",
        r"intensive outpatient", r"counsel(?:ing|or|ling|lor)", r"therap(?:y|ist)", r"day program",
        r"(?:evening|night|afternoon) programs?", r"(?:a )?program like (?:this(?: one)?|yours)",
    ),
    "mat": (
        r"mat", r"meds", r"medications?", r"medication[- ]assisted", r"suboxone", r"subutex",
        r"buprenorphine", r"sublocade", r"methadone", r"vivitrol", r"naltrexone", r"antabuse",
        r"methadone clinic",
    ),
    "other": (r"aa", r"na", r"12[- ]step\w*", r"twelve[- ]step\w*", r"meetings?", r"sober living", r"smart recovery"),
}
PRIOR_TREATMENT_NONE: Tuple[str, ...] = NONE_WORDS + (
    r"never", r"first time", r"never been", r"not yet", r"never tried", r"this is the first",
)

# Canonical carrier name -> aliases.
INSURANCE_CARRIERS: Dict[str, Tuple[str, ...]] = {
    "Aetna": (r"aetna",),
    "Blue Cross Blue Shield": (
        r"blue ?cross(?: blue ?shield)?", r"blue ?shield", r"bcbs", r"bcbsaz", r"anthem", r"bc/bs",
    ),
    "Cigna": (r"cigna",),
    "UnitedHealthcare": (
        r"united ?health ?care", r"united ?health", r"united", r"uhc", r"optum",
    ),
    "Humana": (r"humana",),
    "Kaiser": (r"kaiser(?: permanente)?",),
    "Tricare": (r"tricare", r"tri-care", r"military insurance"),
    "Ambetter": (r"ambetter",),
    # AHCCCS (Arizona Medicaid) is pronounced "access"; only the bare word or "AZ access" means it.
    "Medicaid": (r"medicaid", r"ahcccs", r"^access$", r"(?:az|arizona) access", r"medi-?cal", r"state insurance"),
    "Medicare": (r"medicare",),
}
INSURANCE_NONE: Tuple[str, ...] = (r"none", r"no", r"nope", r"nothing", r"n/?a", r"no i don'?t", r"i don'?t", r"not insured")
INSURANCE_NONE_PHRASES: Tuple[str, ...] = (
    r"no insurance", r"not insured", r"uninsured", r"(?:don'?t|dont|do not) have (?:any )?(?:insurance|coverage)",
    r"(?:don'?t|dont|do not|doesn'?t|does not) have (?:any|one)",
    r"have no (?:insurance|coverage)", r"no coverage", r"lost (?:my|his|her|their) insurance", r"i have none",
)
# "yes"/"I have insurance" without a name: ask which carrier rather than store "other: yes".
INSURANCE_UNNAMED = re.compile(
    r"(?:yes|yeah|yep|yup|y)?[ ,]*(?:i (?:do|have(?: it| one| insurance| some)?)|we (?:do|have(?: insurance)?)|(?:he|she|they) (?:does|do|has|have(?: insurance)?))?(?: insurance)?"
)
INSURANCE_SELF_PAY: Tuple[str, ...] = (
    r"self[- ]?pay", r"cash", r"private ?pay", r"pay (?:it )?myself", r"out of pocket", r"pay out of pocket",
)
DONT_KNOW_PHRASES: Tuple[str, ...] = (
    r"not sure", r"unsure", r"i don'?t know", r"don'?t know", r"dont know", r"do not know", r"don'?t remember",
    r"no idea", r"no clue", r"idk", r"dunno", r"not certain", r"can'?t remember", r"i have no idea",
)
INSURANCE_UNKNOWN = DONT_KNOW_PHRASES

# State or territory name -> USPS code.
US_STATES: Dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "district of columbia": "DC", "washington dc": "DC", "washington d c": "DC", "d c": "DC",
    "puerto rico": "PR", "guam": "GU", "us virgin islands": "VI", "virgin islands": "VI",
    "american samoa": "AS", "northern mariana islands": "MP",
}
STATE_CODES = frozenset(US_STATES.values())

BEST_TIMES = ("morning", "afternoon", "evening", "anytime", "asap")
BEST_TIME_ASAP: Tuple[str, ...] = (
    r"asap", r"a\.s\.a\.p", r"as soon as possible", r"as soon as you can", r"right away", r"right now",
    r"now", r"immediately", r"urgent(?:ly)?", r"straight away", r"quickly",
)
# Checked in this order after ASAP and clock times: a named window beats "any".
BEST_TIME_WINDOWS: Dict[str, Tuple[str, ...]] = {
    "morning": (r"mornings?", r"before noon", r"early", r"breakfast"),
    "afternoon": (r"afternoons?", r"after lunch", r"lunch(?:time)?", r"midday", r"noon", r"mid-?day"),
    "evening": (r"evenings?", r"nights?", r"tonight", r"after work", r"after dinner", r"late"),
}
BEST_TIME_ANYTIME: Tuple[str, ...] = (
    r"any ?time", r"whenever", r"doesn'?t matter", r"does not matter", r"all day", r"any", r"flexible",
    r"no preference", r"either", r"any time is fine",
)
# Vague "soon"/"today" means sooner is better, but only if no window was named.
BEST_TIME_SOON: Tuple[str, ...] = (r"soon", r"today", r"sooner the better")

# Idioms whose words would read as the opposite answer; replaced before judging.
YES_IDIOMS: Tuple[str, ...] = (
    r"(?:i )?don'?t mind", r"(?:i )?do not mind", r"no problem", r"not a problem", r"no worries", r"why not",
    r"no objections?", r"not at all a problem",
)
NO_IDIOMS: Tuple[str, ...] = (r"please don'?t", r"no thanks?(?: you)?", r"(?:i'?d )?rather not", r"not okay", r"not ok", r"not fine")
YES_WORDS: Tuple[str, ...] = (
    r"yes", r"y", r"yeah", r"yea", r"yep", r"yup", r"ya", r"sure", r"ok", r"okay", r"k", r"of course",
    r"absolutely", r"definitely", r"please do", r"go ahead", r"that'?s fine", r"fine", r"correct",
    r"i agree", r"agree", r"i do", r"i consent", r"consent", r"affirmative", r"yes please", r"true",
    r"that'?s ok(?:ay)?", r"it'?s ok(?:ay)?", r"sounds good", r"please", r"/affirm",
)
NO_WORDS: Tuple[str, ...] = (
    r"no", r"n", r"nope", r"nah", r"never", r"not", r"don'?t", r"dont", r"do not", r"i'?d rather not",
    r"rather not", r"no thanks", r"no thank you", r"please don'?t", r"false", r"/deny", r"decline",
    r"refuse",
)
# Words that turn an answer into a hedge; consent must be unqualified.
HEDGE_WORDS: Tuple[str, ...] = (r"maybe", r"not sure", r"i guess", r"probably", r"depends", r"unsure", r"idk", r"perhaps", r"i think so")

NAME_DECLINE: Tuple[str, ...] = (
    r"prefer not(?: to)?(?: say| share| tell)?", r"rather not(?: say| share| tell)?", r"i'?d rather not(?: say)?",
    r"no name", r"not telling", r"anonymous", r"anon", r"skip", r"pass", r"none of your business",
    r"don'?t want to (?:say|share|tell|give)(?: it| my name)?", r"no thanks", r"prefer_not_to_say",
    r"i prefer not to (?:say|share)", r"n/?a",
)
NAME_PREFIXES: Tuple[str, ...] = (
    r"my name is", r"my name'?s", r"name is", r"name'?s", r"my first name is", r"first name is", r"i am",
    r"i'?m", r"im", r"it'?s", r"its", r"this is", r"call me", r"you can call me", r"they call me", r"ask for",
)

# Words no first name is made of: a reply holding one is a sentence, not a name
# ("whatever doesnt matter", "why do u need my name", "after 5 works best").
# Words that are also names (Will, May, Hope, June, Grace...) are left out on purpose.
NOT_NAME_WORDS = frozenset("""
    i me my mine you your u ur he him his she her they them their we us our it its it's this that these those
    what why how when where who which whatever whoever doesnt doesn't dont don't do does did not no yes yeah yep
    nope ok okay sure maybe idk the a an and or but if so to for of in on at by with about from after before
    is are was were be been am can could would should wont want need needs wanna gonna just really actually
    matter matters care please pls thanks thank anything nothing something everything anyone someone somebody
    nobody name names number phone call text works best time morning afternoon evening night tomorrow today
    here there now then again also too very have has had get got help son daughter husband wife mom dad mother
    father brother sister friend boyfriend girlfriend partner kid kids child mine self myself yourself question
    using drinking drugs alcohol sober rehab detox insurance later anymore stop quit cancel human person agent
    representative bot robot
""".split())  # noqa: SIM905 (a word list reads best as text)
MAX_NAME_WORDS = 3

MEMBER_ID_SKIP: Tuple[str, ...] = (
    r"skip", r"no", r"nope", r"later", r"not now", r"don'?t have it", r"dont have it", r"i don'?t have(?: it| one)?",
    r"not sure", r"don'?t know", r"idk", r"no idea", r"n/?a", r"none", r"rather not", r"prefer not(?: to say)?",
    r"not with me", r"don'?t have (?:my|the) card", r"pass",
)

# Suicide-risk screen: items 1 and 2 of the C-SSRS Screener (recent, "in the past
# month"), or our adapted question about a loved one. Answers are "yes", "no" or
# "declined" (prefer not to say: never stored as "no"). Any endorsement counts as
# yes, as the screener scores it: "sometimes", "kinda", "a little", "i think so".
# An answer about another time than the past month ("not anymore", "used to") or
# a don't-know is unclear: the form asks once more, then stores "unclear".
SCREEN_YES = "yes"
SCREEN_NO = "no"
SCREEN_DECLINED = "declined"
SCREEN_UNCLEAR = "unclear"
SCREEN_ANSWERS = (SCREEN_YES, SCREEN_NO, SCREEN_DECLINED)
SCREEN_DECLINE_WORDS: Tuple[str, ...] = (
    r"prefer not(?: to)?(?: say| answer| share| tell| talk about (?:it|that))?", r"prefer_not_to_say",
    r"(?:i'?d )?rather not(?: say| answer| share| tell| talk about (?:it|that))?",
    r"(?:i )?(?:don'?t|do not) (?:want|wanna) to (?:say|answer|share|tell|talk about (?:it|that))", r"(?:i )?(?:don'?t|do not) wanna (?:say|answer|talk about (?:it|that))",
    r"not comfortable(?: (?:answering|saying|sharing)(?: that)?)?", r"no comment", r"pass", r"skip", r"declined?",
    r"none of your business", r"(?:that'?s )?private", r"(?:i'?ll |i will )?keep (?:that|it) to myself",
)
SCREEN_UNCLEAR_WORDS: Tuple[str, ...] = (
    # Another time than the past month.
    r"not any ?more", r"no longer", r"used to", r"in the past(?! (?:month|30 days|4 weeks|four weeks))", r"years ago", r"(?:a )?long time ago", r"back then",
    r"not (?:right )?now", r"when i was (?:younger|a kid|a teen(?:ager)?|little)",
    # Neither yes nor no.
    r"not really", r"not exactly", r"maybe", r"hard to say", r"it depends", r"depends", r"sort of not",
)
SCREEN_NO_WORDS: Tuple[str, ...] = (
    r"no", r"n", r"nope", r"nah", r"nay", r"(?:i'?ve |i have |no,? )?never", r"not at all", r"no way", r"not once",
    r"none", r"nothing(?: like that)?", r"(?:probably|i guess|i think|i suppose) not", r"(?:i )?(?:have not|haven'?t|havent)", r"(?:i )?(?:did not|didn'?t|didnt)",
    r"(?:i )?(?:do not|don'?t|dont)(?: think so)?", r"(?:i'?m|i am|im) not", r"not me", r"not lately", r"not recently",
    r"not (?:this month|in the (?:past|last) (?:month|30 days|4 weeks|four weeks))", r"(?:absolutely|definitely|of course|certainly|hell) not", r"hell no",
    r"false", r"/deny",
)
SCREEN_YES_WORDS: Tuple[str, ...] = (
    r"yes", r"y", r"yeah", r"yea", r"yep", r"yup", r"ya", r"yah", r"si", r"sure", r"true", r"correct", r"definitely",
    r"absolutely", r"of course", r"i have", r"i'?ve (?:had|thought|wished|felt|been)", r"i did", r"i do", r"i think so",
    r"probably", r"i guess(?: so)?", r"sometimes", r"some times", r"at times", r"kinda", r"kind of", r"sorta",
    r"sort of", r"a (?:little|bit)(?: bit)?", r"somewhat", r"more or less", r"occasionally", r"once or twice",
    r"a (?:few|couple(?: of)?) times", r"once", r"(?:every )?now and (?:then|again)", r"here and there",
    r"on and off", r"off and on", r"often", r"a lot", r"lots", r"all the time", r"constantly", r"every ?day",
    r"daily", r"most days", r"every night", r"lately", r"recently", r"/affirm",
)


# --------------------------------------------------------------------------
# Spanish (helpline.intake.spanish), merged into the tables above: every
# answer is read in both languages at once, as people mix them ("my son, tiene 19").
# --------------------------------------------------------------------------

def _merge(english: Mapping[str, Tuple[str, ...]], spanish: Mapping[str, Tuple[str, ...]]) -> Dict[str, Tuple[str, ...]]:
    """The English table with the Spanish entries added under the same keys (English key order)."""
    return {key: tuple(english.get(key, ())) + tuple(spanish.get(key, ())) for key in {**english, **spanish}}


WHO_FOR_SELF += es.WHO_FOR_SELF
WHO_FOR_LOVED_ONE += es.WHO_FOR_LOVED_ONE
ROLE_WORDS = _merge(ROLE_WORDS, es.ROLE_WORDS)
SUBSTANCES = _merge(SUBSTANCES, es.SUBSTANCES)
NONE_WORDS += es.NONE_WORDS
LAST_USE_PHRASES = _merge(LAST_USE_PHRASES, es.LAST_USE_PHRASES)
LAST_USE_LONGER += es.LAST_USE_LONGER
_NUMBER_WORDS = {**_NUMBER_WORDS, **es.NUMBER_WORDS}
_UNIT_DAYS = {**_UNIT_DAYS, **es.UNIT_DAYS}
_FREQUENCY_WORDS = _FREQUENCY_WORDS | es.FREQUENCY_WORDS
WITHDRAWAL_SIGNS = _merge(WITHDRAWAL_SIGNS, es.WITHDRAWAL_SIGNS)
PRIOR_TREATMENT = _merge(PRIOR_TREATMENT, es.PRIOR_TREATMENT)
PRIOR_TREATMENT_NONE += es.NONE_WORDS + es.PRIOR_TREATMENT_NONE
INSURANCE_CARRIERS = _merge(INSURANCE_CARRIERS, es.INSURANCE_CARRIERS)
INSURANCE_NONE += es.INSURANCE_NONE + es.NONE_WORDS
INSURANCE_NONE_PHRASES += es.INSURANCE_NONE_PHRASES
INSURANCE_SELF_PAY += es.INSURANCE_SELF_PAY
DONT_KNOW_PHRASES += es.DONT_KNOW
INSURANCE_UNKNOWN = DONT_KNOW_PHRASES
US_STATES = {**US_STATES, **es.US_STATES}
BEST_TIME_ASAP += es.BEST_TIME_ASAP
BEST_TIME_WINDOWS = _merge(BEST_TIME_WINDOWS, es.BEST_TIME_WINDOWS)
BEST_TIME_ANYTIME += es.BEST_TIME_ANYTIME
BEST_TIME_SOON += es.BEST_TIME_SOON
YES_IDIOMS += es.YES_IDIOMS
NO_IDIOMS += es.NO_IDIOMS
YES_WORDS += es.YES_WORDS
NO_WORDS += es.NO_WORDS
HEDGE_WORDS += es.HEDGE_WORDS
NAME_DECLINE += es.NAME_DECLINE
NAME_PREFIXES += es.NAME_PREFIXES
NOT_NAME_WORDS = NOT_NAME_WORDS | es.NOT_NAME_WORDS
MEMBER_ID_SKIP += es.SKIP_WORDS + (
    r"no (?:lo|la) tengo", r"no tengo (?:la tarjeta|el numero)", r"no (?:lo|la) traigo", r"no traigo (?:la tarjeta|el numero)",
    r"despues", r"luego", r"mas tarde", r"ahorita no", r"ningun[oa]", r"prefiero no", r"no se", r"nel",
)
SCREEN_DECLINE_WORDS += es.SCREEN_DECLINE_WORDS
SCREEN_UNCLEAR_WORDS += es.SCREEN_UNCLEAR_WORDS
SCREEN_NO_WORDS += es.SCREEN_NO_WORDS
SCREEN_YES_WORDS += es.SCREEN_YES_WORDS
# Skipping an optional question, as the whole answer.
SKIP_WORDS = (
    r"skip", r"pass", r"next", r"skip (?:it|this|this one|this question)", r"/skip",
    # Not wanting to talk about it declines the question: never a "no" / "none".
    r"(?:i )?(?:don'?t|do not) (?:want to|wanna) talk about (?:it|that|this)", r"(?:i'?d )?rather not talk about (?:it|that|this)",
) + es.SKIP_WORDS

# Negations that cancel the next few words: "no seizures", "doesn't drink".
_NEGATORS = (
    r"(?:no|not|never|without|don'?t|dont|doesn'?t|didn'?t|isn'?t|aren'?t|haven'?t|hasn'?t|hasnt|havent|nor"
    r"|nunca|jamas|ni|sin|tampoco|nada|ningun|ninguna|ninguno|nel)"
)
# Small Spanish words a negation reaches past: "nunca ha estado en un anexo".
_NEGATION_SKIPS = frozenset(
    # Not "me", "he", "has": English words too ("he doesnt give me my dope" is not a negated "dope").
    "un una unos unas el la los las de del al lo le les se te ha han hemos habia estado tenido sido en".split()  # noqa: SIM905
)


# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------

# Texting spellings, read as the words the tables hold ("last nite", "txt is ok").
SMS_SPELLINGS: Dict[str, str] = {
    "nite": "night", "tonite": "tonight", "2nite": "tonight", "2day": "today", "tday": "today",
    "yday": "yesterday", "yest": "yesterday", "tmrw": "tomorrow", "tmr": "tomorrow", "tmrrw": "tomorrow",
    "txt": "text", "txts": "texts", "txting": "texting", "msg": "message", "msgs": "messages",
    "vmail": "voicemail", "mornin": "morning", "aft": "afternoon", "eve": "evening", "wk": "week",
    "wknd": "weekend", "yr": "year", "yrs": "years", "rn": "right now",
    **es.SMS_SPELLINGS,
}
_SMS_SPELLING = re.compile(rf"(?<![\w'])(?:{'|'.join(map(re.escape, SMS_SPELLINGS))})(?![\w'])")
_PARA_SHORT = re.compile(es.PARA_SHORT)


def _normalize(text: str) -> str:
    """Lower-case, straight quotes, no accents, single spaces, texting spellings spelt out."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace("\u00bf", " ").replace("\u00a1", " ")  # Spanish opening marks: "¿", "¡"
    text = re.sub(r"\s+", " ", text).strip().lower()
    text = _SMS_SPELLING.sub(lambda m: SMS_SPELLINGS[m.group(0)], text)
    # After the texting spellings: "pa mijo" is "para mi hijo".
    return _PARA_SHORT.sub("para", text)


def _precheck(text: Optional[str], limit: int = MAX_ANSWER_CHARS) -> Union[str, Parsed]:
    """Shared empty/too-long checks: the normalised text, or the failure to return as it is.

    One value rather than a pair so that an ``isinstance(clean, Parsed)`` check leaves ``clean`` a ``str``."""
    if text is None or not str(text).strip():
        return _fail(EMPTY)
    raw = str(text).strip()
    if len(raw) > limit:
        return _fail(TOO_LONG)
    return _normalize(raw)


def _alternation(fragments: Iterable[str]) -> str:
    # Longest first so "blue cross blue shield" wins over "blue cross".
    return "|".join(sorted(fragments, key=len, reverse=True))


def _word_pattern(fragments: Iterable[str]) -> re.Pattern[str]:
    # Whole words only; a possessive "'s" may follow ("my son's drinking").
    return re.compile(rf"(?<![\w'])(?:{_alternation(fragments)})(?!\w|'(?!s\b))")


def _compile_table(table: Mapping[str, Sequence[str]]) -> Dict[str, re.Pattern[str]]:
    return {key: _word_pattern(fragments) for key, fragments in table.items()}


def _bare(text: str) -> str:
    """Text without surrounding punctuation, for whole-answer comparisons."""
    return re.sub(r"^[\s.,!?;:'\"()\-\u00bf\u00a1]+|[\s.,!?;:'\"()\-]+$", "", text)


def _fold(text: str) -> str:
    """Lower case without accents, one character for one ("Dígame" -> "digame"), so that
    a position found in the folded text cuts the text as typed at the same place."""
    return "".join((unicodedata.normalize("NFKD", ch)[:1] or ch).lower()[:1] for ch in text)


def _is_whole(text: str, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.fullmatch(_bare(text)))


def _negated(text: str, start: int) -> bool:
    """True when a negator sits within the three words before ``start`` in the same clause."""
    before = re.split(r"[,.;!?]| but | and | though | pero | y | aunque | sino ", text[:start])[-1]
    # "nada más" is "only"; "si no contesto" / "if i don't answer" is a condition, not a refusal.
    before = re.sub(r"\bnada mas\b|\b(?:si|if) (?:no|i don'?t|i do not|i can'?t) \w+", " ", before)
    words = [word for word in before.split() if word not in _NEGATION_SKIPS][-3:]
    return any(re.fullmatch(_NEGATORS, w) for w in words)


def _find_all(text: str, patterns: Mapping[str, re.Pattern[str]], *, honour_negation: bool) -> List[str]:
    """Keys of ``patterns`` mentioned in ``text`` (not negated), in table order."""
    found = []
    for key, pattern in patterns.items():
        for match in pattern.finditer(text):
            if honour_negation and _negated(text, match.start()):
                continue
            found.append(key)
            break
    return found


def _first(text: str, patterns: Mapping[str, re.Pattern[str]]) -> Optional[str]:
    """The key whose mention comes first in ``text``."""
    best: Optional[Tuple[int, str]] = None
    for key, pattern in patterns.items():
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), key)
    return best[1] if best else None


_WHO_SELF = _word_pattern(WHO_FOR_SELF)
_WHO_OTHER = _word_pattern(WHO_FOR_LOVED_ONE)
_ROLES = _compile_table({**ROLE_WORDS, "other": ROLE_WORDS["other"] + CARE_ROLES})
_ALL_ROLES = _word_pattern(f for fragments in ROLE_WORDS.values() for f in fragments if f != "other")
_SUBSTANCES = _compile_table(SUBSTANCES)
_NONE = _word_pattern(NONE_WORDS)
_LAST_USE = _compile_table(LAST_USE_PHRASES)
_LAST_USE_LONGER = _word_pattern(LAST_USE_LONGER)
_WITHDRAWAL = _compile_table(WITHDRAWAL_SIGNS)
_TREATMENT = _compile_table(PRIOR_TREATMENT)
_TREATMENT_NONE = _word_pattern(PRIOR_TREATMENT_NONE)
_CARRIERS = _compile_table(INSURANCE_CARRIERS)
_INS_NONE = _word_pattern(INSURANCE_NONE)
_INS_NONE_PHRASES = _word_pattern(INSURANCE_NONE_PHRASES)
_INS_SELF_PAY = _word_pattern(INSURANCE_SELF_PAY)
_INS_UNKNOWN = _word_pattern(INSURANCE_UNKNOWN)
_DONT_KNOW = _word_pattern(DONT_KNOW_PHRASES)
# "no", "none." or "nope, nothing" -- but not "no idea".
_NONE_ANSWER = re.compile(rf"^(?:{_alternation(NONE_WORDS)})(?:$|[\s,.!]+(?!idea|clue))")
_STATE_NAMES = _word_pattern(re.escape(name) for name in US_STATES)
# Cities people name instead of their state: the largest ones, and those of the sample
# facility's state (most callers of an Arizona helpline say "phoenix" or "tucson").
CITY_STATES: Dict[str, str] = {
    "phoenix": "AZ", "tucson": "AZ", "mesa": "AZ", "scottsdale": "AZ", "chandler": "AZ", "tempe": "AZ",
    "gilbert": "AZ", "peoria az": "AZ", "surprise az": "AZ", "flagstaff": "AZ", "yuma": "AZ", "prescott": "AZ",
    "goodyear": "AZ", "buckeye": "AZ", "casa grande": "AZ", "sierra vista": "AZ", "lake havasu": "AZ",
    "new york city": "NY", "nyc": "NY", "los angeles": "CA", "san diego": "CA", "san francisco": "CA",
    "chicago": "IL", "houston": "TX", "dallas": "TX", "san antonio": "TX", "austin": "TX", "el paso": "TX",
    "philadelphia": "PA", "las vegas": "NV", "albuquerque": "NM", "denver": "CO", "seattle": "WA",
    "atlanta": "GA", "miami": "FL", "boston": "MA", "detroit": "MI", "salt lake city": "UT",
    **es.CITY_STATES,
}
_NOT_US_PLACES = re.compile(es.NOT_US_PLACES)
_CITY_NAMES = _word_pattern(re.escape(name) for name in CITY_STATES)
_BEST_ASAP = _word_pattern(BEST_TIME_ASAP)
_BEST_WINDOWS = _compile_table(BEST_TIME_WINDOWS)
_BEST_ANYTIME = _word_pattern(BEST_TIME_ANYTIME)
_BEST_SOON = _word_pattern(BEST_TIME_SOON)
_YES_IDIOMS = _word_pattern(YES_IDIOMS)
_NO_IDIOMS = _word_pattern(NO_IDIOMS)
_YES = _word_pattern(YES_WORDS)
_NO = _word_pattern(NO_WORDS)
_HEDGE = re.compile(rf"{_word_pattern(HEDGE_WORDS).pattern}|\?")
_HEDGE_ONLY = re.compile(rf"(?:{_alternation(HEDGE_WORDS)})(?:[\s,.]+(?:{_alternation(HEDGE_WORDS)}))*")
_NAME_DECLINE = _word_pattern(NAME_DECLINE)
_NAME_PREFIX = re.compile(rf"^(?:{_alternation(NAME_PREFIXES)})\s+")
_MEMBER_SKIP = _word_pattern(MEMBER_ID_SKIP)
_SCREEN_DECLINE = _word_pattern(SCREEN_DECLINE_WORDS)
_SCREEN_UNCLEAR = _word_pattern(SCREEN_UNCLEAR_WORDS)
_SCREEN_NO = _word_pattern(SCREEN_NO_WORDS)
_SCREEN_YES = _word_pattern(SCREEN_YES_WORDS)
_SCREEN_ENDORSE = re.compile(es.SCREEN_ENDORSE)
_SCREEN_INTENT_DENIAL = re.compile(es.SCREEN_INTENT_DENIAL)
_SKIP = re.compile(rf"^(?:{_alternation(SKIP_WORDS)})$")
_YES_WHOLE = re.compile(
    rf"^(?:{_alternation(es.YES_WHOLE_ANSWER)})(?:[\s,.!]+(?:pues|gracias|por favor|si|ok))*[\s.!]*$"
)
_STRONG_SELF = re.compile(rf"\b(?:myself|for me|about me|it'?s me)\b|\b(?:{es.STRONG_SELF})")
_WITHDRAWAL_NONE = re.compile(rf"\bno (?:symptoms|signs|withdrawals?)\b|{es.WITHDRAWAL_NONE}")


def _skipped(clean: str) -> bool:
    """The whole answer skips the question: "skip", "paso", "prefiero no decir"."""
    return bool(_SKIP.match(_bare(clean)))


# --------------------------------------------------------------------------
# Parsers, one per slot
# --------------------------------------------------------------------------

def parse_who_for(text: Optional[str]) -> Parsed:
    """``"self"`` or ``"loved_one"``. Naming another person ("my son") wins over "I"."""
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean)
    if bare == "self":
        return _ok("self")
    if bare in ("loved_one", "loved one"):
        return _ok("loved_one")
    if _skipped(clean):
        return _fail(SKIPPED)
    names_other = bool(_WHO_OTHER.search(clean) or _OTHER_PERSON.search(clean))
    strong_self = bool(_STRONG_SELF.search(clean))
    if names_other and strong_self:
        return _fail(UNCLEAR)
    if names_other:
        return _ok("loved_one")
    if _WHO_SELF.search(clean):
        return _ok("self")
    return _fail(UNRECOGNIZED)


_OTHER_PERSON = re.compile(rf"\b(?:my|our|a|his|her|their|{es.POSSESSIVES})\s+(?:\w+\s+)?(?:{_ALL_ROLES.pattern})")
_POSSESSIVE_ROLE = re.compile(
    rf"\b(?:my|our|{es.OWN_POSSESSIVES})\s+(?:own\s+|best\s+|little\s+|big\s+|older\s+|younger\s+|adult\s+|teenage\s+|oldest\s+|youngest\s+)?(.+)"
)


def parse_caller_relation(text: Optional[str]) -> Parsed:
    """How the caller is related to the person they call about.

    "my son" -> ``parent``; "my mom" -> ``child``; "I'm his mom" or the button
    "parent" -> ``parent``; husband/wife/partner/spouse -> ``partner``.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean)
    if bare in CALLER_RELATIONS:
        return _ok(bare)
    if bare in ("other family", "other family member", "other relative"):
        return _ok("other")  # the "Other family" button (a bare "family" could be anyone: asked again)
    if _skipped(clean):
        return _fail(SKIPPED)
    clean = _LIKENESS.sub(" ", clean)  # "somos amigos, es como mi hermano": friends
    possessive = _POSSESSIVE_ROLE.search(clean)
    if possessive:
        role = _first(possessive.group(1), _ROLES)
        if role:
            return _ok(_INVERSE_ROLE.get(role, role))
    role = _first(clean, _ROLES)
    if role:
        return _ok(role)
    return _fail(UNRECOGNIZED)


# Greetings before a name. English ones go even alone (as before); a Spanish one ("sí",
# "hola") only when a name follows, or "sí" alone would be an empty answer.
_GREETING = re.compile(rf"^(?:(?:hi|hello|hey)\b[\s,!.]*|(?:{es.GREETINGS})\b[\s,!.]*(?=\S))")
# Words that end the name: "Dave is fine", "Ann with an e" (and the Spanish ones, with how a name is spelt).
NAME_ENDS = r"is fine|is ok(?:ay)?|is good|works|with (?:an? |two |double )?[a-z](?:'?s)?"
_NAME_END = re.compile(rf"\s+(?:{NAME_ENDS}|{es.NAME_ENDS}|{es.SPELLING_HINT})\b")


def names_itself(text: Optional[str]) -> bool:
    """Whether the text says it gives a name: "my name is ...", "you can call me ...", "me llamo ..."."""
    clean = _GREETING.sub("", _normalize(str(text or "")).strip())
    return bool(_NAME_PREFIX.match(clean))


def _capitalised(name: str) -> str:
    """"maría de la luz" -> "María de la Luz": each word capitalised, the small words inside kept small."""
    parts = name.split(" ")
    return " ".join(
        part.lower() if 0 < i < len(parts) - 1 and _fold(part) in es.NAME_PARTICLES else part[:1].upper() + part[1:].lower()
        for i, part in enumerate(parts)
    )


def parse_first_name(text: Optional[str]) -> Parsed:
    """A first name as the caller gave it (capitalised if typed all one case, accents kept), or :data:`PREFER_NOT_TO_SAY`."""
    if text is None or not str(text).strip():
        return _fail(EMPTY)
    raw = re.sub(r"\s+", " ", str(text)).strip()
    if len(raw) > MAX_ANSWER_CHARS:
        return _fail(TOO_LONG)
    raw = raw.replace("\u2019", "'").lstrip("\u00bf\u00a1 ")
    # Drop greetings, "my name is" / "me llamo" and a trailing "thanks", keeping the caller's
    # casing and accents: the patterns are matched on the folded text, which has the same length.
    greeting = _GREETING.match(_fold(raw))
    raw = raw[greeting.end():] if greeting else raw
    lowered = _normalize(raw)
    if _NAME_DECLINE.match(lowered):
        return _ok(PREFER_NOT_TO_SAY)
    prefix = _NAME_PREFIX.match(_fold(raw))
    name = raw[prefix.end():] if prefix else raw
    name = re.sub(r"[\s,.!]+(?:thanks|thank you|thx|ty|gracias|muchas gracias)\W*$", "", name, flags=re.I)
    if re.fullmatch(r"[\d\s()+.\-]+", name.strip()):
        return _fail(DIGITS_ONLY)
    # "Linda, I'm his mother", "jen. pls dont say where ur calling from", "Rosa y soy su mamá":
    # the name comes first and the rest is an aside.
    name = re.split(r"\s*(?:[,.;!?()]|\s-\s)\s*", name.strip(" \t.,!?;:\"()"), maxsplit=1)[0]
    end = _NAME_END.search(_fold(name))
    name = name[: end.start()] if end else name
    name = name.strip(" \t.,!?;:\"()")
    if not name:
        return _fail(EMPTY)
    if len(name) > MAX_NAME_CHARS:
        return _fail(TOO_LONG)
    if not re.search(r"[^\W\d_]", name):
        return _fail(UNRECOGNIZED)
    words = _fold(name).split()
    if words[0] in es.NAME_PARTICLES or words[-1] in es.NAME_PARTICLES:
        return _fail(UNRECOGNIZED)  # "de Phoenix", "la mamá": not a name
    # "de", "la" inside a Spanish name ("María de la Luz") count for nothing.
    words = [word for word in words if word not in es.NAME_PARTICLES]
    if len(words) > MAX_NAME_WORDS or any(word in NOT_NAME_WORDS for word in words):
        return _fail(UNRECOGNIZED)
    if name.islower() or name.isupper():
        name = _capitalised(name)
    return _ok(name)


def parse_substances(text: Optional[str]) -> Parsed:
    """A list of substance categories, e.g. "mostly beer and some xanax" -> ``["alcohol", "benzodiazepines"]``.

    "none" gives ``[]``; a negated mention ("I don't drink") is not counted.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    if _skipped(clean):
        return _fail(SKIPPED)
    found = _find_all(clean, _SUBSTANCES, honour_negation=True)
    if found:
        return _ok(found)
    if _DONT_KNOW.search(clean):
        return _fail(DONT_KNOW)
    if _NONE_ANSWER.match(_bare(clean)):
        return _ok([])
    return _fail(UNRECOGNIZED)


# A number word is a word of its own: "a hora" is an hour, "ahora" (now) is not. English
# units take a plural "s"; the Spanish ones are listed with their plurals ("a mess" is no "mes").
_ENGLISH_UNITS = [unit for unit in _UNIT_DAYS if unit not in es.UNIT_DAYS]
_QUANTITY = re.compile(
    rf"\b([0-9]+(?:[.][0-9]+)?|(?:{_alternation(re.escape(w) for w in _NUMBER_WORDS)})(?=\s))\s*(?:\+\s*)?"
    rf"((?:{_alternation(_ENGLISH_UNITS)})(?=s?\b)|(?:{_alternation(es.UNIT_DAYS)})\b)s?\b(\s+ago)?"
)


_AGO_BEFORE = re.compile(es.AGO_BEFORE)
_AGO_AFTER = re.compile(es.AGO_AFTER)


def _stated_days(clean: str) -> Tuple[Optional[float], Optional[float]]:
    """``(days stated with "ago", largest days stated otherwise)``: "2 days ago" -> (2, None)."""
    ago: Optional[float] = None
    other: Optional[float] = None
    for match in _QUANTITY.finditer(clean):
        previous = clean[: match.start()].split()[-1:]
        if previous and previous[0] in _FREQUENCY_WORDS:
            continue
        amount_text, unit = match.group(1), match.group(2)
        amount = float(amount_text) if amount_text[0].isdigit() else float(_NUMBER_WORDS[amount_text])
        days = amount * _UNIT_DAYS[unit]
        before, after = clean[: match.start()], clean[match.end():]
        if re.search(rf"\b(?:more than|over|longer than|at least)\s*$|{es.MORE_THAN}", before):
            days = days * 1.5  # "more than a month ago" is past the month: longer
        # Spanish says "ago" first ("hace 3 días"), or after: "2 días sin usar".
        if match.group(3) or _AGO_BEFORE.search(before) or _AGO_AFTER.match(after):
            ago = days if ago is None else min(ago, days)
        else:
            other = days if other is None else max(other, days)
    return ago, other


def _bucket(days: float) -> str:
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    if days <= 7:
        return "this week"
    if days <= 31:
        return "this month"
    return "longer"


def parse_last_use(text: Optional[str]) -> Parsed:
    """When the substance was last used: one of :data:`LAST_USE_VALUES`.

    Evidence is weighed in this order, so "drinking for 10 years, last drink this
    morning" is ``today`` and "6 months sober" is ``longer``: an amount with
    "ago"; a recent-time phrase; any other amount; a "long ago" phrase.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean).replace("_", " ")
    if bare in LAST_USE_VALUES:
        return _ok(bare)
    if _skipped(clean):
        return _fail(SKIPPED)
    ago, other = _stated_days(clean)
    if ago is not None:
        return _ok(_bucket(ago))
    phrase = _first(clean, _LAST_USE)
    if phrase:
        return _ok(phrase)
    if _USE_DURATION.search(clean) and not _NOT_USING.search(clean):
        # "Using for months" says how long, and a person using for months may have
        # used today: reading it as "longer" made urgent leads routine.
        return _fail(DURATION)
    if other is not None:
        return _ok(_bucket(other))
    if _LAST_USE_LONGER.search(clean):
        return _ok("longer")
    if _DONT_KNOW.search(clean):
        return _fail(DONT_KNOW)
    return _fail(UNRECOGNIZED)


# How long use has gone on, rather than when it last happened.
_USE_DURATION = re.compile(
    r"\b(?:for|over|about|like|almost|nearly) (?:the (?:last|past) )?(?:a |an |\d+ |a few |few |a couple (?:of )?|couple (?:of )?|several |many |two |three |six )?"
    r"(?:months?|years?|weeks?|a while|a long time|ages|yrs?)\b"
    r"|\b(?:been|has been|have been|keeps?|kept|started) (?:using|drinking|smoking|on it|doing it|taking)\b"
    r"|\bsince (?:last year|high school|college|he was|she was|they were|i was|covid|\d{4})\b"
    r"|\b(?:on and off|off and on|for years|for months|for a while|a long time now)\b"
    rf"|{es.USE_DURATION}"
)
# Words that say the use has stopped: then a duration is how long ago ("sober for months").
_NOT_USING = re.compile(
    rf"\b(?:sober|clean|quit|stopped|in recovery|haven'?t used|hasn'?t used|off it|relapse\w*)\b|{es.NOT_USING}"
)


def parse_withdrawal_signs(text: Optional[str]) -> Parsed:
    """A list from ``shaking``, ``seizures``, ``hallucinations``, ``severe_vomiting``, ``other``; "none" -> ``[]``.

    "other" is a recognised sign that is not a danger sign (sweats, nausea, can't sleep).
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean)
    if bare in WITHDRAWAL_SIGNS:
        return _ok([bare])
    if _skipped(clean):
        return _fail(SKIPPED)
    found = _find_all(clean, _WITHDRAWAL, honour_negation=True)
    if found:
        return _ok(found)
    # "Don't know" must not count as "none": we may be under-triaging danger signs.
    if _DONT_KNOW.search(clean):
        return _fail(DONT_KNOW)
    if _NONE_ANSWER.match(bare) or _WITHDRAWAL_NONE.search(clean):
        return _ok([])
    if any(pattern.search(clean) for pattern in _WITHDRAWAL.values()):
        return _ok([])  # everything mentioned was negated: "no shaking, no seizures"
    return _fail(UNRECOGNIZED)


def parse_prior_treatment(text: Optional[str]) -> Parsed:
    """A list from ``detox``, ``inpatient``, ``outpatient`` (incl. IOP), ``mat``, ``other``; "never" -> ``[]``.

    ``other`` is mutual-help (AA/NA meetings) or sober living.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean)
    if bare in PRIOR_TREATMENT:
        return _ok([bare])
    if _skipped(clean):
        return _fail(SKIPPED)
    found = _find_all(clean, _TREATMENT, honour_negation=True)
    if found:
        return _ok(found)
    if _DONT_KNOW.search(clean):
        return _fail(DONT_KNOW)
    if _TREATMENT_NONE.search(clean) or any(p.search(clean) for p in _TREATMENT.values()):
        return _ok([])
    return _fail(UNRECOGNIZED)


def _clean_other_insurance(raw: str) -> str:
    text = re.sub(r"\s+", " ", raw).strip()
    text = re.sub(r"^s[ií]\s*,?\s+", "", text, flags=re.I)
    text = re.sub(
        r"^(?:i have|we have|i've got|i got|it'?s|it is|my insurance is|insurance is|through)\s+", "", text, flags=re.I
    )
    text = re.sub(es.INSURANCE_LEAD, "", text, flags=re.I)
    # Long digit runs are member or social-security numbers: never keep them here.
    text = re.sub(r"\d{4,}", "", text)
    text = re.sub(r"[^\w &'.,/\-]", "", text)
    text = re.sub(r"\s+", " ", text).strip(" .,-")
    return text[:MAX_OTHER_INSURANCE_CHARS].rstrip()


_INSURANCE_UNNAMED_ES = re.compile(es.INSURANCE_UNNAMED)


def parse_insurance(text: Optional[str]) -> Parsed:
    """Carrier name (see :data:`INSURANCE_CARRIERS`), ``"none"``, ``"self-pay"``, ``"unknown"``, or ``"other: <text>"``.

    ``other`` keeps at most :data:`MAX_OTHER_INSURANCE_CHARS` characters, without digit runs.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean)
    if bare in ("none", "self-pay", "unknown"):
        return _ok(bare)
    if _skipped(clean):
        return _fail(SKIPPED)
    carrier = _first(clean, _CARRIERS)
    if carrier:
        return _ok(carrier)
    if _INS_SELF_PAY.search(clean):
        return _ok("self-pay")
    if _INS_UNKNOWN.search(clean):
        return _ok("unknown")
    if _is_whole(clean, _INS_NONE) or _INS_NONE_PHRASES.search(clean):
        return _ok("none")
    if INSURANCE_UNNAMED.fullmatch(bare) or _INSURANCE_UNNAMED_ES.fullmatch(bare):
        return _fail(UNRECOGNIZED)
    if _is_whole(clean, _HEDGE_ONLY):
        return _fail(UNCLEAR)  # "depende", "maybe": no insurer is called that
    other = _clean_other_insurance(str(text))
    if not re.search(r"[^\W\d_]{2,}", other):
        return _fail(UNRECOGNIZED)
    return _ok(f"other: {other}")


_MEMBER_ID_WORD = (
    r"\b(?:id|number|no|numero|num)\b(?:\s+de\s+(?:miembro|socio|afiliado|seguro|poliza|identificacion|aseguranza))?|#"
)
_MEMBER_ID_LEAD = re.compile(rf"^.*?(?:{_MEMBER_ID_WORD})\s*(?:is\b|es\b|:)?\s*")


def parse_insurance_member_id(text: Optional[str]) -> Parsed:
    """An insurance member id (5-20 letters/digits, upper-cased). Optional: "skip" is ``reason="skipped"``."""
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    if _MEMBER_SKIP.match(_bare(clean)):
        return _fail(SKIPPED)
    candidate = _MEMBER_ID_LEAD.sub("", clean) if re.search(_MEMBER_ID_WORD, clean) else clean
    candidate = re.sub(r"^(?:it'?s|its|es)\s+(?:el\s+|la\s+)?", "", candidate)
    candidate = re.sub(r"[\s\-.]", "", _bare(candidate)).upper()
    if not re.fullmatch(r"[A-Z0-9]+", candidate) or not re.search(r"\d", candidate):
        return _fail(INVALID)
    if not 5 <= len(candidate) <= 20:
        return _fail(INVALID)
    return _ok(candidate)


# Two-letter codes that are also everyday words; inside a sentence they need backing.
_WORDLIKE_CODES = frozenset({"IN", "ME", "OR", "OK", "HI", "OH", "PA", "AS", "DE", "LA", "MA", "CO", "AL", "GA", "ID", "MO"})


def parse_state(text: Optional[str]) -> Parsed:
    """US state or territory as its two-letter code, from a name ("arizona") or a code ("AZ")."""
    if text is None or not str(text).strip():
        return _fail(EMPTY)
    raw = str(text).strip()
    if len(raw) > MAX_ANSWER_CHARS:
        return _fail(TOO_LONG)
    clean = re.sub(r"\s+", " ", re.sub(r"[.,]", " ", _normalize(raw))).strip()
    if _skipped(clean):
        return _fail(SKIPPED)
    # "Baja California", "San Luis Río Colorado" are in Mexico: not California, not Colorado.
    clean = _NOT_US_PLACES.sub(" ", clean)
    match = _STATE_NAMES.search(clean)
    if match:
        return _ok(US_STATES[match.group(0)])
    bare = _bare(clean).upper()
    if bare in STATE_CODES:
        return _ok(bare)
    # "az, scottsdale area": a code standing first, before a comma.
    lead = re.match(r"^([a-z]{2})\s*,", clean)
    if lead and lead.group(1).upper() in STATE_CODES and lead.group(1).upper() not in _WORDLIKE_CODES:
        return _ok(lead.group(1).upper())
    city = _CITY_NAMES.search(clean)
    if city:
        return _ok(CITY_STATES[city.group(0)])
    # Inside a sentence a code counts only when typed in capitals ("Phoenix, AZ"):
    # lower-case "in", "me", "or" are words. All-caps text proves nothing.
    if raw.isupper():
        return _fail(UNRECOGNIZED)
    codes = [code for code in re.findall(r"\b([A-Z]{2})\b", raw) if code in STATE_CODES]
    distinctive = [code for code in codes if code not in _WORDLIKE_CODES]
    if distinctive:
        return _ok(distinctive[0])
    if codes:
        return _ok(codes[-1])
    return _fail(UNRECOGNIZED)


_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?)?(?![\w:])")


# "after 5", "around 10": a bare hour after a word that makes it a time of day.
_BARE_HOUR = re.compile(
    rf"\b(?:after|around|about|before|by|at|from|till|until|past|{es.BARE_HOUR_LEAD})\s+(\d{{1,2}})\b(?![:\d]|\s*(?:am|pm|a\.m|p\.m))"
)
# Spanish clock words, read as the English forms above: "a las tres" -> "a las 3",
# "8 de la noche" -> "8pm", "10 de la mañana" -> "10am".
_HOUR_WORD = re.compile(rf"\b(las?)\s+({'|'.join(es.HOUR_WORDS)})\b")
_CLOCK_PM_ES = re.compile(es.CLOCK_PM)
_CLOCK_AM_ES = re.compile(es.CLOCK_AM)
_BEST_GREETING = re.compile(r"\bbuen(?:as|os) (?:tardes|noches|dias)\b")
_MORNING_ALONE = re.compile(es.MORNING_ALONE)
# "It depends" opening the answer, and the words that then still choose a time ("depende, pero mejor en la tarde").
_BEST_DEPENDS = re.compile(r"^(?:(?:pues|bueno|well|hmm+|um+)[\s,]+)?(?:depende|it depends|depends)\b")
_BEST_PREFERENCE = _word_pattern((
    r"mejor", r"better", r"best", r"prefer\w*", r"preferible(?:mente)?", r"pero", r"but", r"usually", r"normalmente",
    r"casi siempre", r"mostly",
))
_ASAP_WHOLE = re.compile(es.ASAP_WHOLE)
_TOMORROW = re.compile(es.TOMORROW)


def _spanish_clock(clean: str) -> str:
    clean = _HOUR_WORD.sub(lambda m: f"{m.group(1)} {es.HOUR_WORDS[m.group(2)]}", clean)
    clean = _CLOCK_PM_ES.sub(r"\1pm", clean)
    return _CLOCK_AM_ES.sub(r"\1am", clean)


def _clock_bucket(clean: str) -> Optional[str]:
    """Window of the first clock time given with am/pm or minutes ("10am", "5:30"), or a
    bare hour after "after"/"around" ("after 5": 1 to 7 are afternoon and evening hours)."""
    bare = _BARE_HOUR.search(clean)
    if bare and 1 <= int(bare.group(1)) <= 12 and not re.search(r"\d{1,2}\s*(?:am|pm)|\d:\d", clean):
        hour = int(bare.group(1))
        hour = hour + 12 if hour <= 7 else hour
        return "morning" if hour < 12 else ("afternoon" if hour < 17 else "evening")
    for match in _CLOCK.finditer(clean):
        if not (match.group(3) or match.group(2)):
            continue
        hour = int(match.group(1))
        meridiem = (match.group(3) or "").replace(".", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        if meridiem == "am" and hour == 12:
            hour = 0
        if hour > 23:
            continue
        if hour < 12:
            return "morning"
        return "afternoon" if hour < 17 else "evening"
    return None


def parse_best_time(text: Optional[str]) -> Parsed:
    """``morning``, ``afternoon``, ``evening``, ``anytime`` or ``asap``.

    Order: an explicit "asap"; a clock time; a named window; "any time"; a vague
    "soon"/"today" (read as asap). Spanish "mañana" is read as :data:`spanish.MORNING_ALONE`
    says: the morning by itself, tomorrow before another time of day.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean)
    if bare in BEST_TIMES:
        return _ok(bare)
    if _skipped(clean):
        return _fail(SKIPPED)
    if _BEST_DEPENDS.match(clean) and not _BEST_PREFERENCE.search(clean):
        return _fail(UNCLEAR)  # "depende del día, a veces trabajo en la noche": the times named are not a choice
    clean = _BEST_GREETING.sub(" ", clean)  # "buenas tardes" greets; it does not ask for the afternoon
    if _MORNING_ALONE.match(_bare(clean)):
        return _ok("morning")
    if _ASAP_WHOLE.match(_bare(clean)):
        return _ok("asap")
    clean = _spanish_clock(_TOMORROW.sub("tomorrow", clean))
    if _BEST_ASAP.search(clean):
        return _ok("asap")
    clock = _clock_bucket(clean)
    if clock:
        return _ok(clock)
    window = _first(clean, _BEST_WINDOWS)
    if window:
        return _ok(window)
    if _BEST_ANYTIME.search(clean):
        return _ok("anytime")
    if _BEST_SOON.search(clean):
        # "no sé ni qué día es hoy": a "today" inside a don't-know is no time to call.
        return _fail(UNCLEAR) if _DONT_KNOW.search(clean) else _ok("asap")
    return _fail(UNRECOGNIZED)


def parse_yes_no(text: Optional[str]) -> Parsed:
    """``True`` / ``False`` for a yes/no question; both, neither or a hedge -> ``reason="unclear"``."""
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    if _HEDGE.search(clean) or _DONT_KNOW.search(clean):
        return _fail(UNCLEAR)  # "no sé" is not a "no"
    if _YES_WHOLE.match(_bare(clean)):
        return _ok(True)  # "sale", "va", "bueno": yes when that is all the answer says
    clean = _NO_IDIOMS.sub(" no ", clean)
    clean = _YES_IDIOMS.sub(" yes ", clean)
    said_no = bool(_NO.search(clean))
    said_yes = bool(_YES.search(clean))
    if said_no != said_yes:
        return _ok(said_yes)
    return _fail(UNCLEAR)


def parse_consent(text: Optional[str]) -> Parsed:
    """Consent to store the answers and be contacted: only an unqualified yes is ``True``.

    A clear no is ``False``; anything else is ``None`` with ``reason="unclear"``.
    Callers must treat every value other than ``True`` as no consent.

    The question also asks about voicemail and text, so a yes or no about one of them
    is not the answer to the consent: "sí, pero mensajes de texto no" agrees (texts
    refused), "mensajes sí, llamadas no" agrees to be reached by messages, and
    "buzón de voz no" alone does not say (asked again).
    """
    answer = parse_yes_no(text)
    clean = _precheck(text)
    if isinstance(clean, Parsed) or _HEDGE.search(clean) or _DONT_KNOW.search(clean):
        return answer
    clauses = [clause.strip() for clause in _CLAUSE_BREAK.split(clean) if clause.strip()]
    about_channels = [clause for clause in clauses if any(_channel_verdicts(clause).values())]
    if not about_channels:
        return answer
    rest = ", ".join(clause for clause in clauses if clause not in about_channels and not _COURTESY.fullmatch(clause))
    permissions = parse_contact_permissions(text, call_asked=True)
    allowed = permissions.ok and True in permissions.value.values()
    said = parse_yes_no(rest) if rest else _fail(UNRECOGNIZED)
    if said.value is True:
        return _ok(True)  # a yes with exceptions: "yes, but no voicemail"
    if said.value is False:
        # "No, pero mensajes de texto sí" refuses and allows: the form reads the channels.
        return _fail(UNCLEAR) if allowed else _ok(False)
    # Every yes or no in it is about a way to reach them: naming one we may use agrees.
    return _ok(True) if allowed else _fail(UNCLEAR)


def is_consent(text: Optional[str]) -> bool:
    return parse_consent(text).value is True


CONTACT_CHANNELS = ("call", "voicemail", "text")
_CHANNEL_WORDS = {
    "call": _word_pattern((r"calls?", r"calling", r"phone calls?", r"ring", r"phone") + es.CHANNEL_WORDS["call"]),
    "voicemail": _word_pattern(
        (r"voice ?mails?", r"vm", r"(?:leave|leaving) (?:a |me a )?(?:message|msg)", r"messages? on (?:my|the) (?:phone|machine)")
        + es.CHANNEL_WORDS["voicemail"]
    ),
    "text": _word_pattern((r"texts?", r"texting", r"sms", r"text messages?") + es.CHANNEL_WORDS["text"]),
}
_MESSAGES_EITHER = _word_pattern((es.MESSAGES_EITHER,))
# A yes or no after the way of contact, ending its clause: "texts no", "buzón de voz no, por favor".
_CHANNEL_AFTER = re.compile(
    rf"\s*(?:(?P<no>(?:{es.CHANNEL_AFTER_NO}|no|nope|nah|never))|(?P<yes>(?:{es.CHANNEL_AFTER_YES}|yes|ok|okay|fine)))"
    rf"(?=\s*(?:$|[,.;!?]|(?:{es.CHANNEL_AFTER_END}|and|but|please|thanks|thank you)(?![\w'])))"
)
# Where a consent answer's clauses part: "sí, pero mensajes de texto no" is a yes and an exception.
_CLAUSE_BREAK = re.compile(r"[,;.!]+|\s+(?:pero|but|aunque|though)\s+")
# A clause that is only a courtesy says neither yes nor no: "buzón de voz no, por favor".
_COURTESY = re.compile(r"(?:(?:por favor|porfa|muchas gracias|gracias|please|pls|thanks|thank you)\s*)+")


def _channel_verdicts(clean: str) -> Dict[str, List[bool]]:
    """Each way of contact the (normalised) text names, once per mention: ``False`` where
    refused, before ("no texts", "no me llamen") or after ("mensajes de texto no"), else ``True``."""
    verdicts: Dict[str, List[bool]] = {channel: [] for channel in CONTACT_CHANNELS}
    named: List[Tuple[int, int]] = []
    for channel, pattern in _CHANNEL_WORDS.items():
        for match in pattern.finditer(clean):
            named.append(match.span())
            after = _CHANNEL_AFTER.match(clean, match.end())
            refused = _negated(clean, match.start()) or bool(after and after.group("no"))
            verdicts[channel].append(not refused)
    for match in _MESSAGES_EITHER.finditer(clean):
        if any(start <= match.start() < end for start, end in named):
            continue  # part of "déjenme un mensaje", "mándeme mensaje": counted above
        after = _CHANNEL_AFTER.match(clean, match.end())
        negated = _negated(clean, match.start())
        if after or negated:
            for channel in ("voicemail", "text"):
                verdicts[channel].append(not (negated or after and after.group("no")))
    return verdicts


def names_contact_channel(text: Optional[str], *, messages_only: bool = False) -> bool:
    """Whether the text names a way to be contacted: call, voicemail or text
    (``messages_only``: voicemail or text, since "call" is in every other answer too)."""
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return False
    verdicts = _channel_verdicts(clean)
    channels = ("voicemail", "text") if messages_only else CONTACT_CHANNELS
    return any(verdicts[channel] for channel in channels)


def parse_contact_permissions(text: Optional[str], *, call_asked: bool = False) -> Parsed:
    """Which contact channels the caller allows, as ``{"call": bool|None, "voicemail": ..., "text": ...}``.

    "yes" allows all and "no" none; "call or text but no voicemail", "texts only" and
    "mensajes sí, llamadas no" are read per channel. A channel the answer leaves open is ``None``:
    ask about it separately with :func:`parse_yes_no`. ``call_asked``: the question also
    asked about calls (consent), so "text only" refuses calls too.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    if _HEDGE.search(clean) or _DONT_KNOW.search(clean):
        return _fail(UNCLEAR)  # "its my phone but hes always around so idk": ask again
    verdicts = _channel_verdicts(clean)
    if not any(verdicts.values()):
        answer = parse_yes_no(clean)
        if answer.value is None:
            return answer
        # A yes or no to the messages question is about the messages, unless calls were asked too.
        return _ok({channel: answer.value if channel != "call" or call_asked else None for channel in CONTACT_CHANNELS})
    permissions: Dict[str, Optional[bool]] = {
        channel: all(said) if said else None for channel, said in verdicts.items()
    }
    only = bool(re.search(rf"\b(?:only|just|{es.ONLY})\b", clean))
    # "yes, but no voicemail": a yes with exceptions covers the channels not named.
    yes_except = bool(re.match(rf"(?:yes|yeah|yep|yup|sure|ok|okay|y|{es.YES_START})\b", clean)) and False in permissions.values()
    for channel in CONTACT_CHANNELS:
        if permissions[channel] is None and (only or yes_except):
            if channel == "call" and only and not call_asked:
                # "Text only" to "if we miss you, may we leave a voicemail or text?" is about
                # the messages; the call itself was asked for and stays.
                continue
            permissions[channel] = not only
    return _ok(permissions)


# "Sí, pero no tengo un plan", "sometimes, but I haven't done anything": after a yes, what
# follows "but" qualifies it (a plan or an attempt is not what the screen asks) unless it
# moves the yes out of the past month or takes it back ("sí, pero ya no", "yes, but not lately").
_SCREEN_BUT = re.compile(r"[\s,;.]+(?:pero|but|aunque|though|although)\s+")
_SCREEN_PAST_MONTH = _word_pattern(es.SCREEN_PAST_MONTH + (
    r"(?:this|last|past) month", r"(?:last|this) year", r"lately", r"recently", r"now", r"any ?more", r"no longer",
    r"30 days", r"years? ago", r"(?:cuando|when) (?:era|estaba|i was)",
))
# Fewer words after "but" than this take the yes back rather than qualify it: "sí pero no".
MIN_QUALIFIER_WORDS = 2


def _yes_but(clean: str) -> bool:
    """A yes, then "but" and a qualifier that leaves it a yes in the past month."""
    but = _SCREEN_BUT.search(clean)
    if not but:
        return False
    head, tail = clean[: but.start()], clean[but.end():]
    if len(tail.split()) < MIN_QUALIFIER_WORDS or "?" in tail:
        return False
    if _SCREEN_PAST_MONTH.search(tail) or _SCREEN_UNCLEAR.search(tail) or _DONT_KNOW.search(tail):
        return False
    return parse_suicide_screen(head).value == SCREEN_YES


def parse_suicide_screen(text: Optional[str]) -> Parsed:
    """An answer to a suicide-risk screen question: ``"yes"``, ``"no"`` or ``"declined"``.

    Any endorsement is ``"yes"`` ("sometimes", "kinda", "i think so"); "prefer not
    to say" is ``"declined"``, never ``"no"``. A don't-know, a hedge, an answer
    about another time than the past month ("not anymore", "used to"), or yes and
    no together are ``reason="unclear"``: ask once more.
    """
    clean = _precheck(text)
    if isinstance(clean, Parsed):
        return clean
    bare = _bare(clean)
    if bare in SCREEN_ANSWERS:
        return _ok(bare)
    if _SCREEN_DECLINE.search(clean):
        return _ok(SCREEN_DECLINED)
    if _SCREEN_ENDORSE.search(clean):
        return _ok(SCREEN_YES)  # "ya no quiero vivir", "casi nunca": their "no" is not a no
    if _yes_but(clean):
        return _ok(SCREEN_YES)  # "sometimes, but I have no plan": the "no" qualifies the yes
    clean = _SCREEN_INTENT_DENIAL.sub(" ", clean)
    if _SCREEN_UNCLEAR.search(clean) or _DONT_KNOW.search(clean) or "?" in clean:
        return _fail(UNCLEAR)
    # "i have not" must not also count as "i have": judge yes on what the no-words leave.
    rest = _SCREEN_NO.sub(" ", clean)
    said_no = rest != clean
    said_yes = bool(_SCREEN_YES.search(rest))
    if said_no != said_yes:
        return _ok(SCREEN_YES if said_yes else SCREEN_NO)
    return _fail(UNCLEAR if said_no else UNRECOGNIZED)


def _below_hundred(words: Sequence[str], i: int) -> Tuple[Optional[int], int]:
    """The number 0-99 said from ``words[i]`` on ("cincuenta y cinco"), and where it ends."""
    word = words[i] if i < len(words) else ""
    if word in es.TEEN_WORDS:
        return es.TEEN_WORDS[word], i + 1
    if word in es.TENS_WORDS:
        value = es.TENS_WORDS[word]
        if i + 2 < len(words) and words[i + 1] == "y" and es.DIGIT_WORDS.get(words[i + 2], 0) > 0:
            return value + es.DIGIT_WORDS[words[i + 2]], i + 3
        return value, i + 1
    if word in es.DIGIT_WORDS:
        return es.DIGIT_WORDS[word], i + 1
    return None, i + 1


def _said_number(words: Sequence[str], i: int) -> Tuple[Optional[str], int]:
    """The digits of the number said from ``words[i]`` on, and where it ends: "seiscientos dos"
    -> "602", "triple cinco" -> "555", "cero" -> "0"; ``None`` for another word."""
    word = words[i]
    if word.isdigit():
        return word, i + 1
    if word in ("doble", "triple") and i + 1 < len(words) and words[i + 1] in es.DIGIT_WORDS:
        return str(es.DIGIT_WORDS[words[i + 1]]) * (2 if word == "doble" else 3), i + 2
    if word in es.HUNDREDS_WORDS:
        rest, end = _below_hundred(words, i + 1)
        return (str(es.HUNDREDS_WORDS[word] + rest), end) if rest is not None else (str(es.HUNDREDS_WORDS[word]), i + 1)
    value, end = _below_hundred(words, i)
    return (None, i + 1) if value is None else (str(value), end)


# Fewer number words than this are not a number said in words ("one in 2019").
MIN_SAID_DIGITS = 4
_SAID_NUMBER_WORDS = frozenset({*es.DIGIT_WORDS, *es.TEEN_WORDS, *es.TENS_WORDS, *es.HUNDREDS_WORDS})


def _digits_said(text: str) -> str:
    """A number said in words as digits ("seis cero dos cinco cinco cinco cero uno cero siete",
    "six oh..." aside), each run of number words and digits joined: "mi cel es seis cero dos
    555 0107" -> "6025550107". Other words separate runs; "" when few words are numbers."""
    words = re.findall(r"\d+|[^\W\d_]+", _fold(text))
    if sum(word in _SAID_NUMBER_WORDS for word in words) < MIN_SAID_DIGITS:
        return ""
    runs: List[str] = []
    current = ""
    i = 0
    while i < len(words):
        digits, i = _said_number(words, i)
        if digits is not None:
            current += digits
        elif current:
            runs.append(current)
            current = ""
    runs.append(current)
    return " ".join(run for run in runs if run)


def parse_callback_phone(text: Optional[str]) -> Parsed:
    """The number to call back, as E.164 (:func:`helpline.phone.normalize_phone`); also said
    in words ("seis cero dos, cinco cinco cinco...", "seiscientos dos...")."""
    if text is None or not text.strip():
        return _fail(EMPTY)
    if len(text) > MAX_ANSWER_CHARS:
        return _fail(TOO_LONG)
    phone = normalize_phone(text) or normalize_phone(_digits_said(text))
    return _ok(phone) if phone else _fail(BAD_PHONE)


# Words around "este mismo número" that do not change what it means ("sí, a este número por favor").
_THIS_NUMBER_FILLERS = re.compile(
    r"^(?:(?:si|claro|ok|okey|pueden|puede|llamarme|llamenme|llameme|marquen|usen|use|mejor|por favor|es)\s+)+"
    r"|(?:\s+(?:por favor|gracias|esta bien|sirve|porfa))+$"
)


_THIS_NUMBER_FROM = re.compile(es.THIS_NUMBER_FROM)


def means_this_number(text: Optional[str]) -> bool:
    """Whether a Spanish reply, as a whole, means the number the texter writes from ("este
    mismo número", "a este número"). The SMS channel knows that number; the English
    phrases are in :data:`helpline.channels.sms.THIS_NUMBER_PHRASES`."""
    words = _THIS_NUMBER_FILLERS.sub("", " ".join(re.findall(r"[a-z0-9]+", _fold(str(text or "")))))
    return words in es.THIS_NUMBER_PHRASES or bool(_THIS_NUMBER_FROM.fullmatch(words))
