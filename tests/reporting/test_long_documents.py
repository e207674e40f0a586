"""Long reports stay documents: the PDF is laid out in runs with page numbers and the
running header carried across, each paragraph shows the latest update of each
addressee, and past a limit the annex gives the count and refers to the JSON file."""

from __future__ import annotations

import gc
import io
import json
import re
from pathlib import Path

import pypdf
import pytest
from django.core.files.storage import default_storage

from reporting import renderers, services
from reporting.content import REPORTED_PER_ADDRESSEE, ReportContent
from reporting.renderers import render_html
from reporting.word import render_docx
from resolutions.seed import seed_reading
from resolutions.services import resolution_create_from_reading
from tests.reporting.conftest import EVIDENCE, mandate_at, record

OLD = "https://example.org/first-step"
NEW = "https://example.org/last-step"
COMPLETED = "Cooperation plan adopted by partners."

pytestmark = pytest.mark.django_db


def _compile(history):
    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)
    outcome = services.report_compile(report_id=report.pk)
    assert outcome.outcome == "done", outcome.report.error
    return outcome.report


def _pdf(report) -> pypdf.PdfReader:
    with default_storage.open(report.files["pdf"], "rb") as f:
        return pypdf.PdfReader(io.BytesIO(f.read()))


def _page_numbers(pdf: pypdf.PdfReader) -> list[int]:
    """The number printed at the foot of each page: the last number of its text."""
    return [int(re.findall(r"\b\d+\b", page.extract_text())[-1]) for page in pdf.pages]


def _bookmarks(pdf: pypdf.PdfReader) -> list[tuple[str, int]]:
    """(title, page index) of every bookmark, depth first."""
    found = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append((item.title, pdf.get_destination_page_number(item)))

    walk(pdf.outline)
    return found


@pytest.mark.parametrize("processes", [1, 2])
def test_a_long_pdf_is_laid_out_in_runs_and_reads_as_one_document(
    history, media, monkeypatch, settings, processes
):
    """In one process the runs are numbered as they are laid out; in two, side by side,
    the numbers and the running header are stamped afterwards. Either way the reader sees
    one document."""
    settings.REPORT_PDF_PROCESSES = processes
    reading = seed_reading("synergies-and-partnerships")
    resolution_create_from_reading(reading=reading, symbol="99.1", title="Second text")
    # Every resolution section, the closing parts and the annex become runs of their own.
    monkeypatch.setattr(renderers, "PDF_RUN_CHARS", 1)
    report = _compile(history)
    pdf = _pdf(report)
    html = render_html(ReportContent(report))
    monkeypatch.setattr(renderers, "PDF_RUN_CHARS", 10**9)
    whole = pypdf.PdfReader(io.BytesIO(renderers.render_pdf(html)))

    # A new run starts on a new page, so the split document may be a little longer.
    assert len(whole.pages) <= len(pdf.pages) <= len(whole.pages) + 4
    assert _page_numbers(pdf) == list(range(1, len(pdf.pages) + 1))
    # The symbol heads every page, at the start of a run as elsewhere (the first page
    # carries it in its header block).
    symbol = report.document_symbol
    assert all(symbol in page.extract_text() for page in pdf.pages)
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split()).lower()
    for expected in ("second text", "informed the blg members.", "annex: history of the period"):
        assert expected in text
    # The bookmarks of every run are kept, in order, each on the page of its heading.
    assert _bookmarks(pdf) and [t for t, _ in _bookmarks(pdf)] == [t for t, _ in _bookmarks(whole)]
    for title, page in _bookmarks(pdf):
        words = pdf.pages[page].extract_text().lower().split()
        assert title.lower().split()[0] in words, (title, page)
    # Laid out side by side, every page carries its stamp; in one process, none does.
    stamped = [b"/PageStamp" in page.get_contents().get_data() for page in pdf.pages]
    assert stamped == [processes > 1] * len(pdf.pages)
    # The file is still the report's: its metadata, and the same bytes every time.
    assert pdf.metadata.title.startswith(symbol)
    monkeypatch.setattr(renderers, "PDF_RUN_CHARS", 1)
    with default_storage.open(report.files["pdf"], "rb") as f:
        assert renderers.render_pdf(html, running_header=symbol) == f.read()


def _long_html(sections: int = 6) -> str:
    part = "<h2>Section</h2>" + "<p>Words of the section.</p>" * 40
    return (
        "<html><head></head><body>"
        + renderers.PDF_PART_BREAK.join([part] * sections)
        + ("</body></html>")
    )


