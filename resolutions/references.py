"""What a paragraph refers to: the conventions and organisations it names, the
Kunming-Montreal GBF targets and Sustainable Development Goals it cites by number, and
citations of other resolutions, decisions and meeting documents.

Plain Python (no Django), like `resolutions.parsing`: the vocabularies come in as
arguments, so the same functions serve the importer, the seed and the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Mention:
    """A vocabulary entry (`key`) named in a text, with the words that named it."""

    key: str
    phrase: str
    start: int


def _alias_regex(alias: str) -> str:
    # Line breaks and double spaces of PDF extraction separate words too; hyphens and
    # dashes are interchangeable ("Kunming-Montreal", an en dash in a name).
    words = [re.escape(w) for w in alias.split()]
    pattern = r"\s+".join(words).replace(r"\-", r"[-\u2010\u2013\u2014]")
    # An acronym directly followed by "/" is part of a document symbol (UNEP/CMS/...).
    return rf"(?<![\w/]){pattern}(?![\w/])"


@lru_cache(maxsize=32)
def _matcher(
    entries: tuple[tuple[str, str], ...], ignore_case: bool
) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """One regex for (key, alias) pairs, longest alias first so that "Ramsar Convention
    on Wetlands" wins over "Ramsar"; the group number gives the key."""
    if not entries:
        return None
    ordered = sorted(entries, key=lambda pair: -len(pair[1]))
    groups = "|".join(f"({_alias_regex(alias)})" for _, alias in ordered)
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(groups, flags), tuple(key for key, _ in ordered)


def _is_acronym(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def find_mentions(text: str, vocabulary: Mapping[str, Sequence[str]]) -> list[Mention]:
    """Each key of `vocabulary` ({key: [name, alias, ...]}) named in `text`, once, in
    order of first mention. Acronyms (CBD, FAO) match only as written and as whole
    words; names match in any case; a longer name wins over a shorter one inside it."""
    pairs = {(key, a.strip()) for key, aliases in vocabulary.items() for a in aliases if a.strip()}
    found: dict[str, Mention] = {}
    for acronyms in (True, False):
        subset = tuple(sorted(p for p in pairs if _is_acronym(p[1]) == acronyms))
        compiled = _matcher(subset, not acronyms)
        if compiled is None:
            continue
        pattern, keys = compiled
        for match in pattern.finditer(text):
            key = keys[match.lastindex - 1]  # type: ignore[operator]
            if key not in found or match.start() < found[key].start:
                found[key] = Mention(key, match.group(0), match.start())
    return sorted(found.values(), key=lambda m: m.start)


_GBF_TARGET = re.compile(
    r"(?:GBF|Global\s+Biodiversity\s+Framework|KMGBF)(?:'s)?\s+Targets?\s+(\d{1,2})"
    r"(?:\s*(?:,|and|to|-|\u2013)\s*(\d{1,2}))*",
    re.IGNORECASE,
)
_TARGET_NUMBERS = re.compile(r"\d{1,2}")
_SDG = re.compile(
    r"\b(?:SDGs?|Sustainable\s+Development\s+Goals?)\s+(\d{1,2})((?:\s*(?:,|and|-|\u2013)\s*\d{1,2})*)",
    re.IGNORECASE,
)


def find_gbf_targets(text: str) -> list[Mention]:
    """GBF targets cited by number: "GBF Target 21", "Global Biodiversity Framework
    Targets 3 and 4". Keys are the codes T1-T23."""
    found: dict[str, Mention] = {}
    for match in _GBF_TARGET.finditer(text):
        numbers_text = match.group(0)[match.start(1) - match.start(0) :]
        for number in _TARGET_NUMBERS.findall(numbers_text):
            if 1 <= int(number) <= 23:
                code = f"T{int(number)}"
                found.setdefault(code, Mention(code, match.group(0), match.start()))
    return list(found.values())


def find_sdgs(text: str) -> list[Mention]:
    """Sustainable Development Goals cited by number: "SDG 14", "Sustainable Development
    Goals 14 and 15". Keys are the numbers 1-17 as strings."""
    found: dict[str, Mention] = {}
    for match in _SDG.finditer(text):
        for number in _TARGET_NUMBERS.findall(match.group(1) + (match.group(2) or "")):
            if 1 <= int(number) <= 17:
                key = str(int(number))
                found.setdefault(key, Mention(key, match.group(0), match.start()))
    return list(found.values())


# --- Citations of resolutions, decisions and documents -----------------------------------


@dataclass(frozen=True)
class Citation:
    """A citation in a text: `kind` is "resolution", "decision" or "document"; `symbol`
    is what a resolution or decision is stored under ("12.3", "11.10 (Rev.COP14)") or
    the document symbol as written."""

    start: int
    end: int
    kind: str
    symbol: str
    text: str


_REV = r"(?:\s*\(Rev\.\s*COP\s*\d{1,2}\))?"
_CITATION = re.compile(
    rf"UNEP/CMS/(?P<ukind>Resolution|Decision)\s*(?P<unumber>\d{{1,2}}\.\d{{1,3}})(?P<urev>{_REV})"
    r"|(?P<document>UNEP/CMS/[A-Za-z]+\d*(?:/[A-Za-z]+\.?\s?[\dA-Za-z.\-]*)*[\dA-Za-z])"
    r"|\b(?P<word>Resolutions?|Res\.|Decisions?|Dec\.)\s+"
    rf"(?P<number>\d{{1,2}}\.\d{{1,3}})(?![\d.]\d)(?P<rev>{_REV})"
)


def _symbol(number: str, rev: str | None) -> str:
    """The stored form of a cited symbol: "11.10 (Rev.COP14)"."""
    if not rev or not rev.strip():
        return number
    cop = re.search(r"\d+", rev)
    return f"{number} (Rev.COP{cop.group(0)})" if cop else number


def find_citations(text: str) -> list[Citation]:
    """Citations of CMS resolutions ("Resolution 12.3", "Resolution 11.10 (Rev.COP14)",
    "UNEP/CMS/Resolution 12.3"), decisions ("Decision 14.11") and meeting documents
    ("UNEP/CMS/COP13/Doc.18/Annex 3"), in order of appearance."""
    citations: list[Citation] = []
    for match in _CITATION.finditer(text):
        if match.group("ukind"):
            kind = match.group("ukind").lower()
            symbol = _symbol(match.group("unumber"), match.group("urev"))
        elif match.group("document"):
            kind, symbol = "document", match.group("document")
        else:
            kind = "decision" if match.group("word").lower().startswith("dec") else "resolution"
            symbol = _symbol(match.group("number"), match.group("rev"))
        citations.append(Citation(match.start(), match.end(), kind, symbol, match.group(0)))
    return citations


def cited_symbols(texts: Iterable[str]) -> set[tuple[str, str]]:
    """(kind, symbol) of every resolution and decision cited in `texts`."""
    return {
        (c.kind, c.symbol)
        for text in texts
        for c in find_citations(text)
        if c.kind in ("resolution", "decision")
    }
