"""Read the text of a resolution or decision into its parts: title, preamble, operative
paragraphs (with sub-paragraphs), annexes, and for each operative paragraph its
directives (verb lemma, addressees as actor slugs, reporting obligations and deadlines).

Pure Python: no Django here, so the reading can be tested and reused on its own. The
actor vocabulary is an argument (slug -> phrases that name the actor), so actors and
aliases added as data are used at once.

Contract:
- `parse_resolution(text, actors=...)` returns a reading (a dict, JSON-ready) in the shape
  `import_resolution --dry-run --json` prints (DESIGN.md §6), with these extras: per
  directive `verb_phrase`, `addressee`, `unmatched` (addressee phrases no actor matched,
  for a person to map), `partners` (actors named as co-workers, "together with ..."),
  `report_to`, `cadence`, `due_meeting`, `deadline`, `subject_to_resources`, `line`; at the
  top `symbol`, `kind`, `adopted_at` (as found in the text), `header`, `footnotes` and
  `warnings` ({line, message}: what a person should check).
- The only exception it raises is `ParseError` (message and line number): empty text,
  binary data, a text over the size limit, a text with no numbered operative paragraph.
- Text extracted from PDF files is expected: page headers and numbers, footnotes,
  hyphenation across lines, blank lines inside paragraphs, a header block before the title.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from resolutions import vocabulary

#: Default limit on the length of a text, in characters (the settings pass their own).
DEFAULT_MAX_CHARS = 2_000_000
#: Lengths of the fields a reading is stored in; longer values are cut with a warning.
MAX_TITLE_CHARS = 300
MAX_PHRASE_CHARS = 300
MAX_VERB_PHRASE_CHARS = 64
MAX_NUMBER_CHARS = 32

#: Actor slugs of the bodies that meet, with the prefix of their meeting codes (COP15).
BODY_MEETING_CODES = {
    "conference-of-the-parties": "COP",
    "standing-committee": "StC",
    "scientific-council": "ScC",
}

Reading = dict[str, Any]


class ParseError(ValueError):
    """The text cannot be read as a resolution. `line` is 1-based, or None when the
    problem is not at one line (an empty text)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


# --- Vocabulary of forms ------------------------------------------------------------------

#: Adverbs that may precede an operative verb: "Also requests", "Further strongly urges".
_MODIFIERS = (
    "also",
    "further",
    "again",
    "once again",
    "once more",
    "strongly",
    "kindly",
    "respectfully",
    "urgently",
    "hereby",
    "warmly",
    "sincerely",
    "deeply",
    "firmly",
    "formally",
    "accordingly",
    "therefore",
    "moreover",
    "additionally",
    "finally",
    "in addition",
    "furthermore",
    "earnestly",
    "repeatedly",
    "thus",
)
_MODS = r"(?:(?:" + "|".join(sorted(_MODIFIERS, key=len, reverse=True)) + r")\s+)*"

_IRREGULAR_FORMS = {
    "call_on": ("calls upon", "calls on"),
    "take_note": ("takes note",),
    "shall": (),
}

#: Passive forms of a decision ("Parties are encouraged to"), participle -> lemma.
_PASSIVES = {
    "requested": "request",
    "instructed": "instruct",
    "directed": "direct",
    "urged": "urge",
    "encouraged": "encourage",
    "invited": "invite",
    "called upon": "call_on",
    "called on": "call_on",
    "recommended": "recommend",
}


def _third_person(lemma: str) -> list[str]:
    if lemma in _IRREGULAR_FORMS:
        return list(_IRREGULAR_FORMS[lemma])
    words = lemma.split("_")
    head = words[0]
    if head.endswith(("s", "sh", "ch", "x", "z")):
        form = head + "es"
    elif head.endswith("y") and head[-2:-1] not in ("a", "e", "i", "o", "u"):
        form = head[:-1] + "ies"
    else:
        form = head + "s"
    forms = [" ".join([form, *words[1:]])]
    if "iz" in form:  # British spelling: recognises, emphasises
        forms.append(forms[0].replace("iz", "is"))
    return forms


def _verb_forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for lemma in sorted({*vocabulary.TRACKED_VERBS, *vocabulary.DECLARATORY_VERBS}):
        for form in _third_person(lemma):
            forms.setdefault(form, lemma)
    return forms


_FORMS = _verb_forms()
_FORM_ALT = "|".join(
    re.escape(f).replace(r"\ ", r"\s+") for f in sorted(_FORMS, key=len, reverse=True)
)
_PASSIVE_ALT = "|".join(p.replace(" ", r"\s+") for p in sorted(_PASSIVES, key=len, reverse=True))

#: An operative verb opening a paragraph: "Requests", "Also requests", "Calls upon".
_VERB_AT_START = re.compile(rf"^(?P<phrase>{_MODS}(?P<verb>{_FORM_ALT}))\b", re.I)
#: The same after an opening adverbial: "Subject to ..., requests", "To this end, urges".
_VERB_AFTER_PREFIX = re.compile(
    rf"^(?P<prefix>[A-Z][^;:]{{0,200}}?),\s+(?P<phrase>{_MODS}(?P<verb>{_FORM_ALT}))\b"
)
#: A further verb inside a paragraph: "..., and requests", "; and further invites".
_VERB_INSIDE = re.compile(
    rf"(?P<lead>(?:[,;]\s*)?\band\s+|;\s+)(?P<phrase>{_MODS}(?P<verb>{_FORM_ALT}))\b"
)
#: A capitalised third-person verb the vocabulary does not know: "Reiterates".
_UNKNOWN_VERB_AT_START = re.compile(rf"^(?P<phrase>{_MODS}(?P<verb>[A-Z][a-z]{{2,}}s))\b", re.I)
_PASSIVE = re.compile(
    rf"(?P<subject>[^;:]{{2,250}}?)\s+(?P<phrase>(?:is|are)\s+{_MODS}(?P<verb>{_PASSIVE_ALT}))\b"
)
_SHALL = re.compile(r"(?P<subject>[^;:]{2,250}?)\s+(?P<phrase>shall)\b")
#: Words after a verb that show it is a noun: "funding requests for", "and notes of".
_NOUN_FOLLOWERS = frozenset(
    {"for", "from", "of", "to", "received", "made", "submitted", "by", "in", "on", "which"}
)

