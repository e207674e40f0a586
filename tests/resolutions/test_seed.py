"""The seed resolution, as loaded, against the hand-checked reading of its text."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command

from reporting.models import Meeting
from resolutions import vocabulary
from resolutions.models import Actor, Mandate, Paragraph, ParagraphPart, Resolution, StatusUpdate
from resolutions.seed import SEED_DIR, seed_load, seed_reading

EXPECTED = json.loads(
    (Path(__file__).parent.parent / "data" / "synergies-and-partnerships.expected.json").read_text()
)
EXPECTED_BY_NUMBER = {p["number"]: p for p in EXPECTED["operative"]}
SOURCE_TEXT = (SEED_DIR / "synergies-and-partnerships.txt").read_text()


def _squash(text: str) -> str:
    """Text with line breaks and runs of spaces folded, for comparing with the source."""
    return re.sub(r"\s+", " ", text).strip()


pytestmark = pytest.mark.django_db


def test_counts_match_the_reading(seed):
    assert seed.title == EXPECTED["title"]
    assert seed.symbol == EXPECTED["symbol"]
    assert seed.adopted_at.code == EXPECTED["adopted_at"]
    paragraphs = Paragraph.objects.filter(resolution=seed)
    assert paragraphs.filter(part=ParagraphPart.PREAMBLE).count() == EXPECTED["preamble_paragraphs"]
    operative = paragraphs.filter(part=ParagraphPart.OPERATIVE, parent__isnull=True)
    assert operative.count() == EXPECTED["operative_paragraphs"]
    assert list(operative.order_by("order").values_list("number", flat=True)) == [
        str(n) for n in range(1, 34)
    ]


@pytest.mark.parametrize("number", sorted(EXPECTED_BY_NUMBER, key=int))
def test_every_operative_paragraph_matches_the_reading(seed, number):
    """Each tracked verb addresses every actor the reading lists, and nothing outside
    actors + may_also; declaratory verbs create no mandate."""
    expected = EXPECTED_BY_NUMBER[number]
    paragraph = Paragraph.objects.get(resolution=seed, part="operative", number=number)
    found: dict[str, set[str]] = defaultdict(set)
    for verb, slug in paragraph.mandates.values_list("verb", "actor__slug"):
        found[verb].add(slug)

    expected_tracked = {
        d["verb"]: d for d in expected["directives"] if vocabulary.is_tracked(d["verb"])
    }
    assert set(found) == set(expected_tracked), f"¶{number}: tracked verbs differ"
    for verb, directive in expected_tracked.items():
        required = set(directive["actors"])
        allowed = required | set(directive["may_also"])
        assert required <= found[verb], f"¶{number} {verb}: missing {required - found[verb]}"
        assert found[verb] <= allowed, f"¶{number} {verb}: unexpected {found[verb] - allowed}"
    # The stored reading keeps the declaratory verbs too, in the order of the text.
    assert [d["verb"] for d in paragraph.reading] == [d["verb"] for d in expected["directives"]]


def test_mandate_strengths_follow_the_vocabulary(seed):
    for mandate in Mandate.objects.filter(resolution=seed):
        assert mandate.strength == vocabulary.TRACKED_VERBS[mandate.verb]
    assert Mandate.objects.filter(resolution=seed, verb="urge").first().strength == "exhortation"


def test_reporting_obligations(seed):
    for obligation in EXPECTED["reporting_obligations"]:
        mandate = Mandate.objects.get(
            resolution=seed,
            paragraph__number=obligation["paragraph"],
            actor__slug=obligation["actor"],
            verb="request",
        )
        assert mandate.report_to.slug == obligation["to"]
        assert mandate.get_cadence_display().lower() == "at " + obligation["cadence"]


def test_paragraph_texts_are_the_source_text(seed):
    """Every paragraph is the source text, whole: each stored text occurs in the source
    (line breaks folded), and together they hold every word of the source after the
    title block."""
    source = _squash(SOURCE_TEXT).replace("web- based", "web-based")
    stored = list(Paragraph.objects.filter(resolution=seed).order_by("order"))
    position = 0
    for paragraph in stored:
        body = paragraph.text
        if paragraph.part == "operative":
            body = f"{paragraph.number}. {body}"
        found_at = source.find(body, position)
        assert found_at >= 0, f"not in the source, in order: {body[:80]}"
        position = found_at + len(body)
    words_in_paragraphs = sum(len(p.text.split()) for p in stored)
    assert words_in_paragraphs > 0.95 * len(source.split())


def test_seed_reading_is_what_the_database_holds(seed):
    reading = seed_reading("synergies-and-partnerships")
    texts = [p["text"] for p in reading["preamble"]] + [p["text"] for p in reading["operative"]]
    assert texts == list(
        Paragraph.objects.filter(resolution=seed).order_by("order").values_list("text", flat=True)
    )


def test_every_actor_slug_in_the_reading_is_in_the_vocabulary(seed):
    slugs = set(Actor.objects.values_list("slug", flat=True))
    for paragraph in EXPECTED["operative"]:
        for directive in paragraph["directives"]:
            assert set(directive["actors"]) | set(directive["may_also"]) <= slugs


def test_meetings(seed):
    meetings = {m.code: m for m in Meeting.objects.all()}
    assert {"COP13", "COP14", "COP15", "StC53"} <= set(meetings)
    cop14 = meetings["COP14"]
    assert (cop14.venue, cop14.country, str(cop14.start_date), str(cop14.end_date)) == (
        "Samarkand",
        "Uzbekistan",
        "2024-02-12",
        "2024-02-17",
    )
    assert str(meetings["COP15"].start_date) == "2026-03-23"
    assert meetings["StC53"].venue == "Bonn"
    assert meetings["COP13"].title == "13th Meeting of the Conference of the Parties"


def _snapshot():
    return {
        "resolutions": list(Resolution.objects.values_list("id", "updated_at")),
        "paragraphs": list(Paragraph.objects.values_list("id", "text")),
        "mandates": list(Mandate.objects.values_list("id", "updated_at", "status")),
        "actors": list(Actor.objects.values_list("id", "name", "aliases")),
        "meetings": list(Meeting.objects.values_list("id", "updated_at")),
        "updates": StatusUpdate.objects.count(),
    }


def test_load_seed_twice_changes_nothing(db, capsys):
    call_command("load_seed")
    first = _snapshot()
    assert len(first["mandates"]) == Mandate.objects.count() > 40
    call_command("load_seed")
    assert "Seed already up to date." in capsys.readouterr().out
    assert _snapshot() == first


def test_seed_keeps_edits_made_in_the_application(seed):
    Paragraph.objects.filter(resolution=seed, number="1").update(text="Edited.")
    report = seed_load()
    assert not report.changed
    assert Paragraph.objects.get(resolution=seed, number="1").text == "Edited."
