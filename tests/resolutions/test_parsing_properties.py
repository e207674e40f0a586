"""Property: whatever the text, the parser returns a reading or raises its own ParseError,
never anything else; and a reading always has the documented shape."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolutions.parsing import ParseError, iter_operative, parse_resolution

ROOT = Path(__file__).resolve().parent.parent.parent
ACTORS = {
    a["slug"]: [a["name"], *a["aliases"]]
    for a in json.loads((ROOT / "resolutions" / "data" / "actors.json").read_text())
}
SEED_TEXT = (ROOT / "resolutions" / "data" / "seed" / "synergies-and-partnerships.txt").read_text()

#: Pieces of resolution texts, so that generated texts reach deep into the parser.
PIECES = [
    "1.", "2.", "3.", "14.11", "(a)", "a)", "(b)", "i)", "(ii)", "Requests", "Also requests",
    "the Secretariat", "Parties", "to", "report", "and", "invites", ";", ":", ",", ".",
    "\n", "\n\n", "\f", " ", "Annex", "ANNEX 1", "Directed to the Standing Committee", "shall",
    "are encouraged", "Decides that", "at its", "15th", "next", "meeting", "of the",
    "Conference of the Parties", "species1", "1 Footnote text", "UNEP/CMS/Resolution 12.3",
    "2", "conser-", "vation", "Recalling", "Noting", "SYNERGIES AND PARTNERSHIPS",
    "Adopted by the Conference of the Parties at its 14th Meeting", "(", ")",
    "subject to the availability of resources", "web-", "based", "\u00b2", "Calls upon",
    "non-Party Range States", "Working Groups of the Scientific Council", "CITES",
    "together with", "that", "Governments of", "The Conference of the Parties",
]  # fmt: skip

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(text: str) -> dict | None:
    try:
        reading = parse_resolution(text, actors=ACTORS, adopted_at="COP14")
    except ParseError as exc:
        assert exc.message
        assert exc.line is None or exc.line >= 1
        return None
    assert set(reading) >= {"title", "preamble", "operative", "annexes", "warnings"}
    assert reading["operative"], "a reading always has an operative part"
    # Every value fits the field it is stored in.
    assert len(reading["title"]) <= 300
    assert all(len(a["title"]) <= 300 for a in reading["annexes"])
    for _label, item in iter_operative(reading):
        assert isinstance(item["text"], str)
        assert len(item["number"]) <= 32 and len(item.get("heading", "")) <= 300
        for directive in item["directives"]:
            assert set(directive["actors"]) <= set(ACTORS)
            assert len(directive["verb"]) <= 32 and len(directive["verb_phrase"]) <= 64
            assert len(directive["addressee"]) <= 300
            assert all(len(p) <= 300 for p in directive["unmatched"])
    json.dumps(reading)  # JSON-ready
    return reading


@FAST
@given(st.text(max_size=2000))
def test_any_text(text):
    _read(text)


@FAST
@given(st.lists(st.sampled_from(PIECES), max_size=120).map(" ".join))
def test_text_made_of_resolution_pieces(text):
    _read(text)


@FAST
@given(st.lists(st.sampled_from(PIECES), max_size=120).map("".join))
def test_pieces_glued_together(text):
    _read(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=len(SEED_TEXT)),
    st.integers(min_value=0, max_value=3000),
    st.text(max_size=40),
)
def test_seed_text_cut_and_spliced(position, length, insert):
    _read(SEED_TEXT[:position] + insert + SEED_TEXT[position + length :])
