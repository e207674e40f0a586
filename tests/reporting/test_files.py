"""A real Celery worker compiles a report; every file says what the history says as of
the cut-off, and the same version always renders to the same bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from html.parser import HTMLParser

import docx
import pypdf
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.dateformat import format as date_format

from reporting import selectors, services
from reporting.models import ReportState
from reporting.renderers import report_files
from resolutions.models import Mandate
from tests.reporting.conftest import EVIDENCE, record, wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _read(report, fmt: str) -> bytes:
    with default_storage.open(report.files[fmt], "rb") as f:
        return f.read()


def _table(document, first_header: str, contains: str = ""):
    for table in document.tables:
        header = [cell.text for cell in table.rows[0].cells]
        if header[0] == first_header and (not contains or contains in header):
            return [[cell.text for cell in row.cells] for row in table.rows]
    raise AssertionError(f"no table starting with {first_header!r}")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.tags: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_data(self, data):
        self.parts.append(data)


@pytest.fixture
def cop15(history, secretariat_user):
    services.meeting_update(
        meeting=history.meeting,
        user=secretariat_user,
        report_document_number="18",
        report_agenda_item="18.1",
    )
    return history.meeting


def test_a_worker_compiles_every_file_with_the_status_at_the_cut_off(
    celery_worker, history, cop15, secretariat_user
):
    requested, _ = services.report_request(meeting=cop15, user=secretariat_user)
    # Recorded after the cut-off: in no file of this version.
    record(history.in_progress, secretariat_user, "completed", narrative="After the cut-off.")
    report = wait_for(requested.pk)
    assert report.state == ReportState.DONE, report.error
    assert (report.progress, report.attempts) == (100, 1)
    day = date_format(timezone.localdate(report.cut_off), "j F Y")
    n_mandates = Mandate.objects.count()

    # Stored files are the ones the checksums describe.
    for fmt in ("docx", "pdf", "html", "csv", "json"):
        assert hashlib.sha256(_read(report, fmt)).hexdigest() == report.checksums[fmt]

    # --- DOCX: a UN meeting document with its tables.
    document = docx.Document(io.BytesIO(_read(report, "docx")))
    head = document.tables[0].rows[0].cells
    assert "CONVENTION ON THE CONSERVATION OF MIGRATORY SPECIES" in head[0].text
    assert head[1].text.split("\n") == ["UNEP/CMS/COP15/Doc.18", day, "Original: English"]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "15TH MEETING OF THE CONFERENCE OF THE PARTIES" in body
    assert "Campo Grande, Brazil, 23\u201329 March 2026" in body
    assert "Agenda Item 18.1" in body
    assert "PROGRESS IN IMPLEMENTING RESOLUTIONS AND DECISIONS" in body
    assert document.sections[0].header.paragraphs[0].text == "UNEP/CMS/COP15/Doc.18"
    assert document.core_properties.created.date() == report.cut_off.date()
    assert "for the period from 18 February 2024" in document.tables[1].rows[0].cells[0].text

    paragraphs = _table(document, "¶", "Done in the period")
    rows = {row[0]: row for row in paragraphs[1:]}
    assert len(rows) == 33
    assert rows["1"][2:4] == ["None (declaratory)", "Not tracked"]
    assert rows["2"][2] == "Secretariat"
    assert rows["2"][3] == "Secretariat: In progress (40%)"
    assert "Secretariat (in progress): Informed the BLG members." in rows["2"][4]
    assert rows["2"][5] == EVIDENCE
    assert rows["3"][3] == "Secretariat: Completed"
    assert "Cooperation plan adopted by partners." in rows["3"][4]
    # Recorded before the period: counts for the status, not for what was done.
    assert rows["7"][3] == "Secretariat: In progress"
    assert rows["7"][4] == "Nothing reported"
    assert "After the cut-off" not in "".join(rows["2"])

    actors = {row[0]: row for row in _table(document, "Addressee")[1:]}
    by_status = _table(document, "Addressee")[0]
    secretariat = dict(zip(by_status, actors["Secretariat"], strict=True))
    assert (secretariat["Completed"], secretariat["In progress"]) == ("1", "2")
    assert actors["All addressees"][-1] == str(n_mandates)

    regions = {row[0]: row[1:] for row in _table(document, "Region")[1:]}
    assert regions == {
        "Africa": ["1", "0", "0%"],
        "Asia": ["1", "1", "100%"],
        "Europe": ["1", "0", "0%"],
        "South and Central America and the Caribbean": ["1", "1", "100%"],
    }
    party_rows = {row[0]: row[1:] for row in _table(document, "¶", "Not reported")[1:]}
    assert party_rows["29"] == ["urges", "1", "0", "1", "0", "2"]
    assert party_rows["9"] == ["encourages", "0", "0", "0", "0", "4"]
    overdue = _table(document, "Text", "Due")
    assert overdue[1][1:4] == ["11", "Secretariat", "COP14"]
    retirement = _table(document, "Text", "Completed on")
    assert [row[1] for row in retirement[1:]] == ["3"]
    annex = _table(document, "Recorded", "Narrative")
    narratives = [row[5] for row in annex[1:]]
    assert narratives == [
        "Informed the BLG members.",
        "Drafted the cooperation plan.",
        "Cooperation plan adopted by partners.",
    ]
    party_annex = _table(document, "Recorded", "Party")
    assert sorted(row[1] for row in party_annex[1:]) == [
        "Brazil",
        "Germany",
        "Uzbekistan",
        "Uzbekistan",
    ]

    # --- PDF: the same content, from the HTML's template.
    pdf = pypdf.PdfReader(io.BytesIO(_read(report, "pdf")))
    # Words as read, whatever the line breaks of the layout.
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    for expected in (
        "UNEP/CMS/COP15/Doc.18",
        "Agenda Item 18.1",
        "Informed the BLG members.",
        "Parties that reported, by region",
        "COMPLETED MANDATES PROPOSED FOR RETIREMENT",
        "ANNEX: HISTORY OF THE PERIOD",
    ):
        assert expected in text, expected
    assert "After the cut-off" not in text
    assert pdf.metadata.title.startswith("UNEP/CMS/COP15/Doc.18")
    assert len(pdf.pages) > 3

    # --- HTML: standalone, no script, same content.
    html = _read(report, "html").decode()
    parsed = _Text()
    parsed.feed(html)
    words = " ".join(" ".join(parsed.parts).split())
    assert "script" not in parsed.tags
    assert EVIDENCE in parsed.links
    assert "Secretariat: In progress (40%)" in words
    assert f"Version {report.version}, compiled with the status recorded up to {day}" in words
    assert "After the cut-off" not in words

    # --- CSV: one line per mandate.
    lines = list(csv.DictReader(io.StringIO(_read(report, "csv").decode())))
    assert len(lines) == n_mandates
    line = next(r for r in lines if r["paragraph"] == "2")
    assert (line["actor"], line["status"], line["progress"], line["evidence"]) == (
        "secretariat",
        "in_progress",
        "40",
        EVIDENCE,
    )
    assert "Informed the BLG members." in line["done_in_period"]
    assert {r["status"] for r in lines if r["paragraph"] == "3"} == {"completed"}

    # --- JSON: the table data.
    data = json.loads(_read(report, "json"))
    assert data["report"]["document_symbol"] == "UNEP/CMS/COP15/Doc.18"
    assert data["report"]["period_start"].startswith("2024-02-18")
    assert sum(data["report"]["totals"].values()) == n_mandates
    (section,) = data["resolutions"]
    assert section["resolution"] == "Resolution 11.10 (Rev.COP14)"
    assert len(section["paragraphs"]) == 33
    p2 = section["paragraphs"][1]
    assert p2["mandates"] == [
        {
            "actor": "secretariat",
            "addressee": "Secretariat",
            "verb": "request",
            "status": "in_progress",
            "progress": 40,
            "due_meeting": None,
        }
    ]
    assert p2["evidence"] == [EVIDENCE]
    by_paragraph = {p["paragraph"]: p["counts"] for p in section["parties"]["by_paragraph"]}
    assert by_paragraph["29"] == {"implemented": 1, "not_started": 1, "not_reported": 2}
    assert [m["paragraph"] for m in data["overdue"]] == ["11"]
    assert [m["paragraph"] for m in data["proposed_for_retirement"]] == ["3"]
    assert len(data["history"]) == 3 and len(data["party_history"]) == 4

    # --- Deterministic: rendering the same version again gives the same bytes.
    again = {}
    for fmt, f in report_files(report):
        with f:
            again[fmt] = hashlib.sha256(f.read()).hexdigest()
    assert again == report.checksums

    # --- An issued version never changes: compiling again makes version 2.
    requested, created = services.report_request(meeting=cop15, user=secretariat_user)
    second = wait_for(requested.pk)
    assert created and (second.version, second.state) == (2, ReportState.DONE)
    report.refresh_from_db()
    assert hashlib.sha256(_read(report, "docx")).hexdigest() == report.checksums["docx"]
    changes = list(selectors.report_changes(old=report, new=second))
    assert [(c.paragraph, c.actor, c.old_status, c.status) for c in changes] == [
        ("2", "Secretariat", "in_progress", "completed")
    ]