def test_a_child_that_fails_fails_the_pdf_with_its_words(monkeypatch):
    monkeypatch.setattr(renderers, "PDF_RUN_CHARS", 1)
    with renderers.PdfJob(_long_html(), processes=1) as job:
        assert not job.children  # one process: nothing started
        missing = Path(job.folder.name) / "missing.html"
        job.paths = [missing, missing]
        job._spawn(2)
        with pytest.raises(RuntimeError, match="FileNotFoundError"):
            job._wait_children()


def test_the_children_take_each_run_once_longest_first(monkeypatch, tmp_path):
    from reporting import pdf_runs

    monkeypatch.setattr(renderers, "PDF_RUN_CHARS", 1)
    parts = ["<h2>Section</h2>" + "<p>Words of the section.</p>" * n for n in (5, 40, 20, 10)]
    html = f"<html><head></head><body>{renderers.PDF_PART_BREAK.join(parts)}</body></html>"
    # Three processes: two children, and this one, which takes no part until `result()`.
    with renderers.PdfJob(html, processes=3) as job:
        commands = [child.args[3:] for child, _ in job.children]
        job._wait_children()
        assert len(commands) == 2 and commands[0] == commands[1]
        sizes = [job.sizes[Path(name)] for name in commands[0]]
        assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == 4
        assert Path(commands[0][0]) == job.paths[1]  # the longest, second in the document
        assert all(path.with_suffix(".pdf").exists() for path in job.paths)
    # A run already claimed is left to the process that claimed it.
    run = tmp_path / "run.html"
    run.write_text("<p>One page.</p>", encoding="utf-8")
    assert pdf_runs.main([str(run)]) == 0 and run.with_suffix(".pdf").exists()
    run.with_suffix(".pdf").unlink()
    assert pdf_runs.main([str(run)]) == 0 and not run.with_suffix(".pdf").exists()


def test_the_compiling_process_lays_out_the_runs_no_child_took(monkeypatch):
    """With two processes one child starts; the compiling process lays out whatever is
    left when it asks for the result, and the document is whole and numbered."""
    from reporting import pdf_runs

    monkeypatch.setattr(renderers, "PDF_RUN_CHARS", 1)
    # No child starts here: this test plays the child's part itself, so what is left is
    # known.
    started = []
    monkeypatch.setattr(renderers.PdfJob, "_spawn", lambda job, children: started.append(children))
    parts = ["<h2>Section</h2>" + "<p>Words of the section.</p>" * n for n in (5, 60, 20, 10)]
    html = f"<html><head></head><body>{renderers.PDF_PART_BREAK.join(parts)}</body></html>"
    with renderers.PdfJob(html, processes=2) as job:
        assert started == [1] and job.stamp is not None
        taken = job._longest_first()[0]
        assert pdf_runs.main([str(taken)]) == 0  # a child took the longest run
        laid_out_here = []
        render_run = pdf_runs.render_run
        monkeypatch.setattr(
            pdf_runs, "render_run", lambda path: laid_out_here.append(path) or render_run(path)
        )
        pdf = pypdf.PdfReader(io.BytesIO(job.result()))
    assert sorted(laid_out_here) == sorted(set(job.paths) - {taken})
    assert _page_numbers(pdf) == list(range(1, len(pdf.pages) + 1)) and len(pdf.pages) >= 5
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert text.count("Words of the section.") == 95
    # What the compiling process holds is back in the garbage collector's care.
    assert gc.get_freeze_count() == 0


def test_a_job_given_up_stops_its_children_and_removes_its_files(monkeypatch):
    """As when a report runs out of time while its PDF is being laid out."""
    monkeypatch.setattr(renderers, "PDF_RUN_CHARS", 1)
    job = renderers.PdfJob(_long_html(40), processes=3)
    children, folder = [child for child, _ in job.children], Path(job.folder.name)
    assert len(children) == 2 and folder.exists()
    job.close()
    assert all(child.poll() is not None for child in children)
    assert not folder.exists()


