"""`manage.py import_resolution`: dry run, import, and bad input (exit status 2, the
problem and its line named, nothing written)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reporting.models import Meeting
from resolutions.models import (
    Actor,
    ImportRecord,
    Mandate,
    Paragraph,
    PhraseState,
    Resolution,
    ResolutionStatus,
    UnmatchedPhrase,
)

ROOT = Path(__file__).resolve().parent.parent.parent
TEXTS = ROOT / "tests" / "data" / "importer"
SEED_TEXT = ROOT / "resolutions" / "data" / "seed" / "synergies-and-partnerships.txt"

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_resolution", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "resolutions": Resolution.objects.count(),
        "paragraphs": Paragraph.objects.count(),
        "mandates": Mandate.objects.count(),
        "imports": ImportRecord.objects.count(),
        "phrases": UnmatchedPhrase.objects.count(),
        "actors": Actor.objects.count(),
        "meetings": Meeting.objects.count(),
    }


def test_dry_run_json_prints_the_reading_and_writes_nothing(seed):
    before = counts()
    reading = json.loads(run(str(SEED_TEXT), "--dry-run", "--json"))
    assert counts() == before
    assert set(reading) >= {"title", "preamble", "operative", "annexes"}
    assert reading["title"] == "Synergies and Partnerships"
    assert len(reading["preamble"]) == 22 and len(reading["operative"]) == 33
    ten = reading["operative"][9]
    assert ten["number"] == "10"
    assert [(d["verb"], d["actors"]) for d in ten["directives"]] == [
        ("encourage", ["parties", "non-party-range-states", "stakeholders"]),
        ("request", ["secretariat", "scientific-council"]),
    ]
    assert reading["operative"][0]["subparagraphs"] == []


def test_dry_run_summary(seed):
    out = run(str(TEXTS / "decisions.txt"), "--dry-run", "--adopted-at", "COP14")
    assert "Conservation of South Asian River Dolphins" in out
    assert "14.213  shall [directive]: secretariat (reports to standing-committee; due StC56" in out
    assert "paragraph 14.216 (invite): 'the River Dolphin Commission'" in out
    assert out.rstrip().endswith("Dry run: nothing was written.")


def test_import_stores_paragraphs_mandates_deadlines_and_phrases(seed):
    out = run(str(TEXTS / "decisions.txt"), "--adopted-at", "COP14", "--title", "River dolphins")
    resolution = Resolution.objects.get(symbol="14.211-14.216")
    assert (resolution.kind, resolution.title, resolution.adopted_at.code) == (
        "decision",
        "River dolphins",
        "COP14",
    )
    assert "Imported Decision 14.211-14.216" in out
    shall = Mandate.objects.get(resolution=resolution, paragraph__number="14.213")
    assert (shall.verb, shall.actor.slug, shall.strength) == ("shall", "secretariat", "directive")
    assert shall.subject_to_resources and shall.report_to.slug == "standing-committee"
    # A meeting named as a deadline but not yet known is added, without dates.
    stc56 = Meeting.objects.get(code="StC56")
    assert (shall.due_meeting, stc56.body, stc56.number, stc56.start_date) == (
        stc56,
        "stc",
        56,
        None,
    )
    council = Mandate.objects.get(resolution=resolution, paragraph__number="14.214")
    assert council.due_meeting.code == "COP15"
    sub = Paragraph.objects.get(resolution=resolution, parent__number="14.213", number="b")
    assert sub.text.startswith("convene a meeting of Range States")
    # Addressees no actor matched are kept for a person to map, tied to their paragraph.
    phrases = UnmatchedPhrase.objects.filter(resolution=resolution).order_by("id")
    assert [(p.label, p.phrase, p.state, p.paragraph.number) for p in phrases] == [
        ("14.216", "Range States", PhraseState.OPEN, "14.216"),
        ("14.216", "the River Dolphin Commission", PhraseState.OPEN, "14.216"),
    ]
    assert not Mandate.objects.filter(paragraph__number="14.216").exists()


def test_json_after_import_names_the_resolution(seed):
    reading = json.loads(run(str(TEXTS / "header-block.txt"), "--json"))
    resolution = Resolution.objects.get(symbol="14.15")
    assert reading["resolution"] == {
        "id": resolution.pk,
        "symbol": "14.15",
        "url": resolution.get_absolute_url(),
    }
    assert Mandate.objects.get(resolution=resolution, verb="decide").due_meeting.code == "StC56"


def test_a_pdf_file(seed, tmp_path):
    from tests.resolutions.sample_files import pdf_from_text

    path = tmp_path / "bats.pdf"
    path.write_bytes(
        pdf_from_text((TEXTS / "header-block.txt").read_text(), header="UNEP/CMS/Resolution 14.15")
    )
    out = run(str(path))
    resolution = Resolution.objects.get(symbol="14.15")
    assert (resolution.title, resolution.source_name) == ("Bats and Wind Energy", "bats.pdf")
    assert resolution.paragraphs.filter(part="operative").count() == 5
    assert "removed as a page header" in out


def test_supersedes(seed, tmp_path):
    revised = tmp_path / "revised.txt"
    revised.write_text(
        SEED_TEXT.read_text().replace(
            "Also requests the Secretariat to pursue", "Requests the Secretariat to pursue"
        )
    )
    run(str(revised), "--symbol", "11.10 (Rev.COP15)", "--supersedes", "11.10 (Rev.COP14)")
    seed.refresh_from_db()
    new = Resolution.objects.get(symbol="11.10 (Rev.COP15)")
    assert (new.supersedes, seed.status) == (seed, ResolutionStatus.SUPERSEDED)


def _bad_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("blank.txt", b"\n \n\t\n", "the text is empty"),
        ("image.txt", b"TITLE\n\nNoting\n\x89PNG\x00\x00\rIHDR", "line 4: this is a binary"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Word 97-2003"),
        ("notes.txt", b"TITLE\n\nRecalling things,\n\nNoting more,\n", "line 5: no operative"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_and_writes_nothing(seed, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = counts()
    with pytest.raises(CommandError) as exc:
        run(str(path))
    assert exc.value.returncode == 2
    assert message in str(exc.value)
    assert str(exc.value).startswith(f"{path}: ")
    assert counts() == before


def test_unreadable_pdf(seed, tmp_path):
    before = counts()
    with pytest.raises(CommandError, match="the PDF cannot be read") as exc:
        run(str(_bad_pdf(tmp_path)))
    assert exc.value.returncode == 2
    assert counts() == before


def test_file_too_large(seed, settings):
    settings.IMPORT_MAX_BYTES = 1000
    before = counts()
    with pytest.raises(CommandError, match="too large") as exc:
        run(str(SEED_TEXT))
    assert exc.value.returncode == 2
    assert counts() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--adopted-at", "COP99"], "no meeting 'COP99'"),
        (["--supersedes", "1.1"], "no resolution CMS '1.1'"),
        (["--symbol", "11.10 (Rev.COP14)"], "exists already"),
        (["--title", "x" * 301], "title: At most 300 characters"),
    ],
)
def test_bad_options_exit_2(seed, args, message):
    before = counts()
    with pytest.raises(CommandError, match=message) as exc:
        run(str(TEXTS / "header-block.txt"), *args)
    assert exc.value.returncode == 2
    assert counts() == before


def test_a_text_without_a_symbol_needs_one(seed):
    with pytest.raises(CommandError, match="symbol: Give the symbol") as exc:
        run(str(TEXTS / "subparagraphs-and-annex.txt"))
    assert exc.value.returncode == 2
    run(str(TEXTS / "subparagraphs-and-annex.txt"), "--symbol", "14.30")
    assert Resolution.objects.get(symbol="14.30").paragraphs.filter(part="annex").count() == 1


def test_exit_status_of_the_process(tmp_path):
    """The status a shell sees: 2, with the message on stderr."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_resolution", str(empty), "--dry-run"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert f"{empty}: the file is empty" in done.stderr
