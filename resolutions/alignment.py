"""Reading a resolution's text in another official language (French, Spanish) into units
that line up, paragraph by paragraph, with the English text already imported.

Pure Python, no Django. The English reading (resolutions/parsing.py) understands verbs and
addressees; a translation only has to be cut where the English is cut: the title, the
preamble paragraphs in order, the operative paragraphs by their printed numbers (with
their sub-paragraphs "(a)", "i)"), and the annexes in order. `align` pairs those units with
the English ones and reports every unit that has no counterpart, so that a translation is
stored whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: The largest translation accepted, in characters (as for the English text).
MAX_CHARS = 2_000_000

_NUMBERED = re.compile(r"^(?P<num>\d{1,3}(?:\.\d{1,3}){0,3})[.)]?\s+(?P<rest>\S.*)$")
_SUB = re.compile(r"^\(?(?P<label>[a-z]{1,4}|[ivxlc]{1,6})\)\s*(?P<rest>\S.*)?$")
_PAGE_NUMBER = re.compile(r"^(?:-\s*)?\d{1,3}(?:\s*-)?$")
_DOC_SYMBOL = re.compile(r"^UNEP/[A-Z]{2,12}/\S+(?:\s+\S+){0,4}$")
_ANNEX = re.compile(r"^(?:ANNEX|ANNEXE|ANEXO)\b.*$", re.I)
# Lines that are neither title nor preamble: the adoption note and the enacting formula,
# in the Convention's three official languages.
_ADOPTION = re.compile(
    r"^\(?\s*(?:adopted|amended|revised|adopt[ée]e?s?|modifi[ée]e?s?|r[ée]vis[ée]e?s?|"
    r"adoptad[ao]s?|aprobad[ao]s?|enmendad[ao]s?|revisad[ao]s?)\b",
    re.I,
)
_ENACTING = re.compile(
    r"^(?:the\s+conference\s+of\s+the\s+parties|la\s+conf[ée]rence\s+des\s+parties|"
    r"la\s+conferencia\s+de\s+las\s+partes)\b",
    re.I,
)
_ROMAN = re.compile(r"^(?:i{1,3}|iv|vi{0,3}|ix|xi{0,3}|xiv|xv)$")
_HYPHENATED = re.compile(r"(\w)-$")


class AlignmentError(ValueError):
    """The translation cannot be read or does not line up; `problems` says where."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Unit:
    """One paragraph of a text. `key` identifies it across languages: ("preamble", "3")
    for the third preamble paragraph, ("operative", "12") or ("operative", "12/a/ii"),
    ("annex", "1")."""

    part: str
    key: str
    text: str
    heading: str = ""


@dataclass
class Translation:
    title: str
    units: list[Unit] = field(default_factory=list)

    def by_key(self) -> dict[tuple[str, str], Unit]:
        return {(u.part, u.key): u for u in self.units}


def _clean_lines(text: str) -> list[str]:
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.replace("\u00a0", " ").split())
        if _PAGE_NUMBER.match(line) or _DOC_SYMBOL.match(line):
            continue
        lines.append(line)
    return lines


def _join(parts: Iterable[str]) -> str:
    """Lines of one paragraph as one string, words hyphenated across lines rejoined."""
    out = ""
    for part in parts:
        if not out:
            out = part
        elif _HYPHENATED.search(out):
            out = out[:-1] + part
        else:
            out = f"{out} {part}"
    return out.strip()


