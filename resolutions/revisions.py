"""The paragraph-level difference between two versions of a resolution ("Rev.COP15" of
"Rev.COP14"). Pure Python: paragraphs in, a list of differences out.

Paragraphs are matched by their text, not by their number: a revision renumbers freely.
Within each part (preamble, operative, annex) a paragraph whose text is the same
(spacing aside) is `unchanged`; of the rest, pairs at least `SIMILAR` alike are
`changed` (best pairs first); what is left is `removed` (old) or `added` (new).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: How alike (0-1, difflib's ratio over words) two texts must be to count as one
#: paragraph changed rather than one removed and another added.
SIMILAR = 0.5

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Unit:
    """One paragraph of one version: its part, label as cited ("3", "3 (a)"), text and
    an optional key (the database id) for the caller."""

    part: str
    label: str
    text: str
    key: Any = None


@dataclass
class Difference:
    status: str
    part: str
    old: Unit | None
    new: Unit | None
    similarity: float

    @property
    def renumbered(self) -> bool:
        return bool(self.old and self.new and self.old.label != self.new.label)

    @property
    def words(self) -> list[tuple[str, str]]:
        """The changed text as (operation, words) pieces: equal, insert or delete."""
        old = (self.old.text if self.old else "").split()
        new = (self.new.text if self.new else "").split()
        pieces: list[tuple[str, str]] = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
            None, old, new, autojunk=False
        ).get_opcodes():
            if op in ("equal", "delete", "replace") and i1 < i2:
                pieces.append(("equal" if op == "equal" else "delete", " ".join(old[i1:i2])))
            if op in ("insert", "replace") and j1 < j2:
                pieces.append(("insert", " ".join(new[j1:j2])))
        return pieces


def same_text(a: str, b: str) -> bool:
    return _norm(a) == _norm(b)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def paragraph_diff(old: Sequence[Unit], new: Sequence[Unit]) -> list[Difference]:
    """Differences in the order of the new version, each removed paragraph placed after
    the one that preceded it in the old version."""
    result: list[Difference] = []
    parts = list(dict.fromkeys([*(u.part for u in new), *(u.part for u in old)]))
    for part in parts:
        result.extend(
            _diff_part([u for u in old if u.part == part], [u for u in new if u.part == part])
        )
    return result


def _diff_part(old: Sequence[Unit], new: Sequence[Unit]) -> list[Difference]:
    match: dict[int, tuple[int, str, float]] = {}  # new index -> (old index, status, ratio)
    taken: set[int] = set()
    by_text: dict[str, list[int]] = defaultdict(list)
    for i, unit in enumerate(old):
        by_text[_norm(unit.text)].append(i)
    for j, unit in enumerate(new):
        candidates = by_text.get(_norm(unit.text))
        if candidates:
            i = candidates.pop(0)
            taken.add(i)
            match[j] = (i, UNCHANGED, 1.0)

    pairs: list[tuple[float, int, int]] = []
    old_words = {i: old[i].text.split() for i in range(len(old)) if i not in taken}
    for j, unit in enumerate(new):
        if j in match:
            continue
        words = unit.text.split()
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(words)
        for i, other in old_words.items():
            matcher.set_seq1(other)
            if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILAR:
                pairs.append((ratio, i, j))
    for ratio, i, j in sorted(pairs, key=lambda p: (-p[0], p[2], p[1])):
        if i in taken or j in match:
            continue
        taken.add(i)
        match[j] = (i, CHANGED, ratio)

    ordered: list[Difference] = []
    placed_old: dict[int, int] = {}  # old index -> position in `ordered`
    for j, unit in enumerate(new):
        if j in match:
            i, status, ratio = match[j]
            placed_old[i] = len(ordered)
            ordered.append(Difference(status, unit.part, old[i], unit, ratio))
        else:
            ordered.append(Difference(ADDED, unit.part, None, unit, 0.0))
    # Removed paragraphs go after the nearest earlier old paragraph that was placed.
    insertions: list[tuple[int, int, Difference]] = []
    for i, unit in enumerate(old):
        if i in taken:
            continue
        anchor = max((placed_old[k] for k in placed_old if k < i), default=-1)
        insertions.append((anchor, i, Difference(REMOVED, unit.part, unit, None, 0.0)))
    for anchor, _i, difference in sorted(insertions, key=lambda x: (x[0], x[1]), reverse=True):
        ordered.insert(anchor + 1, difference)
    return ordered


def summary(differences: Sequence[Difference]) -> dict[str, int]:
    counts = {UNCHANGED: 0, CHANGED: 0, ADDED: 0, REMOVED: 0}
    for difference in differences:
        counts[difference.status] += 1
    return counts


def reading_units(reading: dict[str, Any]) -> list[Unit]:
    """The paragraphs of a reading (parse_resolution's output) as units."""
    from resolutions.parsing import iter_operative

    units = [
        Unit("preamble", str(i), p["text"]) for i, p in enumerate(reading.get("preamble", []), 1)
    ]
    units += [Unit("operative", label, item["text"]) for label, item in iter_operative(reading)]
    units += [
        Unit("annex", a.get("title") or f"Annex {i}", a.get("text", ""))
        for i, a in enumerate(reading.get("annexes", []), 1)
    ]
    return units