_PREAMBLE_ADJECTIVES = (
    "aware|mindful|conscious|convinced|concerned|alarmed|determined|cognizant|cognisant|"
    "desirous|satisfied|encouraged|guided|pleased|disturbed|worried|gratified|appreciative|"
    "grateful|committed|inspired"
)
_PREAMBLE_OPENER = re.compile(
    r"^(?:(?:Also|Further|Further also|Deeply|Gravely|Seriously|Strongly|Particularly|Fully|"
    rf"Firmly|Profoundly|Noting)\s+(?:[a-z]{{2,}}ing|{_PREAMBLE_ADJECTIVES})\b|"
    r"(?:[A-Z][a-z]{2,}ing|"
    + "|".join(w.capitalize() for w in _PREAMBLE_ADJECTIVES.split("|"))
    + r")\b)"
)
_ENACTING = re.compile(
    r"^the\s+(?:conference|meeting)\s+of\s+the\s+(?:contracting\s+)?parties\b", re.I
)
_ADOPTION = re.compile(r"^(?:\(?\s*)?(?:as\s+)?(?:adopted|amended|revised)\b", re.I)
_DIRECTED = re.compile(r"^directed\s+to\s+(?P<who>\S.{0,250}?)\s*:?\s*$", re.I)
_ANNEX = re.compile(
    r"^(?P<label>annex|appendix|attachment)(?:\s+(?P<num>[IVXLC]{1,6}|\d{1,2}|[A-Z]))?"
    r"\s*(?:[:.\u2013\u2014-]\s*(?P<title>\S.*))?$",
    re.I,
)
#: An operative paragraph number at the start of a line: "3. Requests", "14.11 The".
_NUMBERED = re.compile(r"^(?P<num>\d{1,3}(?:\.\d{1,3}){0,3})(?P<dot>[.)])?\s+(?P<rest>\S.*)$")
_NUMBER_ONLY = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){0,3}\.|\d{1,3}\.\d{1,3})$")
_SUB_ONLY = re.compile(r"^(?:\([a-z]{1,4}\)|\(\d{1,2}\)|[a-z]{1,4}\)|\([A-Z]\))$")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-\u2013\u2014]?\s*\d{1,3}\s*[-\u2013\u2014]?(?:\s*(?:of|/)\s*\d{1,3})?$", re.I
)
_SEPARATOR = re.compile(r"^[_\-\u2013\u2014=*·•.\s]{3,}$")
_DOC_SYMBOL_LINE = re.compile(r"^UNEP/[A-Z]{2,12}/\S+(?:\s+\S+){0,4}$")
_HEADER_LINE = re.compile(
    r"^(?:UNEP/|distr(?:ibution)?\b|original\s*:|language\s*:|agenda\s+item|item\s+\d|"
    r"convention\s+on\s+(?:the\s+conservation\s+of\s+)?migratory\s+species|cms\b|"
    r"\d{1,2}\s+[A-Z][a-z]+\s+\d{4}$|[A-Z][a-z]+\s+\d{4}$|english$|french$|spanish$|"
    r"(?:resolution|decisions?)\s+\d{1,2}\.\d)",
    re.I,
)
_SYMBOL = re.compile(
    r"\b(?P<kind>resolution|decisions?)\s+(?P<symbol>\d{1,2}\.\d{1,3}"
    r"(?:\s*(?:[-\u2013]|to)\s*\d{1,2}\.\d{1,3})?(?:\s*\(\s*rev\.?\s*cop\s*\d{1,3}\s*\))?)",
    re.I,
)
_SUBJECT_TO_RESOURCES = re.compile(
    r"subject\s+to\s+(?:the\s+)?(?:availability|provision)\s+of\s+(?:\w+\s+){0,2}"
    r"(?:resources|funds|funding)|as\s+(?:resources|funding|funds)\s+(?:permit|allow)|"
    r"within\s+(?:the\s+)?(?:available|existing)\s+resources",
    re.I,
)
#: "report" as a verb ("to report to", "c) report on", "reporting back"), not the noun
#: ("the report of the Secretariat", "national reports"); or "submit ... to".
_REPORT_VERB = re.compile(
    r"(?<!\bthe\s)(?<!\ba\s)(?<!\ban\s)(?<!\bits\s)(?<!\btheir\s)(?<!\bthis\s)"
    r"(?<!\bnational\s)(?<!\bannual\s)(?<!\bprogress\s)(?<!\bfinal\s)(?<!\bdraft\s)"
    r"\breport(?:s|ing)?\b(?!\s+of\b)|\bsubmit(?:s|ted|ting)?\b",
    re.I,
)
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPT_DIGITS = str.maketrans(_SUPERSCRIPTS, "0123456789")
_MARKER = re.compile(
    rf"(?:(?<=[a-z\)\]\.,;:\u2019\u201d\"'])(?P<digits>\d{{1,2}})(?![.,]\d)(?=[\s,;:.)\]]|$)"
    rf"|(?P<sup>[{_SUPERSCRIPTS}]{{1,2}}))"
)
_FOOTNOTE_LINE = re.compile(
    rf"^(?:(?P<digits>\d{{1,2}})\s+|(?P<sup>[{_SUPERSCRIPTS}]{{1,2}})\s*)(?P<text>\S.*)$"
)
_MARKER_ABBREVIATIONS = frozenset(
    {"para", "paras", "doc", "art", "arts", "rev", "res", "dec", "vol", "fig", "annex", "item",
     "inf", "add", "corr", "page", "sect", "chap", "cop", "stc", "scc", "meeting", "no", "nos"}
)  # fmt: skip
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬆ": "st"})
_ODD_SPACES = re.compile(r"[\t\v\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
#: Characters a text file does not hold: control characters (line breaks, tabs and form
#: feeds aside) and the replacement character of undecodable bytes.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufffd]")

#: Second halves of compounds broken at their hyphen: "web-/based" keeps its hyphen.
_COMPOUND_TAILS = frozenset(
    {"based", "related", "making", "term", "level", "wide", "specific", "led", "scale",
     "building", "sharing", "going", "up", "out", "like", "free", "friendly", "oriented",
     "sensitive", "driven", "bound", "dependent", "owned", "run", "governmental",
     "party", "parties", "state", "states", "border", "boundary", "cutting", "sectoral",
     "regional", "national", "annual", "time", "date", "income", "species", "users", "use"}
)  # fmt: skip
_COMPOUND_HEADS = frozenset(
    {"non", "co", "multi", "inter", "cross", "sub", "semi", "self", "well", "long", "short",
     "high", "low", "trans", "pre", "post", "anti", "pan", "ex", "re", "bi", "tri", "intra"}
)  # fmt: skip

_SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or",
     "the", "to", "with", "within", "under", "between", "among", "amongst", "via", "per",
     "nor", "its", "their", "beyond", "through", "towards", "upon", "against"}
)  # fmt: skip
_ACRONYMS = {
    w.upper(): w
    for w in (
        "CMS", "COP", "MEA", "MEAs", "NGO", "NGOs", "BLG", "CBD", "CITES", "IPBES", "IUCN",
        "UNEP", "UN", "UNESCO", "FAO", "SDG", "SDGs", "BBNJ", "AEWA", "EAAFP", "IPLC",
        "IPLCs", "ICLEI", "GBF", "NBSAP", "NBSAPs", "IWC", "IMO", "IRENA", "ASCOBANS",
        "ACCOBAMS", "ACAP", "EUROBATS", "CAF", "II", "III", "IV", "VI", "VII", "VIII",
        "IX", "XI", "XII", "StC", "ScC", "GEF", "WHC", "ICCWC", "CEPA", "IPCC", "UNFCCC",
        "UNCCD", "EIA", "SEA", "EU", "USA", "UK", "MOU", "MOS", "OECMs", "OECM", "WMBD",
    )
}  # fmt: skip

#: Words a qualifier clause of an addressee starts with; the clause runs to the next comma.
_PARTNER_QUALIFIER = re.compile(
    r"\b(?:together\s+with|jointly\s+with|working\s+with|in\s+(?:close\s+)?(?:cooperation|"
    r"co-operation|collaboration|consultation|coordination|partnership|liaison|conjunction)"
    r"\s+with|with\s+the\s+(?:support|assistance|help|involvement|participation)\s+of|"
    r"supported\s+by|assisted\s+by)\b",
    re.I,
)
_OTHER_QUALIFIER = re.compile(
    r"\b(?:within|in\s+accordance\s+with|in\s+line\s+with|consistent\s+with|according\s+to|"
    r"as\s+appropriate|where\s+appropriate|if\s+appropriate|as\s+necessary|"
    r"where\s+necessary|where\s+possible|as\s+far\s+as\s+possible|where\s+relevant|"
    r"where\s+applicable|if\s+applicable|as\s+applicable|in\s+particular|particularly|"
    r"inter\s+alia|including|such\s+as|through|via|subject\s+to|in\s+a\s+position\s+to|"
    r"in\s+their\s+capacity|on\s+behalf\s+of|among\s+others|that|which|who|whose|whom|"
    r"whether|when|where|if|so\s+as|in\s+order|in\s+the\s+context\s+of|"
    r"for\s+the\s+purpose\s+of|at\s+all\s+levels|at\s+(?:the\s+)?(?:national|regional|"
    r"international|global|local|subnational)\s+levels?|as\s+well\s+as\s+at)\b",
    re.I,
)
#: Words of an addressee phrase that name no one by themselves.
_FILLER = frozenset(
    {"the", "a", "an", "all", "any", "each", "both", "other", "others", "relevant",
     "interested", "concerned", "respective", "appropriate", "also", "further", "its",
     "their", "respectively", "as", "where", "necessary", "well", "and", "or", "to", "of",
     "in", "on", "at", "by", "for", "with", "themselves", "them", "so", "do", "possible",
     "applicable", "hereby", "together", "again", "strongly", "kindly", "once", "more",
     "nor", "either", "such", "these", "those", "this", "that", "own", "individually",
     "collectively", "within", "available", "existing", "key", "various",
     "inter", "alia", "other.", "etc", "invited", "requested", "encouraged", "urged"}
)  # fmt: skip
_DETERMINERS = frozenset(
    {"the", "all", "other", "any", "each", "both", "such", "its", "their", "these", "those",
     "relevant", "interested", "concerned", "respective", "appropriate"}
)  # fmt: skip
#: Ways a text names its own convention: "Parties to the Convention" are CMS Parties.
_SELF_REFERENCE = re.compile(
    r"^(?:to|of|under)?\s*(?:the\s+|this\s+)?(?:convention|cms|convention\s+on\s+migratory\s+"
    r"species|convention\s+on\s+the\s+conservation\s+of\s+migratory\s+species\s+of\s+wild\s+"
    r"animals|cms\s+family)\s*$",
    re.I,
)
_SEPARATORS = re.compile(r",|;|\band/or\b|\band\b|\bor\b|\bas\s+well\s+as\b|&", re.I)