def test_the_word_document_is_written_part_by_part_into_the_same_bytes(history, monkeypatch):
    """The body of the DOCX is moved to a file after each part (so a long report never
    holds its whole tree); put back together it is exactly the document built whole."""
    from reporting import word

    reading = seed_reading("synergies-and-partnerships")
    resolution_create_from_reading(reading=reading, symbol="99.1", title="Second text")
    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)
    largest: list[int] = []
    flush = word._Writer.flush

    def measured(writer):
        largest.append(len(writer.doc.element.body))
        flush(writer)
        assert [e.tag.rsplit("}", 1)[1] for e in writer.doc.element.body] == ["sectPr"]

    monkeypatch.setattr(word._Writer, "flush", measured)
    streamed = render_docx(ReportContent(report))
    assert len(largest) >= 2 + 3  # one per resolution section, then the closing parts
    monkeypatch.setattr(word._Writer, "flush", lambda writer: None)
    whole = render_docx(ReportContent(report))
    assert streamed == whole
    assert b"SECOND TEXT" in _docx_text(streamed)  # its heading


def test_long_lists_of_mandates_are_cut_into_parts_between_texts(history, media, monkeypatch):
    """A part of the PDF is laid out in one go: the overdue and completed lists give one
    paragraph of references per text, and are cut every LIST_TEXTS_PER_PART texts."""
    from reporting.models import Meeting
    from resolutions.models import Mandate

    reading = seed_reading("synergies-and-partnerships")
    copy = resolution_create_from_reading(reading=reading, symbol="99.1", title="Second text")
    second = mandate_at(copy, "11", "secretariat")
    Mandate.objects.filter(pk=second.pk).update(due_meeting=Meeting.objects.get(code="COP14"))
    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)

    def overdue_list(html: str) -> str:
        # Up to the break before the next heading.
        overdue = html.split('id="overdue"', 1)[1].split('<h2 id="retirement"', 1)[0]
        return overdue.rstrip().removesuffix(renderers.PDF_PART_BREAK)

    whole = overdue_list(render_html(ReportContent(report)))
    monkeypatch.setattr(renderers, "LIST_TEXTS_PER_PART", 1)
    cut_html = render_html(ReportContent(report))
    cut = overdue_list(cut_html)
    assert whole.count(renderers.PDF_PART_BREAK) == 0
    assert cut.count(renderers.PDF_PART_BREAK) == 1
    first, later = cut.split(renderers.PDF_PART_BREAK)
    assert (
        "<b>Resolution 11.10 (Rev.COP14):</b> ¶\u00a011 Secretariat (COP14, not started)." in first
    )
    assert "<b>Resolution 99.1:</b> ¶\u00a011 Secretariat (COP14, not started)." in later
    assert len(renderers.render_pdf(cut_html, running_header=report.document_symbol)) > 0


def test_a_paragraph_shows_the_latest_update_of_each_addressee(history, media, secretariat_user):
    mandate = history.in_progress
    narratives = [f"Step {n} of the work plan." for n in range(1, 6)]
    for narrative in narratives:
        record(mandate, secretariat_user, "in_progress", narrative=narrative)
    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)
    html = render_html(ReportContent(report))
    row = next(e for e in html.split('<div class="entry">') if "Step 5" in e)
    assert "<b>Secretariat:</b> In progress. " in row
    shown = narratives[-REPORTED_PER_ADDRESSEE:]
    assert all(n in row for n in shown)
    assert not any(n in row for n in narratives[:-REPORTED_PER_ADDRESSEE])
    hidden = len(narratives) + 1 - REPORTED_PER_ADDRESSEE  # and "Informed the BLG members."
    assert f"And {hidden} earlier updates in the period (see the annex)." in row
    # The annex still lists every one.
    annex = html.split('id="annex"', 1)[1]
    assert all(n in annex for n in narratives)


def test_the_documents_pick_in_the_database_what_every_update_of_the_period_would_show(
    history, media, secretariat_user
):
    """A meeting document's rows have the latest update of each mandate picked by the
    database; the data files read every update and pick the same in Python."""
    secretariat = mandate_at(history.resolution, "10", "secretariat")
    parties = mandate_at(history.resolution, "10", "parties")
    record(secretariat, secretariat_user, "in_progress", narrative="Step 1.", evidence_links=[OLD])
    record(secretariat, secretariat_user, "in_progress", narrative="Step 2.")
    # Says nothing (same status, no narrative): neither shown nor counted as earlier.
    record(secretariat, secretariat_user, "in_progress", evidence_links=[EVIDENCE, OLD, NEW])
    record(parties, secretariat_user, "delayed")
    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)

    def rows(content):
        return {
            row.number: (
                [(a.mandate_id, a.narrative, a.status) for a in row.reported],
                row.earlier,
                row.evidence,
            )
            for section in content.sections
            for row in section.rows
        }

    picked = rows(ReportContent(report))
    assert picked == rows(ReportContent(report, every_update=True))
    # The same day: in the text's order of addressees (Parties first).
    assert picked["10"] == (
        [(parties.pk, "", "delayed"), (secretariat.pk, "Step 2.", "in_progress")],
        1,
        [OLD, EVIDENCE, NEW],
    )
    assert picked["3"][:2] == ([(history.completed.pk, COMPLETED, "completed")], 1)
    assert picked["7"] == ([], 0, [])


