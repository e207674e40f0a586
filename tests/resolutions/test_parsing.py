"""resolutions.parsing on its own (no database): the seed text against its hand-checked
reading, texts of other shapes against their expected readings, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from resolutions import vocabulary
from resolutions.parsing import ParseError, iter_operative, parse_resolution, title_case

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
SEED_TEXT = (ROOT / "resolutions" / "data" / "seed" / "synergies-and-partnerships.txt").read_text()
EXPECTED = json.loads((DATA / "synergies-and-partnerships.expected.json").read_text())
ACTORS = {
    a["slug"]: [a["name"], *a["aliases"]]
    for a in json.loads((ROOT / "resolutions" / "data" / "actors.json").read_text())
}
#: The texts written for these tests, each with the adopting meeting passed to the parser.
TEXTS = {
    "subparagraphs-and-annex": None,
    "decisions": "COP14",
    "pdf-artefacts": None,
    "header-block": None,
}


def read(text: str, **kwargs) -> dict:
    return parse_resolution(text, actors=ACTORS, **kwargs)


def directives(reading: dict, label: str) -> list[dict]:
    return next(item["directives"] for lbl, item in iter_operative(reading) if lbl == label)


@pytest.fixture(scope="module")
def seed() -> dict:
    return read(SEED_TEXT)


def test_the_parser_runs_without_django():
    """parsing (and the file reader and revision diff built on it) import no Django."""
    code = (
        "import sys; import resolutions.parsing, resolutions.documents, resolutions.revisions; "
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- The seed resolution ------------------------------------------------------------------


def test_seed_counts_and_title(seed):
    assert seed["title"] == EXPECTED["title"]
    assert seed["adopted_at"] == EXPECTED["adopted_at"]
    assert len(seed["preamble"]) == EXPECTED["preamble_paragraphs"] == 22
    assert [p["number"] for p in seed["operative"]] == [str(n) for n in range(1, 34)]
    assert seed["annexes"] == [] and seed["footnotes"] == []
    assert seed["enacting_formula"].startswith("The Conference of the Parties to the Convention")


@pytest.mark.parametrize("expected", EXPECTED["operative"], ids=lambda p: f"p{p['number']}")
def test_seed_paragraph_matches_the_hand_checked_reading(seed, expected):
    """Every verb in the order of the text; for each tracked verb every listed actor and
    nothing outside actors + may_also; declaratory verbs address no one."""
    found = directives(seed, expected["number"])
    assert [d["verb"] for d in found] == [d["verb"] for d in expected["directives"]]
    for directive, wanted in zip(found, expected["directives"], strict=True):
        actors = set(directive["actors"])
        if not vocabulary.is_tracked(wanted["verb"]):
            assert actors == set(), f"declaratory {wanted['verb']} addresses {actors}"
            continue
        assert set(wanted["actors"]) <= actors, f"missing {set(wanted['actors']) - actors}"
        assert actors <= set(wanted["actors"]) | set(wanted["may_also"])
        assert directive["unmatched"] == []


def test_seed_reporting_obligations(seed):
    obligations = [
        (label, slug, d["report_to"], d["cadence"])
        for label, item in iter_operative(seed)
        for d in item["directives"]
        if d["report_to"]
        for slug in d["actors"]
    ]
    assert obligations == [
        (o["paragraph"], o["actor"], o["to"], o["cadence"].replace(" ", "_"))
        for o in EXPECTED["reporting_obligations"]
    ]


def test_seed_reads_without_warnings(seed):
    assert seed["warnings"] == []


def test_seed_paragraph_split_by_a_page_break_without_a_blank_line(seed):
    """In the source, "Recalling Resolution 11.11" and "9. Further encourages" start on
    the line after the previous paragraph, with a leading space: new paragraphs all the
    same."""
    assert seed["preamble"][19]["text"].startswith("Recalling Resolution 11.11, which invited")
    assert seed["preamble"][18]["text"].endswith("of the BBNJ Agreement,")
    nine = seed["operative"][8]
    assert nine["text"].startswith("Further encourages Parties")
    assert seed["operative"][7]["text"].endswith("across the CMS Family;")


def test_seed_blank_lines_inside_paragraphs_and_hyphenation(seed):
    assert seed["operative"][0]["text"] == (
        "Stresses the importance of supporting the objectives of biodiversity-related "
        "multilateral environmental agreements to improve national collaboration, "
        "communication and coordination with relevant organizations and processes;"
    )
    assert "make use of the web-based tools, such as InforMEA" in seed["operative"][31]["text"]


# --- Texts of other shapes ----------------------------------------------------------------


@pytest.mark.parametrize("name", list(TEXTS))
def test_text_is_read_as_expected(name):
    text = (DATA / "importer" / f"{name}.txt").read_text()
    expected = json.loads((DATA / "importer" / f"{name}.expected.json").read_text())
    assert read(text, adopted_at=TEXTS[name]) == expected


def _text(name: str) -> str:
    return (DATA / "importer" / f"{name}.txt").read_text()


def test_subparagraphs_nest_and_the_annex_is_not_operative():
    reading = read(_text("subparagraphs-and-annex"))
    labels = [label for label, _ in iter_operative(reading)]
    assert labels == [
        "1", "2", "2 (a)", "2 (b)", "2 (b) (i)", "2 (b) (ii)", "2 (b) (iii)", "2 (c)",
        "3", "3 (a)", "3 (b)", "4", "5",
    ]  # fmt: skip
    assert [p["number"] for p in reading["operative"]] == ["1", "2", "3", "4", "5"]
    assert reading["operative"][1]["text"] == "Urges Parties and non-Party Range States to:"
    (annex,) = reading["annexes"]
    assert annex["title"] == "Annex: Guidelines on Fish Passage at River Barriers"
    assert annex["text"].startswith("1. Scope\n\nThese Guidelines apply")
    # The deadline in sub-paragraph (b) belongs to the directive of its paragraph.
    (request,) = directives(reading, "3")
    assert (request["report_to"], request["due_meeting"]) == ("conference-of-the-parties", "COP15")
    (workshop,) = directives(reading, "5")
    assert workshop["subject_to_resources"] is True
    assert (workshop["due_meeting"], workshop["deadline"]) == (
        "COP15",
        "before the next meeting of the Conference of the Parties",
    )


def test_decisions_headings_shall_and_passives():
    reading = read(_text("decisions"), adopted_at="COP14")
    assert (reading["kind"], reading["symbol"]) == ("decision", "14.211-14.216")
    first, _, secretariat, *_ = reading["operative"]
    assert first["heading"] == "Directed to Parties"
    assert [(d["verb"], d["actors"]) for d in first["directives"]] == [("encourage", ["parties"])]
    assert secretariat["text"] == (
        "The Secretariat shall, subject to the availability of external resources:"
    )
    (shall,) = secretariat["directives"]
    assert (shall["verb"], shall["actors"], shall["subject_to_resources"]) == (
        "shall",
        ["secretariat"],
        True,
    )
    assert (shall["report_to"], shall["due_meeting"]) == ("standing-committee", "StC56")
    assert [s["number"] for s in secretariat["subparagraphs"]] == ["a", "b", "c"]


def test_next_meeting_needs_the_adopting_meeting():
    reading = read(_text("decisions"))
    (council,) = directives(reading, "14.214")
    assert council["due_meeting"] is None
    assert council["deadline"] == "at its next meeting"
    assert any(
        w["line"] == 29 and "cannot be worked out" in w["message"] for w in reading["warnings"]
    )
    assert directives(read(_text("decisions"), adopted_at="COP15"), "14.214")[0]["due_meeting"] == (
        "COP16"
    )


def test_pdf_artefacts_are_removed():
    reading = read(_text("pdf-artefacts"))
    texts = [p["text"] for p in reading["preamble"]] + [
        item["text"] for _, item in iter_operative(reading)
    ]
    for text in texts:
        assert "UNEP/CMS/Resolution" not in text
        assert "As reported in" not in text  # footnote text is not body text
    assert reading["preamble"][0]["text"].startswith(
        "Noting that many populations of migratory landbirds are declining across the "
        "African-Eurasian region"
    )
    assert "science-based monitoring for conservation planning," in reading["preamble"][1]["text"]
    assert reading["preamble"][2]["text"].startswith("Recognizing that landbird conservation")
    assert [f["number"] for f in reading["footnotes"]] == ["1", "2"]
    assert reading["operative"][2]["text"].endswith("each meeting of the Standing Committee;")
    assert reading["operative"][3]["text"].startswith("Calls upon Parties")


def test_header_block_before_the_title():
    reading = read(_text("header-block"))
    assert (reading["title"], reading["symbol"], reading["adopted_at"]) == (
        "Bats and Wind Energy",
        "14.15",
        "COP14",
    )
    assert "Distribution: General" in reading["header"]
    assert reading["preamble"][0]["text"].startswith("Noting the rapid growth of wind energy")


# --- Rules --------------------------------------------------------------------------------


def _one(paragraph: str, **kwargs) -> list[dict]:
    text = f"TITLE OF A TEST\n\nNoting this,\n\n1. {paragraph}\n"
    return read(text, **kwargs)["operative"][0]["directives"]


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Calls upon Parties to act;", [("call_on", ["parties"])]),
        ("Calls on the Secretariat to act;", [("call_on", ["secretariat"])]),
        ("Further strongly encourages Parties to act;", [("encourage", ["parties"])]),
        ("Also requests the Executive Secretary to act;", [("request", ["secretariat"])]),
        (
            "Welcomes the report and requests the Standing Committee to review it;",
            [("welcome", []), ("request", ["standing-committee"])],
        ),
        (
            "Urges Parties, and invites other Governments and NGOs, to act;",
            [("urge", ["parties"]), ("invite", ["other-governments", "ngos"])],
        ),
        (
            "Requests the Secretariat to act; and further requests the Secretariat and "
            "Parties to report to each meeting of the Standing Committee;",
            [("request", ["secretariat", "parties"])],
        ),
        ("Takes note of the report;", [("take_note", [])]),
        (
            "Decides that the Scientific Council shall review the list;",
            [("decide", ["scientific-council"])],
        ),
        ("Decides to keep this matter under review;", [("decide", [])]),
        ("Invites Parties to the Convention to act;", [("invite", ["parties"])]),
    ],
)
def test_verbs_and_addressees(paragraph, expected):
    assert [(d["verb"], d["actors"]) for d in _one(paragraph)] == expected


def test_named_qualifiers_make_another_actor():
    """ "the CITES Secretariat" is not the CMS Secretariat: reported, not mapped."""
    (invite,) = _one("Invites the CITES Secretariat and the Ramsar Secretariat to act;")
    assert invite["actors"] == []
    assert invite["unmatched"] == ["the CITES Secretariat", "the Ramsar Secretariat"]


def test_co_workers_are_partners_not_addressees():
    (request,) = _one("Requests the Secretariat, in cooperation with NGOs, to act;")
    assert (request["actors"], request["partners"]) == (["secretariat"], ["ngos"])


def test_unknown_verb_is_reported():
    (directive,) = _one("Reiterates its commitment to the Convention;")
    assert directive["verb"] == "reiterate"
    assert vocabulary.strength_of("reiterate") == vocabulary.DECLARATORY


def test_the_vocabulary_is_an_argument():
    """A new actor or alias added as data is used at once."""
    paragraph = "Invites the Ramsar Regional Initiatives to act;"
    assert _one(paragraph)[0]["unmatched"] == ["the Ramsar Regional Initiatives"]
    actors = {**ACTORS, "ramsar-initiatives": ["Ramsar Regional Initiatives"]}
    text = f"TITLE\n\nNoting this,\n\n1. {paragraph}\n"
    (invite,) = parse_resolution(text, actors=actors)["operative"][0]["directives"]
    assert (invite["actors"], invite["unmatched"]) == (["ramsar-initiatives"], [])


COP, STC = "conference-of-the-parties", "standing-committee"


@pytest.mark.parametrize(
    ("sentence", "due", "report_to", "cadence"),
    [
        ("to report to the Standing Committee at its 60th meeting", "StC60", STC, ""),
        ("to report to the 15th meeting of the Conference of the Parties", "COP15", COP, ""),
        ("to report on progress to each meeting of the COP", None, COP, "each_meeting"),
        ("to report annually to the Standing Committee", None, STC, "annual"),
        ("to submit a report before the next meeting of the COP", "COP15", COP, ""),
        ("to present proposals at COP15", "COP15", None, ""),
        ("to consider the report of the Standing Committee", None, None, ""),
    ],
)
def test_deadlines_and_reporting(sentence, due, report_to, cadence):
    (request,) = _one(f"Requests the Secretariat {sentence};", adopted_at="COP14")
    assert (request["due_meeting"], request["report_to"], request["cadence"]) == (
        due,
        report_to,
        cadence,
    )


def test_title_case():
    assert title_case("SYNERGIES AND PARTNERSHIPS") == "Synergies and Partnerships"
    assert title_case("THE ROLE OF CMS AND THE BLG IN THE KUNMING-MONTREAL FRAMEWORK") == (
        "The Role of CMS and the BLG in the Kunming-Montreal Framework"
    )


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("", "empty", None),
        ("  \n\n\t \n", "empty", None),
        ("TITLE\n\nRecalling things,\nmore\x00binary", "binary", 4),
        ("ok\n" + "\x01\x02\x03\x04\x05\x06\x07\x08\x0e" * 5, "binary", 2),
        ("A TITLE\n\nRecalling things,\n\nNoting more,\n", "no operative part", 5),
    ],
)
def test_bad_text_raises_parse_error_with_line(text, message, line):
    with pytest.raises(ParseError) as exc:
        read(text)
    assert message in exc.value.message
    assert exc.value.line == line
    if line:
        assert str(exc.value).startswith(f"line {line}: ")


def test_text_over_the_limit():
    with pytest.raises(ParseError, match="too large"):
        read(SEED_TEXT, max_chars=1000)