def _ordinal_words() -> dict[str, int]:
    units = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth"]  # fmt: skip
    teens = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
             "sixteenth", "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip
    tens = {2: "twent", 3: "thirt", 4: "fort", 5: "fift", 6: "sixt", 7: "sevent", 8: "eight",
            9: "ninet"}  # fmt: skip
    words: dict[str, int] = {}
    for n in range(1, 100):
        if n < 10:
            words[units[n]] = n
        elif n < 20:
            words[teens[n - 10]] = n
        elif n % 10 == 0:
            words[tens[n // 10] + "ieth"] = n
        else:
            for sep in ("-", " "):
                words[f"{tens[n // 10]}y{sep}{units[n % 10]}"] = n
    return words


_ORDINAL_WORDS = _ordinal_words()
_DUE_PREPOSITIONS = r"(?:at|by|to|before|for|until|prior\s+to|no\s+later\s+than)"
_ORD = (
    r"(?:\d{1,3}\s?(?:st|nd|rd|th)\b|"
    + "|".join(sorted((w.replace(" ", r"\s") for w in _ORDINAL_WORDS), key=len, reverse=True))
    + r")"
)


def _ordinal_value(text: str) -> int | None:
    text = re.sub(r"\s+", " ", text.strip().lower())
    digits = re.match(r"(\d{1,3})", text)
    if digits:
        return int(digits.group(1))
    return _ORDINAL_WORDS.get(text)


# --- Actor matching -----------------------------------------------------------------------


def _alias_pattern(alias: str) -> str:
    parts = []
    for piece in re.split(r"(\s+|-)", alias):
        if not piece:
            continue
        if piece.isspace():
            parts.append(r"\s+")
        elif piece == "-":
            parts.append(r"[-\u2010\u2011\u2013]\s?")
        else:
            escaped = re.escape(piece)
            if "iz" in piece:
                escaped = escaped.replace("iz", "i[sz]")
            parts.append(escaped)
    pattern = "".join(parts)
    # Acronyms match in their own case only: "COP" is the Conference, "cop" is not.
    if re.fullmatch(r"[A-Z][A-Za-z]{0,2}[A-Z]s?", alias):
        pattern = f"(?-i:{pattern})"
    return pattern


def _word_key(word: str) -> str:
    return word.lower().replace("isation", "ization")


_WORD = re.compile(r"(?<![\w-])[^\W\d_][\w'\u2019]*")


class ActorMatcher:
    """Finds actor names in a phrase: the longest alias wins at each position, case and
    spacing aside (acronyms keep their case). Aliases are grouped by their first word, so
    each word of a text is tried against a few aliases only."""

    def __init__(self, actors: Mapping[str, Iterable[str]]) -> None:
        entries: dict[str, str] = {}
        for slug, aliases in actors.items():
            for alias in aliases:
                alias = re.sub(r"\s+", " ", str(alias)).strip()
                alias = re.sub(r"^the\s+", "", alias, flags=re.I)
                if len(alias) >= 2 and _WORD.match(alias):
                    entries.setdefault(alias, slug)
        ordered = sorted(entries, key=lambda a: (-len(a), a))
        self._by_first: dict[str, list[tuple[re.Pattern[str], str, str]]] = {}
        for alias in ordered:
            first = _word_key(alias.split()[0].split("-")[0])
            regex = re.compile(rf"(?:{_alias_pattern(alias)})(?![\w-])", re.I)
            self._by_first.setdefault(first, []).append((regex, entries[alias], alias))
        #: Every name of a body that meets, as one regex alternation ("" when none).
        self.body_pattern = "|".join(
            _alias_pattern(a) for a in ordered if entries[a] in BODY_MEETING_CODES
        )

    def finditer(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        """(start, end, slug, alias) of each actor named in `text`, left to right, not
        overlapping."""
        position = 0
        for word in _WORD.finditer(text):
            if word.start() < position:
                continue
            for regex, slug, alias in self._by_first.get(_word_key(word.group(0)), ()):
                m = regex.match(text, word.start())
                if m:
                    yield m.start(), m.end(), slug, alias
                    position = m.end()
                    break

    def fullmatch(self, text: str) -> str | None:
        text = re.sub(r"^(?:the\s+)", "", text.strip(), flags=re.I)
        for start, end, slug, _ in self.finditer(text):
            if start == 0 and end == len(text):
                return slug
        return None


# --- Lines --------------------------------------------------------------------------------


@dataclass
class _Line:
    no: int
    text: str
    blank_before: bool = False
    page_start: bool = False


@dataclass
class _Para:
    """Lines of one operative paragraph, or of an annex."""

    number: str
    lines: list[_Line]
    heading: str = ""


@dataclass
class _Item:
    number: str
    text: str
    start: int  # offset in the paragraph's joined text
    children: list[_Item] = field(default_factory=list)


def _normalise(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    text = text.translate(_LIGATURES)
    return _CONTROL.sub(" ", text)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _check(text: object, max_chars: int) -> str:
    if not isinstance(text, str):
        raise ParseError("expected text, got binary data")
    if len(text) > max_chars:
        raise ParseError(
            f"the text is too large: {len(text):,} characters, the limit is {max_chars:,}"
        )
    nul = text.find("\x00")
    if nul >= 0:
        raise ParseError("this is a binary file, not a text (a NUL byte)", line=_line_of(text, nul))
    odd = _BINARY.findall(text)
    if len(odd) > max(8, len(text) // 200):
        first = _BINARY.search(text)
        raise ParseError(
            "this looks like a binary file, not a text (control characters)",
            line=_line_of(text, first.start() if first else 0),
        )
    if not text.strip():
        raise ParseError("the text is empty")
    return text


def title_case(text: str) -> str:
    """An all-capitals title in title case, acronyms and small words kept as they are
    read: "SYNERGIES AND PARTNERSHIPS" -> "Synergies and Partnerships"."""
    words = text.split()
    out = []
    for i, word in enumerate(words):
        core = word.strip("()[],.;:'\"\u201c\u201d\u2018\u2019")
        if core.upper() in _ACRONYMS:
            out.append(word.replace(core, _ACRONYMS[core.upper()]))
        elif any(ch.isdigit() for ch in core) or "." in core or "/" in core:
            out.append(word)
        elif i > 0 and core.lower() in _SMALL_WORDS:
            out.append(word.lower())
        else:
            out.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(out)


def _is_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters)


def _ends_block(text: str) -> bool:
    return bool(re.search(r"(?:[,;:.!?]|\band|\bor)\s*$", text))


# --- The reader ---------------------------------------------------------------------------


def parse_resolution(
    text: str,
    *,
    actors: Mapping[str, Iterable[str]],
    adopted_at: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Reading:
    """Read `text` into a reading (see the module docstring). `actors` maps each actor
    slug to the phrases that name it; `adopted_at` is the code of the adopting meeting
    ("COP14") when known, used to resolve "the next meeting"; otherwise it is read from
    the text. Raises ParseError only."""
    _check(text, max_chars)
    return _Reader(ActorMatcher(actors), adopted_at).read(text)


class _Reader:
    def __init__(self, matcher: ActorMatcher, adopted_at: str | None) -> None:
        self.matcher = matcher
        self.adopted_at = adopted_at
        self.warnings: list[dict[str, Any]] = []
        self.words: set[str] = set()

    def warn(self, line: int | None, message: str) -> None:
        entry = {"line": line, "message": message}
        if entry not in self.warnings:
            self.warnings.append(entry)

    # -- lines -------------------------------------------------------------------------

    def read(self, text: str) -> Reading:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.words = {w.lower() for w in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", text)}
        lines, artefacts = self._lines(text)
        lines, footnotes = self._footnotes(lines)
        lines = self._merge_lone_numbers(lines)
        if not lines:
            raise ParseError("the text holds nothing but page numbers and headers", line=1)

        first_op = self._first_operative(lines)
        if first_op is None:
            raise ParseError(
                "no operative part: no numbered paragraph such as '1. Requests the "
                "Secretariat to ...' or '14.11 The Secretariat shall:' was found",
                line=lines[-1].no,
            )
        adoption = self._adoption_span(lines, first_op)
        body_start = self._body_start(lines, first_op, adoption)
        head = lines[:body_start]
        header, title, symbol_lines = self._head(head, adoption[0] if adoption else None)
        symbol, kind = self._symbol([*symbol_lines, *(t for _, t in artefacts)])
        note = " ".join(x.text for x in lines[adoption[0] : adoption[1]]) if adoption else ""
        adopted = self.adopted_at or self._adopted_meeting(note)
        self.adopted_at = adopted
        self._warn_artefacts(artefacts, after=head[-1].no if head else 0)

        preamble_lines = lines[body_start:first_op]
        preamble, enacting = self._preamble(preamble_lines)
        paragraphs, annex_paras = self._operative(lines[first_op:])
        if not paragraphs:
            raise ParseError("no operative part: no numbered paragraph", line=lines[first_op].no)
        operative = [self._paragraph(p) for p in paragraphs]
        annexes = [self._annex(p) for p in annex_paras]
        if not kind:
            decision_like = any(p.heading for p in paragraphs) or any(
                "." in p.number for p in paragraphs
            )
            kind = "decision" if decision_like else "resolution"
        if not title:
            self.warn(lines[0].no, "no title found before the text; give one")
        return {
            "title": title,
            "symbol": symbol,
            "kind": kind,
            "adopted_at": adopted,
            "header": header,
            "enacting_formula": enacting,
            "preamble": [{"text": t} for t in preamble],
            "operative": operative,
            "annexes": annexes,
            "footnotes": footnotes,
            "warnings": sorted(self.warnings, key=lambda w: w["line"] or 0),
        }

    def _lines(self, text: str) -> tuple[list[_Line], list[tuple[int, str]]]:
        """Non-blank lines with page headers, footers and numbers removed (and returned,
        for the document symbol), each flagged when a blank line or a page break
        precedes it."""
        raw: list[tuple[int, str, bool]] = []  # (line no, text, page break before)
        for no, line in enumerate(text.split("\n"), start=1):
            for i, piece in enumerate(line.split("\f")):
                raw.append((no, _normalise(piece).strip(), i > 0))
        counts = Counter(t for _, t, _ in raw if t)
        repeated = {
            t
            for t, n in counts.items()
            if n >= 3
            and 8 <= len(t) <= 80
            and not _ends_block(t)
            and not _NUMBERED.match(t)
            and not _DIRECTED.match(t)
            and not _ANNEX.match(t)
            and not _PREAMBLE_OPENER.match(t)
        }
        lines: list[_Line] = []
        artefacts: list[tuple[int, str]] = []
        blank = page = False
        for no, t, page_break in raw:
            page = page or page_break
            if not t:
                blank = True
                continue
            if _PAGE_NUMBER.match(t) or _DOC_SYMBOL_LINE.match(t) or t in repeated:
                artefacts.append((no, t))
                page = True
                continue
            if _SEPARATOR.match(t):
                continue
            lines.append(_Line(no, re.sub(r" {2,}", " ", t), blank_before=blank, page_start=page))
            blank = page = False
        return lines, artefacts

    def _warn_artefacts(self, artefacts: list[tuple[int, str]], *, after: int) -> None:
        """One warning per distinct page header or footer taken out of the body (page
        numbers go without saying; the header block keeps its lines)."""
        removed: dict[str, list[int]] = {}
        for no, text in artefacts:
            if no > after and not _PAGE_NUMBER.match(text):
                removed.setdefault(text, []).append(no)
        for text, where in removed.items():
            times = f" ({len(where)} times)" if len(where) > 1 else ""
            self.warn(where[0], f"'{text}' removed as a page header or footer{times}")

    def _footnotes(self, lines: list[_Line]) -> tuple[list[_Line], list[dict[str, Any]]]:
        """Footnote texts (a number then text, at the foot of a page) taken out of the
        flow, and their markers ("Parties1", "species.²") taken out of the text."""
        markers: list[tuple[int, int, int, str]] = []  # (line index, start, end, number)
        footnotes: list[dict[str, Any]] = []
        keep: list[_Line] = []
        remove_marks: dict[int, list[tuple[int, int]]] = {}
        current: dict[str, Any] | None = None
        for line in lines:
            if current is not None:
                breaks = line.page_start or line.blank_before
                if not breaks and self._footnote_start(line, markers) is None:
                    current["text"] += " " + line.text
                    continue
                current = None
            found = self._footnote_start(line, markers)
            if found is not None:
                number, body, marker = found
                markers.remove(marker)
                remove_marks.setdefault(marker[0], []).append((marker[1], marker[2]))
                current = {"number": number, "text": body, "line": line.no}
                footnotes.append(current)
                continue
            index = len(keep)
            keep.append(line)
            for m in _MARKER.finditer(line.text):
                digits = m.group("digits")
                if digits is not None:
                    word = re.search(r"([A-Za-z]+)[^A-Za-z]?$", line.text[: m.start()])
                    if not word or len(word.group(1)) < 3 or not word.group(1)[-3:].islower():
                        continue
                    if word.group(1).lower() in _MARKER_ABBREVIATIONS:
                        continue
                    number = digits
                else:
                    number = m.group("sup").translate(_SUPERSCRIPT_DIGITS)
                markers.append((index, m.start(), m.end(), str(int(number))))
        for index, spans in remove_marks.items():
            text = keep[index].text
            for start, end in sorted(spans, reverse=True):
                text = text[:start] + text[end:]
            keep[index] = _Line(
                keep[index].no, text, keep[index].blank_before, keep[index].page_start
            )
        for note in footnotes:
            note["text"] = self._join_texts([note["text"]])
        return keep, footnotes

    @staticmethod
    def _footnote_start(
        line: _Line, markers: list[tuple[int, int, int, str]]
    ) -> tuple[str, str, tuple[int, int, int, str]] | None:
        m = _FOOTNOTE_LINE.match(line.text)
        if m is None:
            return None
        raw = m.group("digits") or (m.group("sup") or "").translate(_SUPERSCRIPT_DIGITS)
        number = str(int(raw))
        for marker in reversed(markers):
            if marker[3] == number:
                return number, m.group("text"), marker
        return None

    @staticmethod
    def _merge_lone_numbers(lines: list[_Line]) -> list[_Line]:
        """A paragraph number or sub-paragraph letter alone on its line belongs to the
        next line (tab-aligned numbers come out so)."""
        out: list[_Line] = []
        carry: _Line | None = None
        for line in lines:
            if carry is not None:
                out.append(_Line(carry.no, f"{carry.text} {line.text}", carry.blank_before,
                                 carry.page_start))  # fmt: skip
                carry = None
                continue
            if _NUMBER_ONLY.match(line.text) or _SUB_ONLY.match(line.text):
                carry = line
                continue
            out.append(line)
        if carry is not None:
            out.append(carry)
        return out

    # -- joining -----------------------------------------------------------------------

    def _join(self, lines: Sequence[_Line]) -> tuple[str, list[tuple[int, int]]]:
        """The lines as one text, and (offset, line number) where each line starts. A
        word broken at a line end is joined; the line's own spacing is already single."""
        parts: list[str] = []
        offsets: list[tuple[int, int]] = []
        length = 0
        previous = ""
        for line in lines:
            piece = line.text
            if parts:
                left = re.search(r"(?<![A-Za-z])([A-Za-z]+)-$", previous)
                right = re.match(r"([A-Za-z]+)", piece)
                if re.search(r"[\dA-Za-z]-$", previous):
                    if left and right and piece[0].islower():
                        keep, guessed = self._dehyphenate(left.group(1), right.group(1))
                        if not keep:
                            parts[-1] = parts[-1][:-1]
                            length -= 1
                            if guessed:
                                self.warn(
                                    line.no,
                                    f"'{left.group(1)}-' and '{right.group(1)}' joined as "
                                    f"'{left.group(1)}{right.group(1)}'",
                                )
                else:
                    parts.append(" ")
                    length += 1
            offsets.append((length, line.no))
            parts.append(piece)
            length += len(piece)
            previous = piece
        return "".join(parts), offsets

    def _join_texts(self, pieces: Sequence[str]) -> str:
        return self._join([_Line(0, p) for p in pieces])[0]

    def _dehyphenate(self, left: str, right: str) -> tuple[bool, bool]:
        """(keep the hyphen?, decided by default?) for a word broken at a line end."""
        whole = (left + right).lower()
        if whole in self.words:
            return False, False
        if f"{left}-{right}".lower() in self.words:
            return True, False
        if right.lower() in _COMPOUND_TAILS or left.lower() in _COMPOUND_HEADS:
            return True, False
        if left[:1].isupper() and len(left) > 1 and left[1:].islower() and len(left) <= 3:
            return True, False
        return False, True

    # -- regions -----------------------------------------------------------------------

    def _first_operative(self, lines: list[_Line]) -> int | None:
        for i, line in enumerate(lines):
            if _DIRECTED.match(line.text) and (i == 0 or self._at_boundary(lines, i)):
                return i
            m = _NUMBERED.match(line.text)
            if m and self._looks_operative(m.group("rest")):
                return i
        return None

    @staticmethod
    def _looks_operative(rest: str) -> bool:
        return bool(rest[:1].isupper() or rest[:1] in "(\u201c\"'")

    @staticmethod
    def _at_boundary(lines: list[_Line], i: int) -> bool:
        line = lines[i]
        return i == 0 or line.blank_before or line.page_start or _ends_block(lines[i - 1].text)

    def _adoption_span(self, lines: list[_Line], first_op: int) -> tuple[int, int] | None:
        """The note "Adopted by the Conference of the Parties at its 14th Meeting
        (Samarkand, February 2024)" under the title: (first index, index after it)."""
        for i, line in enumerate(lines[: min(first_op, 60)]):
            if i == 0 or not _ADOPTION.match(line.text):
                continue
            j = i + 1
            # It runs on while a bracket is open or the next line opens one.
            while j < first_op and not lines[j].blank_before:
                joined = " ".join(x.text for x in lines[i:j])
                if joined.count("(") > joined.count(")") or lines[j].text.startswith("("):
                    j += 1
                else:
                    break
            return i, j
        return None

    def _body_start(
        self, lines: list[_Line], first_op: int, adoption: tuple[int, int] | None
    ) -> int:
        """Index of the first line after the title block."""
        if adoption is not None:
            return adoption[1]
        for i, line in enumerate(lines[:first_op]):
            opens = bool(_PREAMBLE_OPENER.match(line.text) or _ENACTING.match(line.text))
            # With no title block the text starts with its preamble.
            if opens and (i == 0 or self._at_boundary(lines, i)):
                return i
        # No preamble: the title block is what comes before a blank line.
        for i in range(1, first_op):
            text = lines[i].text
            if _HEADER_LINE.match(text) or _SYMBOL.search(text) or _is_caps(text):
                continue
            if lines[i].blank_before:
                return i
        return first_op

    def _head(self, head: list[_Line], adoption_at: int | None) -> tuple[list[str], str, list[str]]:
        """(header lines, title, lines that may hold the symbol) of the lines before the
        body; `adoption_at` is where the adoption note starts (it is not the title)."""
        groups: list[list[_Line]] = []
        header: list[str] = []
        symbol_lines: list[str] = []
        for index, line in enumerate(head):
            if adoption_at is not None and index >= adoption_at:
                break
            if _HEADER_LINE.match(line.text) or _SYMBOL.search(line.text):
                header.append(line.text)
                symbol_lines.append(line.text)
                groups.append([])
                continue
            if not groups or line.blank_before or line.page_start:
                groups.append([])
            groups[-1].append(line)
        groups = [g for g in groups if g]
        title_group: list[_Line] = []
        caps = [g for g in groups if all(_is_caps(x.text) for x in g)]
        if caps:
            title_group = caps[-1]
        elif groups:
            title_group = groups[-1] if adoption_at is not None else groups[0]
        others = [x for group in groups if group is not title_group for x in group]
        order = {id(x): x.no for x in head}
        header_lines = [x for x in head if x.text in header]
        header = [x.text for x in sorted([*header_lines, *others], key=lambda x: order[id(x)])]
        title = self._join(title_group)[0] if title_group else ""
        if _is_caps(title):
            title = title_case(title)
        if len(title) > MAX_TITLE_CHARS:
            self.warn(title_group[0].no, f"the title is cut to {MAX_TITLE_CHARS} characters")
            title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
        return header, title, symbol_lines

    @staticmethod
    def _symbol(lines: Iterable[str]) -> tuple[str, str]:
        for line in lines:
            m = _SYMBOL.search(line)
            if m:
                symbol = re.sub(r"\s*(?:[-\u2013]|\bto\b)\s*", "-", m.group("symbol"))
                symbol = re.sub(
                    r"\(\s*rev\.?\s*cop\s*(\d+)\s*\)", r"(Rev.COP\1)", symbol, flags=re.I
                )
                symbol = re.sub(r"\s*\(", " (", symbol)
                kind = (
                    "decision" if m.group("kind").lower().startswith("decision") else "resolution"
                )
                return symbol, kind
        return "", ""

    def _adopted_meeting(self, adoption: str) -> str | None:
        if not adoption:
            return None
        numbers = [
            n
            for m in re.finditer(_ORD, adoption, flags=re.I)
            if (n := _ordinal_value(m.group(0))) is not None
        ]
        if not numbers:
            return None
        prefix = "StC" if re.search(r"standing\s+committee", adoption, re.I) else "COP"
        return f"{prefix}{max(numbers)}"

    # -- preamble ----------------------------------------------------------------------

    def _preamble(self, lines: list[_Line]) -> tuple[list[str], str]:
        blocks: list[list[_Line]] = []
        for line in lines:
            starts = False
            if not blocks:
                starts = True
            elif line.text[:1].isupper() and _ends_block(blocks[-1][-1].text):
                starts = bool(
                    line.blank_before
                    or line.page_start
                    or _PREAMBLE_OPENER.match(line.text)
                    or _ENACTING.match(line.text)
                )
            if starts:
                blocks.append([line])
            else:
                blocks[-1].append(line)
        texts = [self._join(b)[0] for b in blocks]
        enacting = ""
        if texts and _ENACTING.match(texts[-1]) and not texts[-1].rstrip().endswith((",", ";")):
            enacting = texts.pop()
        for block, text in zip(blocks, texts, strict=False):
            if not _PREAMBLE_OPENER.match(text) and not _ENACTING.match(text):
                self.warn(block[0].no, f"preamble paragraph starts unusually: '{text[:40]}'")
        return texts, enacting

    # -- operative part ----------------------------------------------------------------

    def _operative(self, lines: list[_Line]) -> tuple[list[_Para], list[_Para]]:
        paragraphs: list[_Para] = []
        annexes: list[_Para] = []
        heading = ""
        section = ""
        pending: list[_Line] = []
        for i, line in enumerate(lines):
            boundary = self._at_boundary(lines, i)
            if annexes:
                annex = _ANNEX.match(line.text)
                if annex and boundary:
                    annexes.append(_Para("", [line]))
                else:
                    annexes[-1].lines.append(line)
                continue
            if boundary and _ANNEX.match(line.text) and paragraphs:
                annexes.append(_Para("", [line]))
                continue
            directed = _DIRECTED.match(line.text)
            if directed and boundary:
                heading = re.sub(r"\s*:\s*$", "", line.text)
                continue
            m = _NUMBERED.match(line.text)
            if m and self._accept_number(paragraphs, m, line):
                number = m.group("num")
                if len(number) > MAX_NUMBER_CHARS:
                    number = number[:MAX_NUMBER_CHARS]
                rest = _Line(line.no, m.group("rest"), line.blank_before, line.page_start)
                label = " · ".join(x for x in (section, heading) if x)[:MAX_TITLE_CHARS]
                paragraphs.append(_Para(number, [*pending, rest], label))
                pending = []
                continue
            if (
                boundary
                and paragraphs
                and _is_caps(line.text)
                and len(line.text.split()) <= 14
                and _ends_block(paragraphs[-1].lines[-1].text)
            ):
                section = title_case(line.text)
                heading = ""
                continue
            if not paragraphs:
                self.warn(line.no, f"text before the first numbered paragraph: '{line.text[:40]}'")
                pending.append(line)
                continue
            paragraphs[-1].lines.append(line)
        return paragraphs, annexes

    def _accept_number(self, paragraphs: list[_Para], m: re.Match[str], line: _Line) -> bool:
        if not self._looks_operative(m.group("rest")):
            return False
        number = m.group("num")
        if not paragraphs:
            if number not in ("1",) and not number.endswith(".1") and "." not in number:
                self.warn(line.no, f"the first operative paragraph is numbered {number}")
            return True
        previous = paragraphs[-1]
        if _is_successor(previous.number, number):
            return True
        prev_text = previous.lines[-1].text
        if _ends_block(prev_text) and _number_key(number) > _number_key(previous.number):
            starts_like = bool(
                _VERB_AT_START.match(m.group("rest"))
                or _SHALL.match(m.group("rest"))
                or _PASSIVE.match(m.group("rest"))
            )
            if starts_like:
                self.warn(line.no, f"paragraph numbering jumps from {previous.number} to {number}")
                return True
        return False

    # -- one operative paragraph -------------------------------------------------------

    def _paragraph(self, para: _Para) -> dict[str, Any]:
        text, offsets = self._join(para.lines)
        items = self._subparagraphs(text, offsets)
        lead = text[: items[0].start].strip() if items else text

        def line_at(offset: int) -> int:
            starts = [o for o, _ in offsets]
            return offsets[max(0, bisect.bisect_right(starts, offset) - 1)][1]

        heading_actors = self._heading_addressee(para.heading)
        sub_texts = " ".join(_flatten_texts(items))
        directives = self._directives(
            lead,
            offset=0,
            line_at=line_at,
            number=para.number,
            heading=heading_actors,
            attached=sub_texts,
        )
        if not directives and not items:
            self.warn(line_at(0), f"paragraph {para.number}: no operative verb found")
        return {
            "number": para.number,
            "heading": para.heading,
            "text": lead,
            "line": para.lines[0].no,
            "directives": directives,
            "subparagraphs": [
                self._subparagraph(item, line_at, f"{para.number} ({item.number})")
                for item in items
            ],
        }

    def _subparagraph(self, item: _Item, line_at, label: str) -> dict[str, Any]:
        directives: list[dict[str, Any]] = []
        if _VERB_AT_START.match(item.text) or _SHALL.match(item.text) or _PASSIVE.match(item.text):
            directives = self._directives(
                item.text,
                offset=item.start,
                line_at=line_at,
                number=label,
                heading=None,
                attached=" ".join(_flatten_texts(item.children)),
            )
        return {
            "number": item.number,
            "text": item.text,
            "line": line_at(item.start),
            "directives": directives,
            "subparagraphs": [
                self._subparagraph(child, line_at, f"{label} ({child.number})")
                for child in item.children
            ],
        }

    def _subparagraphs(self, text: str, offsets: list[tuple[int, int]]) -> list[_Item]:
        """Sub-paragraphs "(a)", "a)", "(i)", nested, found where a list can start: after
        a colon or semicolon, or at the start of a line after a comma or full stop."""
        line_starts = {o for o, _ in offsets}
        roots: list[_Item] = []
        # Each open level: (kind, bracket form, last value, items list, owning item).
        stack: list[tuple[str, str, int, list[_Item], _Item | None]] = []
        accepted: list[tuple[int, int, _Item]] = []
        for m in re.finditer(
            r"(?:(?<=\s)|^)(\((?P<p>[a-z]{1,5}|[A-Z]|\d{1,2})\)|(?P<b>[a-z]{1,5}|\d{1,2})\))(?=\s)",
            text,
        ):
            value = m.group("p") or m.group("b")
            form = "()" if m.group("p") else ")"
            before = text[max(0, m.start() - 12) : m.start()].rstrip()
            after_list_start = bool(re.search(r"(?:[:;]|;\s*(?:and|or))$", before))
            at_line_start = m.start() in line_starts and re.search(r"(?:[,.]|\band|\bor)$", before)
            if m.start() > 0 and not (after_list_start or at_line_start):
                continue
            kinds = _marker_kinds(value)
            if not kinds:
                continue
            placed = False
            for depth in range(len(stack) - 1, -1, -1):
                kind, lvl_form, last, siblings, owner = stack[depth]
                if lvl_form == form and kind in kinds and kinds[kind] == last + 1:
                    item = _Item(value, "", m.start())
                    siblings.append(item)
                    stack[depth] = (kind, form, last + 1, siblings, owner)
                    del stack[depth + 1 :]
                    accepted.append((m.start(), m.end(), item))
                    placed = True
                    break
            if placed:
                continue
            first = [k for k, v in kinds.items() if v == 1]
            if not first:
                continue
            kind = "roman" if "roman" in first and "letter" not in first else first[0]
            if stack:
                owner = stack[-1][3][-1]
                if any(lvl[0] == kind and lvl[1] == form for lvl in stack):
                    continue
                item = _Item(value, "", m.start())
                owner.children.append(item)
                stack.append((kind, form, 1, owner.children, owner))
            else:
                item = _Item(value, "", m.start())
                roots.append(item)
                stack.append((kind, form, 1, roots, None))
            accepted.append((m.start(), m.end(), item))
        for index, (_start, end, item) in enumerate(accepted):
            stop = accepted[index + 1][0] if index + 1 < len(accepted) else len(text)
            item.text = text[end:stop].strip()
        return roots

    # -- directives --------------------------------------------------------------------

    def _heading_addressee(self, heading: str) -> dict[str, Any] | None:
        m = re.search(r"directed\s+to\s+(.+)$", heading, re.I)
        if not m:
            return None
        phrase = m.group(1).strip()
        actors, _, unmatched = self._addressees(phrase)
        return {"phrase": phrase, "actors": actors, "unmatched": unmatched}

    def _clauses(self, text: str) -> list[tuple[int, int, int, str, str, str | None]]:
        """Each directive of a text: (clause start, verb start, verb end, lemma, verb
        phrase, subject) in order; subject is set for "X shall" and "X are invited"."""
        found: list[tuple[int, int, int, str, str, str | None]] = []
        m = _VERB_AT_START.match(text)
        if m:
            lemma = _FORMS[_squash(m.group("verb")).lower()]
            found.append((0, m.start("phrase"), m.end("phrase"), lemma, m.group("phrase"), None))
        else:
            subject = self._subject_clause(text, 0)
            if subject:
                found.append(subject)
            else:
                m = _VERB_AFTER_PREFIX.match(text)
                if m and m.group("verb")[:1].islower():
                    lemma = _FORMS[_squash(m.group("verb")).lower()]
                    found.append(
                        (0, m.start("phrase"), m.end("phrase"), lemma, m.group("phrase"), None)
                    )
        for m in _VERB_INSIDE.finditer(text):
            if m.group("verb")[:1].isupper() and not m.group("lead").startswith(";"):
                continue
            if found and m.start() < found[-1][2]:
                continue
            after = re.match(r"\s*(\S+)", text[m.end() : m.end() + 40])
            if (
                after
                and after.group(1).lower().strip(",;") in _NOUN_FOLLOWERS
                and _FORMS[_squash(m.group("verb")).lower()] not in ("call_on",)
            ):
                continue
            lemma = _FORMS[_squash(m.group("verb")).lower()]
            found.append(
                (m.start(), m.start("phrase"), m.end("phrase"), lemma, m.group("phrase"), None)
            )
        # Decisions: "...; the Secretariat shall", ". Parties are encouraged to".
        for m in re.finditer(r"(?:;\s+(?:and\s+)?|\.\s+)(?=[A-Z])", text):
            start = m.end()
            if any(c[0] <= start < c[2] for c in found):
                continue
            subject = self._subject_clause(text, start)
            if subject and self._has_actor(subject[5] or ""):
                found.append(subject)
        found.sort(key=lambda c: c[0])
        return found

    def _subject_clause(self, text: str, start: int) -> tuple[int, int, int, str, str, str] | None:
        for regex in (_PASSIVE, _SHALL):
            m = regex.match(text, start)
            if not m:
                continue
            subject = m.group("subject").strip()
            if len(subject.split()) > 20 or _VERB_AT_START.match(subject):
                continue
            if re.search(r"\b(?:shall|should|will)\b", subject):
                continue
            lemma = _PASSIVES[_squash(m.group("verb")).lower()] if regex is _PASSIVE else "shall"
            return start, m.start("phrase"), m.end("phrase"), lemma, m.group("phrase"), subject
        return None

    def _has_actor(self, phrase: str) -> bool:
        return any(True for _ in self.matcher.finditer(phrase))

    def _directives(
        self,
        text: str,
        *,
        offset: int,
        line_at,
        number: str,
        heading: dict[str, Any] | None,
        attached: str,
    ) -> list[dict[str, Any]]:
        clauses = self._clauses(text)
        if not clauses:
            m = _UNKNOWN_VERB_AT_START.match(text)
            if m and not self.matcher.fullmatch(m.group("verb")):
                word = m.group("verb")
                lemma = _guess_lemma(word.lower())
                self.warn(
                    line_at(offset),
                    f"paragraph {number}: '{word}' is not in the verb vocabulary; read as "
                    f"declaratory (nothing to track). Correct it if it asks something.",
                )
                clauses = [(0, m.start("phrase"), m.end("phrase"), lemma, m.group("phrase"), None)]
            elif heading is not None:
                self.warn(
                    line_at(offset),
                    f"paragraph {number}: no operative verb; read as 'shall', addressed to "
                    f"'{heading['phrase']}' as its heading says",
                )
                return [
                    self._directive(
                        lemma="shall",
                        verb_phrase="",
                        addressee=heading["phrase"],
                        actors=list(heading["actors"]),
                        partners=[],
                        unmatched=list(heading["unmatched"]),
                        obligations=self._obligations(text + " " + attached, line_at(offset)),
                        resources=bool(_SUBJECT_TO_RESOURCES.search(text + " " + attached)),
                        line=line_at(offset),
                    )
                ]
            else:
                return []
        first_verb = clauses[0][1]
        prefix_resources = bool(_SUBJECT_TO_RESOURCES.search(text[:first_verb]))
        merged: dict[str, dict[str, Any]] = {}
        for index, (start, verb_start, verb_end, lemma, phrase, subject) in enumerate(clauses):
            end = clauses[index + 1][0] if index + 1 < len(clauses) else len(text)
            clause = text[verb_end:end]
            whole = text[start:end]
            if index == len(clauses) - 1 and attached:
                whole = f"{whole} {attached}"
            line = line_at(offset + verb_start)
            tracked = vocabulary.is_tracked(lemma)
            addressee = ""
            actors: list[str] = []
            partners: list[str] = []
            unmatched: list[str] = []
            if tracked:
                if subject is not None:
                    addressee = _strip_phrase(subject)
                elif lemma == "decide" or clause.lstrip().lower().startswith("that "):
                    addressee = self._that_subject(clause, modal_required=lemma == "decide")
                else:
                    addressee = self._addressee_phrase(clause)
                if addressee:
                    actors, partners, unmatched = self._addressees(addressee)
                elif heading is not None and lemma != "decide":
                    addressee = heading["phrase"]
                    actors, unmatched = list(heading["actors"]), list(heading["unmatched"])
                elif lemma != "decide":
                    self.warn(line, f"paragraph {number}: no addressee found for '{phrase}'")
                if len(addressee) > MAX_PHRASE_CHARS:
                    addressee = addressee[:MAX_PHRASE_CHARS].rsplit(" ", 1)[0]
                    self.warn(
                        line,
                        f"paragraph {number}: addressee cut to {MAX_PHRASE_CHARS} characters",
                    )
                for phrase_text in unmatched:
                    self.warn(
                        line,
                        f"paragraph {number}: '{phrase_text}' ({_squash(phrase)}) is not a "
                        "known actor; map it to an actor or add a new one",
                    )
                obligations = self._obligations(whole, line)
                resources = prefix_resources or bool(_SUBJECT_TO_RESOURCES.search(whole))
            else:
                obligations = {
                    "report_to": None,
                    "cadence": "",
                    "due_meeting": None,
                    "deadline": "",
                }
                resources = False
            directive = self._directive(
                lemma=lemma,
                verb_phrase=_squash(phrase)[:MAX_VERB_PHRASE_CHARS],
                addressee=addressee,
                actors=actors,
                partners=partners,
                unmatched=unmatched,
                obligations=obligations,
                resources=resources,
                line=line,
            )
            if lemma in merged:
                _merge_directive(merged[lemma], directive)
            else:
                merged[lemma] = directive
        return list(merged.values())

    @staticmethod
    def _directive(
        *,
        lemma: str,
        verb_phrase: str,
        addressee: str,
        actors: list[str],
        partners: list[str],
        unmatched: list[str],
        obligations: dict[str, Any],
        resources: bool,
        line: int,
    ) -> dict[str, Any]:
        return {
            "verb": lemma,
            "verb_phrase": verb_phrase,
            "addressee": addressee,
            "actors": actors,
            "unmatched": unmatched,
            "partners": [p for p in partners if p not in actors],
            "report_to": obligations["report_to"],
            "cadence": obligations["cadence"],
            "due_meeting": obligations["due_meeting"],
            "deadline": obligations["deadline"],
            "subject_to_resources": resources,
            "line": line,
        }

    def _protected(self, text: str) -> list[tuple[int, int]]:
        return [(s, e) for s, e, _, _ in self.matcher.finditer(text)]

    def _addressee_phrase(self, clause: str) -> str:
        """The addressee as written: what follows the verb up to "to <infinitive>",
        "that", a colon or the end of the clause."""
        protected = self._protected(clause)
        cut = len(clause)
        for m in re.finditer(
            r"\b(?:not\s+)?to\s+(?!(?:the|a|an|this|that|these|those|its|their|his|her|all|"
            r"any|each|every|other|such|do\s+so|date|which|whom)\b)(?=[a-z])|\bto\s*(?=:|$)|"
            r"\bthat\b|:",
            clause,
        ):
            if any(s <= m.start() < e for s, e in protected):
                continue
            cut = m.start()
            break
        return _strip_phrase(clause[:cut])

    def _that_subject(self, clause: str, *, modal_required: bool) -> str:
        """The subject after "Decides that" / "Recommends that": the names up to the
        first word that is not part of a name."""
        m = re.match(r"\s*that\s+", clause, re.I)
        if not m:
            return ""
        rest = clause[m.end() :]
        protected = self._protected(rest)
        position = 0
        end = 0
        for token in re.finditer(r"[\w\u2019'/-]+|[,()]", rest):
            if any(s <= token.start() < e for s, e in protected):
                end = token.end()
                continue
            word = token.group(0)
            if (
                word in ",()"
                or word.lower() in ("and", "or", "of", "as", "well")
                or (word.lower() in _DETERMINERS)
            ):
                continue
            if word[:1].isupper():
                end = token.end()
                continue
            position = token.start()
            break
        else:
            position = len(rest)
        if modal_required and not re.match(
            r"(?:shall|should|will|may|must|is|are)\b", rest[position:]
        ):
            return ""
        subject = _strip_phrase(rest[:end])
        if re.match(r"(?:this|these|the\s+present|such|any)\b", subject, re.I):
            return ""
        return subject

    def _addressees(self, phrase: str) -> tuple[list[str], list[str], list[str]]:
        """(actors, partners, unmatched phrases) named in an addressee phrase."""
        masked = re.sub(r"\([^()]*\)", lambda m: " " * len(m.group(0)), phrase)
        matches = list(self.matcher.finditer(masked))

        def inside(pos: int) -> bool:
            return any(s <= pos < e for s, e, _, _ in matches)

        qualifiers: list[tuple[int, int, bool]] = []
        for regex, partner in ((_PARTNER_QUALIFIER, True), (_OTHER_QUALIFIER, False)):
            for m in regex.finditer(masked):
                if inside(m.start()) or any(s <= m.start() < e for s, e, _ in qualifiers):
                    continue
                comma = masked.find(",", m.end())
                qualifiers.append((m.start(), comma if comma >= 0 else len(masked), partner))

        covered = [False] * len(masked)
        for s, e, _ in qualifiers:
            for i in range(s, e):
                covered[i] = True
        for i, ch in enumerate(phrase):
            if ch in "()" or masked[i] != phrase[i]:
                covered[i] = True

        actors: list[str] = []
        partners: list[str] = []
        unmatched: list[str] = []
        previous_end = 0
        for index, (s, e, slug, alias) in enumerate(matches):
            qualifier = next((q for q in qualifiers if q[0] <= s < q[1]), None)
            if qualifier is not None:
                if qualifier[2] and slug not in partners:
                    partners.append(slug)
                previous_end = e
                continue
            next_start = matches[index + 1][0] if index + 1 < len(matches) else len(masked)
            before = masked[previous_end:s]
            modifier = re.search(r"((?:[A-Z][\w\u2019'.-]*\s+(?:and\s+)?){1,4})$", before)
            if modifier and all(
                w.lower() in _DETERMINERS for w in modifier.group(1).split() if w != "and"
            ):
                modifier = None
            after = re.match(r"\s+(?:of|to)\s+(?:the\s+)?[A-Z][^,;]*", masked[e:next_start])
            if after and _SELF_REFERENCE.match(after.group(0).strip()):
                after = None
            start = s
            if modifier:
                words = [w for w in modifier.group(1).split() if w.lower() != "and"]
                if " of " in f" {alias.lower()} " and not any(
                    w.isupper() and len(w) > 1 for w in words
                ):
                    start = previous_end + modifier.start(1)
                    while masked[start : start + 1].isspace():
                        start += 1
                    modifier = None
                else:
                    start = previous_end + modifier.start(1)
                    article = re.search(r"\bthe\s+$", masked[previous_end:start], re.I)
                    if article:
                        start = previous_end + article.start()
            if modifier or after:
                # A named qualifier changes who is meant: "the CITES Secretariat",
                # "Parties to the Ramsar Convention" are not CMS actors.
                stop = e + (after.end() if after else 0)
                unmatched.append(_strip_phrase(phrase[start:stop]))
                for i in range(start, stop):
                    covered[i] = True
                previous_end = stop
                continue
            # Common words just before a name narrow it without changing who is meant:
            # "river basin organizations" are organizations.
            lower = re.search(
                r"((?:\b(?!(?:and|or|as|well|nor|to|of)\b)[a-z][\w\u2019'-]*\s+){1,4})$", before
            )
            if lower:
                start = min(start, previous_end + lower.start(1))
            for i in range(start, e):
                covered[i] = True
            if slug not in actors:
                actors.append(slug)
            previous_end = e

        residue = "".join(ch if not covered[i] else "\x00" for i, ch in enumerate(phrase))
        last_head = ""
        for s, e, _, _ in matches:
            head = re.match(r"(.+?)\s+of\s+", phrase[s:e])
            if head:
                last_head = head.group(1)
        for chunk in re.split(r"\x00+", residue):
            for fragment in _SEPARATORS.split(chunk):
                fragment = _strip_phrase(fragment)
                if not fragment:
                    continue
                words = [w.lower().strip(".,;:'\"\u201c\u201d") for w in fragment.split()]
                if all(w in _FILLER or not w for w in words):
                    continue
                if _SELF_REFERENCE.match(fragment):
                    continue
                if words[0] == "of" and last_head:
                    slug = self.matcher.fullmatch(f"{last_head} {fragment}")
                    if slug:
                        if slug not in actors:
                            actors.append(slug)
                        continue
                    fragment = f"{last_head} {fragment}"
                if fragment not in unmatched:
                    unmatched.append(fragment[:MAX_PHRASE_CHARS])
        return actors, partners, unmatched

    def _obligations(self, text: str, line: int) -> dict[str, Any]:
        """Report-to body, cadence and due meeting found in a directive's text."""
        result: dict[str, Any] = {
            "report_to": None,
            "cadence": "",
            "due_meeting": None,
            "deadline": "",
        }
        bodies = [
            (s, e, slug)
            for s, e, slug, _ in self.matcher.finditer(text)
            if slug in BODY_MEETING_CODES
        ]
        trigger = _REPORT_VERB.search(text)
        if trigger:
            sentence_end = re.search(r"[;.](?:\s|$)", text[trigger.end() :])
            limit = trigger.end() + (sentence_end.start() if sentence_end else len(text))
            for s, _e, slug in bodies:
                if trigger.end() <= s < limit:
                    result["report_to"] = slug
                    break
            window = text[trigger.start() : limit]
            if re.search(
                r"\b(?:each|every|all|subsequent)\s+(?:\w+\s+){0,2}(?:meeting|session)s?\b",
                window,
                re.I,
            ):
                result["cadence"] = "each_meeting"
            elif re.search(r"\b(?:annual(?:ly)?|each\s+year|every\s+year|yearly)\b", window, re.I):
                result["cadence"] = "annual"

        due = self._due_meeting(text, bodies, line)
        if due is not None:
            result["due_meeting"], result["deadline"] = due
        if result["report_to"] and not result["cadence"] and not result["due_meeting"]:
            # Reporting to a body with no date given is a standing obligation: at each of
            # its meetings.
            result["cadence"] = "each_meeting"
        return result

    def _due_meeting(
        self, text: str, bodies: list[tuple[int, int, str]], line: int
    ) -> tuple[str | None, str] | None:
        candidates: list[tuple[int, str | None, str]] = []
        body_alt = self.matcher.body_pattern
        if body_alt:
            for m in re.finditer(
                rf"\b(?:{_DUE_PREPOSITIONS}\s+)?(?:the\s+)?(?P<ord>{_ORD})\s+"
                r"(?:ordinary\s+|regular\s+)?(?:meeting|session)\s+of\s+"
                rf"(?:the\s+)?(?P<body>{body_alt})",
                text,
                re.I,
            ):
                slug = self.matcher.fullmatch(m.group("body"))
                n = _ordinal_value(m.group("ord"))
                if slug and n:
                    candidates.append((m.start(), f"{BODY_MEETING_CODES[slug]}{n}", m.group(0)))
        for m in re.finditer(
            rf"\b{_DUE_PREPOSITIONS}\s+(?:its|their)\s+(?P<ord>{_ORD})\s+"
            r"(?:ordinary\s+|regular\s+)?(?:meeting|session)",
            text,
            re.I,
        ):
            slug = _nearest_body(bodies, m.start())
            n = _ordinal_value(m.group("ord"))
            if slug and n:
                candidates.append((m.start(), f"{BODY_MEETING_CODES[slug]}{n}", m.group(0)))
        for m in re.finditer(
            rf"\b{_DUE_PREPOSITIONS}\s+(?P<code>COP|StC|ScC)\s?(?P<n>\d{{1,3}})\b(?!/)",
            text,
        ):
            candidates.append((m.start(), f"{m.group('code')}{int(m.group('n'))}", m.group(0)))
        for m in re.finditer(
            rf"\b(?:{_DUE_PREPOSITIONS}\s+)?(?:the|its|their)\s+next\s+(?:ordinary\s+|regular\s+)?"
            r"(?:meeting|session)"
            + (rf"(?:\s+of\s+(?:the\s+)?(?P<body>{body_alt}))?" if body_alt else ""),
            text,
            re.I,
        ):
            named = m.groupdict().get("body")
            slug = self.matcher.fullmatch(named) if named else _nearest_body(bodies, m.start())
            phrase = m.group(0)
            code = self._next_meeting(slug)
            if code is None:
                body = f" ({slug.replace('-', ' ')})" if slug else ""
                known = (
                    f"from {self.adopted_at}" if self.adopted_at else "without the adopting meeting"
                )
                self.warn(
                    line,
                    f"'{_squash(phrase)}'{body}: which meeting cannot be worked out {known}; "
                    "give the adopting meeting or set the due meeting by hand",
                )
            candidates.append((m.start(), code, phrase))
        if not candidates:
            return None
        _, code, phrase = min(candidates, key=lambda c: c[0])
        return code, _squash(phrase)

    def _next_meeting(self, slug: str | None) -> str | None:
        adopted = re.fullmatch(r"(COP|StC|ScC)(\d{1,3})", self.adopted_at or "")
        if not adopted:
            return None
        prefix = BODY_MEETING_CODES.get(slug or "", adopted.group(1))
        if slug is None:
            prefix = adopted.group(1)
        if prefix != adopted.group(1):
            return None
        return f"{prefix}{int(adopted.group(2)) + 1}"

    # -- annexes -----------------------------------------------------------------------

    def _annex(self, para: _Para) -> dict[str, Any]:
        head, *rest = para.lines
        m = _ANNEX.match(head.text)
        label = head.text
        subtitle = ""
        if m:
            label = " ".join(x for x in (m.group("label").capitalize(), m.group("num")) if x)
            subtitle = m.group("title") or ""
        # A title on the lines after "ANNEX": capitals, or a short line without a full stop.
        while rest and not subtitle and _annex_title_line(rest):
            title_lines = [rest.pop(0)]
            while (
                rest
                and _is_caps(rest[0].text)
                and _is_caps(title_lines[-1].text)
                and not rest[0].blank_before
            ):
                title_lines.append(rest.pop(0))
            subtitle = self._join(title_lines)[0]
        if _is_caps(subtitle):
            subtitle = title_case(subtitle)
        title = f"{label}: {subtitle}" if subtitle else label
        blocks: list[list[_Line]] = []
        for line in rest:
            new = (
                not blocks
                or _LIST_ITEM.match(line.text) is not None
                or (
                    (line.blank_before or line.page_start)
                    and (_ends_block(blocks[-1][-1].text) or not line.text[:1].islower())
                )
            )
            if new:
                blocks.append([line])
            else:
                blocks[-1].append(line)
        return {
            "title": title[:MAX_TITLE_CHARS],
            "text": "\n\n".join(self._join(b)[0] for b in blocks),
        }


# --- Helpers ------------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"^(?:\d{1,3}\.|[\u2022\u25aa\u25e6\u2023*\u2013-]|\(?[a-z]\))\s")


def _annex_title_line(rest: Sequence[_Line]) -> bool:
    """Whether the first of `rest` is (part of) an annex's title: capitals, or a short
    line of its own without closing punctuation."""
    text = rest[0].text
    if _is_caps(text):
        return True
    alone = len(rest) == 1 or rest[1].blank_before
    return len(text) < 120 and not _ends_block(text) and text[:1].isupper() and alone


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _strip_phrase(text: str) -> str:
    text = _squash(text).strip(" ,;:.")
    text = re.sub(r"^(?:and|or|as\s+well\s+as)\s+", "", text, flags=re.I)
    text = re.sub(r"\s+(?:and|or)$", "", text, flags=re.I)
    return text.strip(" ,;:")


def _nearest_body(bodies: list[tuple[int, int, str]], position: int) -> str | None:
    before = [slug for s, _e, slug in bodies if s < position]
    return before[-1] if before else None


def _merge_directive(into: dict[str, Any], other: dict[str, Any]) -> None:
    """A verb repeated in one paragraph ("requests ...; and further requests ...") is one
    directive: its actors and obligations together. The addressee phrase kept is the first
    that names a known actor."""
    if not into["addressee"] or (not into["actors"] and other["actors"]):
        into["addressee"] = other["addressee"]
    for key in ("actors", "unmatched", "partners"):
        for value in other[key]:
            if value not in into[key]:
                into[key].append(value)
    into["partners"] = [p for p in into["partners"] if p not in into["actors"]]
    for key in ("report_to", "cadence", "due_meeting", "deadline"):
        if not into[key] and other[key]:
            into[key] = other[key]
    into["subject_to_resources"] = into["subject_to_resources"] or other["subject_to_resources"]


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def _roman_value(text: str) -> int | None:
    if not text or any(ch not in _ROMAN for ch in text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN[ch]
        if i + 1 < len(text) and _ROMAN[text[i + 1]] > value:
            total -= value
        else:
            total += value
    # Only canonical numerals: "iiii" or "vx" are not list markers.
    return total if roman_numeral(total) == text else None


def roman_numeral(n: int) -> str:
    """n in lower-case Roman numerals, as list markers are written: 4 -> "iv"."""
    out = ""
    for value, numeral in _NUMERALS:
        while n >= value:
            out += numeral
            n -= value
    return out


_NUMERALS = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
    (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def _marker_kinds(value: str) -> dict[str, int]:
    """The list styles a marker value can belong to, with its position in each."""
    kinds: dict[str, int] = {}
    if value.isdigit():
        kinds["digit"] = int(value)
    elif len(value) == 1 and value.isupper():
        kinds["upper"] = ord(value) - ord("A") + 1
    elif len(value) == 1 and value.islower():
        kinds["letter"] = ord(value) - ord("a") + 1
    roman = _roman_value(value) if value.islower() else None
    if roman is not None:
        kinds["roman"] = roman
    return kinds


def _flatten_texts(items: Sequence[_Item]) -> Iterator[str]:
    for item in items:
        yield item.text
        yield from _flatten_texts(item.children)


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split(".") if p.isdigit())


def _is_successor(previous: str, current: str) -> bool:
    p, c = _number_key(previous), _number_key(current)
    if len(p) != len(c) or not c:
        return False
    if p[:-1] == c[:-1]:
        return c[-1] == p[-1] + 1
    return len(c) > 1 and c[-1] == 1


def _guess_lemma(word: str) -> str:
    word = word.split()[-1]
    if word.endswith("ies"):
        return (word[:-3] + "y")[:32]
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2][:32]
    return word[:-1][:32]


# --- Walking a reading --------------------------------------------------------------------


def iter_operative(reading: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every operative paragraph and sub-paragraph of a reading, with its label as cited
    ("3", "3 (a)", "3 (a) (ii)"), in document order."""

    def walk(
        items: Sequence[Mapping[str, Any]], prefix: str
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for item in items:
            label = f"{prefix} ({item['number']})" if prefix else str(item["number"])
            yield label, item
            yield from walk(item.get("subparagraphs", []), label)

    yield from walk(reading.get("operative", []), "")