def test_the_csv_and_the_json_share_one_pass_and_are_the_files_written_alone(history, media):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)
    alone = {"csv": io.BytesIO(), "json": io.BytesIO()}
    with CaptureQueriesContext(connection) as apart:
        renderers.write_csv(ReportContent(report, every_update=True), alone["csv"])
        renderers.write_json(ReportContent(report, every_update=True), alone["json"])
    shared = {"csv": io.BytesIO(), "json": io.BytesIO()}
    with CaptureQueriesContext(connection) as together:
        content = ReportContent(report, every_update=True)
        renderers.write_data_files(content, shared["csv"], shared["json"])
    assert shared["csv"].getvalue() == alone["csv"].getvalue()
    assert shared["json"].getvalue() == alone["json"].getvalue()
    assert b"Informed the BLG members." in shared["csv"].getvalue()
    # The sections' queries ran once, not once per file, and the period's updates were
    # read once for the sections and the history alike.
    walk = [q["sql"] for q in apart.captured_queries if "resolutions_paragraph" in q["sql"]]
    assert len(together) <= len(apart) - len(walk) // 2

    def reads_every_update(sql: str) -> bool:  # selectors.status_updates_in_period
        return all(
            column in sql
            for column in (
                '"resolutions_statusupdate"."narrative"',
                '"resolutions_statusupdate"."version" ASC',
            )
        )

    assert len([q for q in apart.captured_queries if reads_every_update(q["sql"])]) == 3
    assert len([q for q in together.captured_queries if reads_every_update(q["sql"])]) == 1
    assert b'"history":[\n{"recorded_on"' in shared["json"].getvalue()
    with pytest.raises(ValueError, match="every_update"):
        renderers.write_csv(ReportContent(report), io.BytesIO())


def test_the_docx_reads_the_sections_the_html_kept(history, media):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)
    content = ReportContent(report, keep_sections=True)
    html = render_html(content)
    assert content.kept_sections is not None and len(content.kept_sections) == 1
    seen = []
    content.on_section = lambda done, total: seen.append((done, total))
    with CaptureQueriesContext(connection) as captured:
        docx = render_docx(content)
    with CaptureQueriesContext(connection) as alone:
        assert docx == render_docx(ReportContent(report))
    # Without the sections' queries (the latest updates are ranked by a window).
    assert any("ROW_NUMBER" in q["sql"] for q in alone.captured_queries)
    assert not any("ROW_NUMBER" in q["sql"] for q in captured.captured_queries)
    assert len(captured) < len(alone)
    assert seen == [(1, 1)]
    assert html == render_html(ReportContent(report))


def test_past_the_limit_the_documents_count_the_history_and_refer_to_the_json(
    history, media, settings
):
    settings.REPORT_DOCUMENT_HISTORY_ROWS = 2
    report = _compile(history)
    content = ReportContent(report)
    assert len(content.history) == 3 and len(content.party_history) == 4
    with default_storage.open(report.files["html"], "rb") as f:
        html = f.read().decode()
    annex = html.split('id="annex"', 1)[1]
    assert "3 status updates were recorded in the period: too many to list" in annex
    assert "4 Party statuses were recorded in the period: too many to list" in annex
    assert "Informed the BLG members." not in annex
    docx = render_docx(content)
    assert b"3 status updates were recorded in the period" in _docx_text(docx)
    with default_storage.open(report.files["json"], "rb") as f:
        data = json.load(f)
    assert len(data["history"]) == 3 and len(data["party_history"]) == 4

    settings.REPORT_DOCUMENT_HISTORY_ROWS = 3
    assert ReportContent(report).history_listed
    assert not ReportContent(report).party_history_listed


def _docx_text(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml")