def _blocks(lines: Sequence[str]) -> list[list[str]]:
    """Paragraphs: runs of lines separated by blank lines, also cut where a line starts
    a numbered paragraph, a sub-paragraph or an annex."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        starts = bool(_NUMBERED.match(line) or _SUB.match(line) or _ANNEX.match(line))
        if not line or (starts and current):
            if current:
                blocks.append(current)
            current = []
        if line:
            current.append(line)
    if current:
        blocks.append(current)
    return blocks


def read_translation(text: str) -> Translation:
    """Cut a translated resolution into units. Raises AlignmentError for an empty or
    binary text."""
    if not isinstance(text, str) or not text.strip():
        raise AlignmentError(["The text is empty."])
    if len(text) > MAX_CHARS:
        raise AlignmentError([f"The text is longer than {MAX_CHARS:,} characters."])
    if "\x00" in text:
        raise AlignmentError(["This is not a text file (it contains NUL bytes)."])
    blocks_of_lines = _blocks(_clean_lines(text))
    blocks = [_join(b) for b in blocks_of_lines]
    title = blocks[0] if blocks else ""
    result = Translation(title=title)
    preamble = 0
    annexes = 0
    operative_seen = False
    in_annex = False
    path: list[str] = []  # ["12", "a", "ii"]: where the last sub-paragraph sits
    for block, block_lines in zip(blocks[1:], blocks_of_lines[1:], strict=True):
        if _ANNEX.match(block):
            in_annex = True
            annexes += 1
            # The heading: "ANNEX" and the capitalised title lines under it.
            n = 1
            while n < len(block_lines) and block_lines[n].upper() == block_lines[n]:
                n += 1
            heading, body = _join(block_lines[:n]), _join(block_lines[n:])
            result.units.append(Unit("annex", str(annexes), body, heading=heading))
            continue
        if in_annex:
            last = result.units[-1]
            body = f"{last.text}\n\n{block}" if last.text else block
            result.units[-1] = Unit("annex", last.key, body, heading=last.heading)
            continue
        numbered = _NUMBERED.match(block)
        sub = _SUB.match(block) if operative_seen else None
        if numbered:
            operative_seen = True
            path = [numbered["num"]]
            result.units.append(Unit("operative", numbered["num"], numbered["rest"]))
        elif sub and path:
            label = sub["label"]
            path = [*path[:2], label] if _nested(label, path) else [path[0], label]
            result.units.append(Unit("operative", "/".join(path), (sub["rest"] or "").strip()))
        elif operative_seen:
            # A paragraph that continues the last operative one (a page break inside it).
            last = result.units[-1]
            result.units[-1] = Unit(last.part, last.key, f"{last.text} {block}", last.heading)
        elif not (_ADOPTION.match(block) or _ENACTING.match(block)):
            preamble += 1
            result.units.append(Unit("preamble", str(preamble), block))
    return result


def _nested(label: str, path: Sequence[str]) -> bool:
    """Whether a roman-numeral label ("ii") sits under the current lettered sub-paragraph
    rather than being the next letter ("i" after "h", "v" after "u")."""
    if len(path) < 2 or not _ROMAN.match(label):
        return False
    letter = path[1]
    return not (len(label) == 1 and len(letter) == 1 and ord(label) == ord(letter) + 1)


def align(english: Sequence[Unit], translation: Translation) -> list[tuple[Unit, Unit]]:
    """Pairs (English unit, translated unit), one per English unit. Raises AlignmentError
    naming every unit missing on either side."""
    theirs = translation.by_key()
    ours = {(u.part, u.key) for u in english}
    problems: list[str] = []
    counts = {
        part: (
            sum(1 for u in english if u.part == part),
            sum(1 for u in translation.units if u.part == part),
        )
        for part in ("preamble", "operative", "annex")
    }
    for part, (n_en, n_tr) in counts.items():
        if n_en != n_tr:
            problems.append(
                f"The English text has {n_en} {part} paragraph(s), the translation {n_tr}."
            )
    missing = [u for u in english if (u.part, u.key) not in theirs]
    extra = [u for u in translation.units if (u.part, u.key) not in ours]
    for unit in missing[:20]:
        problems.append(f"{_label(unit)} is missing from the translation.")
    for unit in extra[:20]:
        problems.append(f"{_label(unit)} of the translation has no English counterpart.")
    for unit in translation.units:
        if not unit.text and unit.part != "annex":
            problems.append(f"{_label(unit)} of the translation is empty.")
    if problems:
        raise AlignmentError(problems)
    return [(u, theirs[(u.part, u.key)]) for u in english]


def _label(unit: Unit) -> str:
    if unit.part == "operative":
        number, *subs = unit.key.split("/")
        return f"Operative paragraph {number}" + "".join(f" ({s})" for s in subs)
    if unit.part == "preamble":
        return f"Preamble paragraph {unit.key}"
    return f"Annex {unit.key}"
