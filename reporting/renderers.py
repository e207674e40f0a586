"""The files of a progress report: HTML and PDF from one template, DOCX (reporting.word),
CSV and JSON of the table data.

Rendering is a pure function of the report row and the history as of its cut-off: no
clock, no randomness. Dates inside the files come from the row (the cut-off), so the same
version always renders to the same bytes.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import logging
import os
import re
import shutil
import subprocess  # nosec B404 - the PDF's own layout children
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.template.loader import render_to_string

from reporting.content import ReportContent
from reporting.models import ProgressReport, ReportFormat

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.PDF: "application/pdf",
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.JSON: "application/json",
}

#: Files past this size are spooled to disk while written.
SPOOL_BYTES = 4 * 1024 * 1024

#: Columns of the CSV: one line per mandate (paragraph x addressee).
CSV_COLUMNS = [
    "resolution",
    "title",
    "paragraph",
    "paragraph_summary",
    "actor",
    "addressee",
    "verb",
    "status",
    "progress",
    "due_meeting",
    "done_in_period",
    "evidence",
]


def render_html(content: ReportContent) -> str:
    return render_to_string(
        "reporting/document/report.html",
        {
            "content": content,
            "report": content.report,
            "meeting": content.meeting,
            "texts_per_part": LIST_TEXTS_PER_PART,
        },
    )


#: Where a document template allows its PDF to be cut (between resolution sections, before
#: the closing parts and the annex, and every LIST_TEXTS_PER_PART texts of the lists of
#: overdue and completed mandates): an HTML comment inside <body>.
PDF_PART_BREAK = "<!-- pdf-part -->"
#: The lists of overdue and completed mandates (one paragraph of references per text) are
#: cut every this many texts, so that no part is much longer than a resolution section.
LIST_TEXTS_PER_PART = 10
#: Parts are laid out in runs of about this much HTML. WeasyPrint's memory grows with the
#: pages of a run (a COP report at `cms` scale peaked at 784 MiB with runs of 400,000
#: characters); smaller runs keep the peak down and lay out no slower per page.
PDF_RUN_CHARS = 150_000


def _runs(parts: list[str]) -> Iterator[str]:
    """Consecutive parts joined into runs of about PDF_RUN_CHARS (at least one part each)."""
    run: list[str] = []
    size = 0
    for part in parts:
        if run and size + len(part) > PDF_RUN_CHARS:
            yield "".join(run)
            run, size = [], 0
        run.append(part)
        size += len(part)
    if run:
        yield "".join(run)


def _css_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def pdf_processes() -> int:
    """How many processes lay out a long PDF's runs side by side, this one included:
    REPORT_PDF_PROCESSES, or with 0 (the default) one per CPU this process may use."""
    from django.conf import settings

    wanted = settings.REPORT_PDF_PROCESSES
    if wanted > 0:
        return wanted
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: A document of fewer runs than this is laid out in this process: starting the children
#: (each imports WeasyPrint) costs more than it saves on a short document.
PDF_PARALLEL_MIN_RUNS = 4


def render_pdf(html: str, *, running_header: str = "", processes: int | None = None) -> bytes:
    """The PDF of a document's HTML: one template for both (see `PdfJob`)."""
    with PdfJob(html, running_header=running_header, processes=processes) as job:
        return job.result()


class PdfJob:
    """The PDF of a document's HTML, begun when made and collected with `result()`; use it
    as a context manager, so that whatever happens its children are stopped and its
    temporary files removed. WeasyPrint takes the PDF's dates from the page's dcterms meta
    tags (the cut-off) and writes no random id: the same HTML gives the same bytes.

    WeasyPrint lays out a whole document in memory, and its time grows faster than the
    page count. A long document whose template marks where it may be cut
    (PDF_PART_BREAK) is therefore laid out in runs of parts, each written to a temporary
    file, and the files joined into one (`_join_pdfs`): memory stays that of one run (per
    process), time grows with the length. Each run after the first starts on a new page.

    With several processes (`processes`, else `pdf_processes()`) and at least
    PDF_PARALLEL_MIN_RUNS runs, the runs are laid out side by side: all but one of the
    processes are children (`reporting.pdf_runs`) that start when the job is made, so the
    caller can do other work meanwhile, and this process takes its share of what is left
    when `result()` is asked for. (Two children beside a compiling process that also lays
    out would do the same work on the same cores, and hold a third layout's memory.) They
    lay out without page numbers or running header, since a run's first page number
    depends on the runs before it; both are stamped on every page once the runs are
    joined (`_PageStamp`), in the font and place of WeasyPrint's own margin boxes.
    Otherwise `result()` lays out the runs in turn, each numbered from where the previous
    one ended. Either way every page but the document's first carries
    `running_header` (the document symbol) at the top."""

    UNNUMBERED = (
        "<style>@page { @top-right { content: none; } @bottom-center { content: none; } }"
        " @page :first { @top-right { content: none; } @bottom-center { content: none; } }"
        "</style>"
    )

    def __init__(self, html: str, *, running_header: str = "", processes: int | None = None):
        self.html: str | None = html
        self.running_header = running_header
        self.folder: tempfile.TemporaryDirectory | None = None
        self.children: list[tuple[subprocess.Popen, IO[bytes]]] = []
        self.paths: list[Path] = []
        self.sizes: dict[Path, int] = {}  # of each run's HTML, to lay out the longest first
        self.stamp: _PageStamp | None = None
        head, found, rest = html.partition("<body>")
        body, _, _ = rest.rpartition("</body>")
        self.runs: list[str] = list(_runs(body.split(PDF_PART_BREAK))) if found else []
        if len(self.runs) < 2:
            return
        self.html = None
        self.head, _, self.head_end = head.rpartition("</head>")
        self.folder = tempfile.TemporaryDirectory(prefix="report-pdf-")
        processes = min(len(self.runs), processes or pdf_processes())
        if processes > 1 and len(self.runs) >= PDF_PARALLEL_MIN_RUNS:
            stamp = _PageStamp(f"{self.head}</head>{self.head_end}", running_header)
            try:
                stamp.prepare()
            except RuntimeError:  # a font that draws digits otherwise: number in turn
                logger.warning("Page numbers cannot be stamped; laying out in one process.")
            else:
                self.stamp = stamp
                self._start_children(processes)

    def __enter__(self) -> PdfJob:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def result(self) -> bytes:
        from weasyprint import HTML

        if self.html is not None:
            return HTML(string=self.html).write_pdf()
        if self.stamp is not None:
            self._lay_out_here()
            self._wait_children()
            return _join_pdfs([path.with_suffix(".pdf") for path in self.paths], stamp=self.stamp)
        folder = Path(self.folder.name)
        pages = 0
        paths = []
        for index, run in enumerate(self.runs):
            style = ""
            if index:
                header = f"@top-right {{ content: {_css_string(self.running_header)}; }}"
                style = (
                    f"<style>@page {{ {header} }} "
                    f"@page :first {{ counter-reset: page {pages + 1}; {header} }}</style>"
                )
            page = f"{self.head}{style}</head>{self.head_end}<body>{run}</body></html>"
            document = HTML(string=page).render()
            pages += len(document.pages)
            paths.append(folder / f"{index:04d}.pdf")
            document.write_pdf(paths[-1])
            del document
        return _join_pdfs(paths)

    def close(self) -> None:
        """Stop the children still running and remove the temporary files."""
        for child, log in self.children:
            if child.poll() is None:
                child.kill()
                child.wait()
            log.close()
        self.children = []
        if self.folder is not None:
            self.folder.cleanup()
            self.folder = None

    def _start_children(self, processes: int) -> None:
        """Each run's HTML to a file, and `processes - 1` children laying them out, each
        taking the next run not yet taken (`reporting.pdf_runs`); a run's PDF is written
        beside its HTML. This process is the last of the `processes` (`result()`)."""
        folder = Path(self.folder.name)
        for index, run in enumerate(self.runs):
            self.paths.append(folder / f"{index:04d}.html")
            self.sizes[self.paths[-1]] = len(run)
            self.paths[-1].write_text(
                f"{self.head}{self.UNNUMBERED}</head>{self.head_end}<body>{run}</body></html>",
                encoding="utf-8",
            )
        self.runs = []
        self._spawn(processes - 1)

    def _lay_out_here(self) -> None:
        """This process's share: the runs no child has taken yet, as they go. What this
        process already holds is kept from the cyclic garbage collector meanwhile
        (`gc.freeze`): layout makes millions of short-lived objects, and each full
        collection would otherwise walk the compiling process's whole heap as well (about
        a sixth of its layout time at `cms` scale)."""
        from reporting.pdf_runs import lay_out

        gc.freeze()
        try:
            for _path, _pages in lay_out(self._longest_first()):
                pass
        finally:
            gc.unfreeze()

    def _longest_first(self) -> list[Path]:
        return sorted(self.paths, key=lambda p: -self.sizes.get(p, 0))

    def _spawn(self, children: int) -> None:
        folder = Path(self.folder.name)
        root = Path(__file__).resolve().parent.parent
        path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        # Every child is given every run, longest first, and takes the next one not yet
        # taken: they share the work as it goes.
        runs = [str(path) for path in self._longest_first()]
        for number in range(children):
            log = open(folder / f"child-{number}.log", "wb")  # noqa: SIM115 - closed in close()
            command = [sys.executable, "-m", "reporting.pdf_runs", *runs]
            # Our own module and our own temporary files: no outside input in the command.
            child = subprocess.Popen(  # noqa: S603  # nosec B603
                command, stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=root
            )
            self.children.append((child, log))

    def _wait_children(self) -> None:
        """Wait for every child; one that failed fails the document, with its last words."""
        for child, log in self.children:
            child.wait()
            log.flush()
            if child.returncode:
                words = Path(log.name).read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Laying out the PDF failed: {words.strip()}")


def _join_pdfs(paths: list[Path], *, stamp: _PageStamp | None = None) -> bytes:
    """One PDF of the runs' files, in order, with their bookmarks and the first run's
    document information, and with `stamp` (page numbers and running header) on every page
    when the runs were laid out without them. qpdf (pikepdf) reads the runs from disk as
    it writes, so memory does not grow with the page count; `deterministic_id` keeps the
    bytes reproducible."""
    import pikepdf

    out = pikepdf.Pdf.new()
    sources = []
    bookmarks: list[pikepdf.OutlineItem] = []
    try:
        for path in paths:
            source = pikepdf.open(path)
            sources.append(source)
            offset = len(out.pages)
            out.pages.extend(source.pages)
            with source.open_outline() as outline:
                bookmarks += [_bookmark(item, offset) for item in outline.root]
        with out.open_outline() as outline:
            outline.root.extend(bookmarks)
        for key, value in sources[0].docinfo.items():
            out.docinfo[key] = value
        if stamp is not None:
            stamp.apply(out)
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()


class _PageStamp:
    """Page numbers and the running header put on pages laid out without them, exactly as
    WeasyPrint draws the document's margin boxes: the number at the bottom centre and the
    header at the top right, as the progress report (the one template cut into runs) has
    them.

    WeasyPrint lays out one probe page of the document's own head (its @page rules, fonts
    and sizes) with "0123456789" as the page number and `running_header` at the top. Its
    content stream is then the stamp of every page: the same drawing, with the digits'
    glyphs swapped for those of the page's number and moved to stay centred (the widths
    come from the embedded font), and without the header on the document's first page.
    Each page gets its stamp as an overlay (a form XObject sharing the probe's resources),
    so the numbers are real text in an embedded font: they can be searched, read aloud
    and copied."""

    DIGITS = "0123456789"
    NAME = "/PageStamp"

    def __init__(self, head: str, running_header: str) -> None:
        self.head = head
        self.running_header = running_header
        self.probes: list[tuple] = []

    def _probe(self, header: bool):
        from weasyprint import HTML

        top = _css_string(self.running_header) if header else "none"
        digits = _css_string(self.DIGITS)
        boxes = f"@top-right {{ content: {top}; }} @bottom-center {{ content: {digits}; }}"
        style = f"<style>@page {{ {boxes} }} @page :first {{ {boxes} }}</style>"
        head, _, head_end = self.head.rpartition("</head>")
        return HTML(string=f"{head}{style}</head>{head_end}<body></body></html>").write_pdf()

    def prepare(self) -> None:
        """Lay out and read the probes (the document's first page, without the header, and
        any other). Raises RuntimeError if the digits cannot be found in them."""
        import pikepdf

        for header in (False, True):
            probe = pikepdf.open(io.BytesIO(self._probe(header)))
            page = probe.pages[0]
            instructions = pikepdf.parse_content_stream(page)
            self.probes.append((probe, page, instructions, *self._digits(page, instructions)))

    def apply(self, pdf) -> None:
        import pikepdf

        probes = [
            (
                instructions,
                pdf.copy_foreign(page.Resources),
                [float(v) for v in page.MediaBox],
                at,
                font,
                glyphs,
            )
            for _, page, instructions, at, font, glyphs in self.probes
        ]
        for number, page in enumerate(pdf.pages, start=1):
            instructions, resources, box, at, font, glyphs = probes[number > 1]
            text = str(number)
            drawn = self._swap(instructions, at, text, font, glyphs)
            form = pikepdf.Stream(pdf, pikepdf.unparse_content_stream(drawn))
            form.Type = pikepdf.Name.XObject
            form.Subtype = pikepdf.Name.Form
            form.BBox = pikepdf.Array(box)
            form.Resources = resources
            # By hand rather than Page.add_overlay, which names the form at random: the
            # same report must give the same bytes. The page's resources may be shared
            # with other pages, so it gets a dictionary of its own that names its stamp.
            own = pikepdf.Dictionary(page.obj.get("/Resources", pikepdf.Dictionary()))
            xobjects = pikepdf.Dictionary(own.get("/XObject", pikepdf.Dictionary()))
            xobjects[self.NAME] = form
            own.XObject = xobjects
            page.obj.Resources = own
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, f"\nQ\nq {self.NAME} Do Q\n".encode()))

    def _digits(self, page, instructions):
        """Where the digits are drawn (index of their TJ), their font's size and widths
        (thousandths of an em) and each digit's glyph code."""
        import pikepdf

        font_name, size = None, None
        for index, (operands, operator) in enumerate(instructions):
            if operator == pikepdf.Operator("Tf"):
                font_name, size = operands[0], float(operands[1])
            elif operator == pikepdf.Operator("TJ") and font_name is not None:
                font = page.Resources.Font[font_name]
                codes = [bytes(item) for item in operands[0] if isinstance(item, pikepdf.String)]
                text = "".join(_to_unicode(font).get(code, "?") for code in codes)
                if text == self.DIGITS:
                    widths = _cid_widths(font.DescendantFonts[0])
                    glyphs = dict(zip(self.DIGITS, codes, strict=True))
                    return index, (size, widths), glyphs
        raise RuntimeError("The page-number probe holds no digits.")

    @staticmethod
    def _swap(instructions, at, text, font, glyphs):
        """The probe's drawing with the digits at `at` replaced by `text`, centred where the
        probe's ten digits were."""
        import pikepdf

        size, widths = font

        def width(codes):
            return sum(widths.get(int.from_bytes(code, "big"), 0) for code in codes) * size / 1000

        probe_codes = [glyphs[d] for d in _PageStamp.DIGITS]
        codes = [glyphs[d] for d in text]
        shift = (width(probe_codes) - width(codes)) / 2
        drawn = list(instructions)
        # The text matrix set last before the digits places them: move it by `shift`.
        for index in range(at, -1, -1):
            operands, operator = drawn[index]
            if operator == pikepdf.Operator("Tm"):
                values = [float(v) for v in operands]
                values[4] += shift
                drawn[index] = pikepdf.ContentStreamInstruction(values, operator)
                break
        array = pikepdf.Array([pikepdf.String(code) for code in codes])
        drawn[at] = pikepdf.ContentStreamInstruction([array], pikepdf.Operator("TJ"))
        return drawn


def _to_unicode(font) -> dict[bytes, str]:
    """A font's glyph codes and the text they stand for, from its ToUnicode CMap (the
    bfchar and bfrange entries WeasyPrint writes)."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    found: dict[bytes, str] = {}

    def text(hexa: str) -> str:
        return bytes.fromhex(hexa).decode("utf-16-be")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            found[bytes.fromhex(code)] = text(value)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, value in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first, size = int(low, 16), len(low) // 2
            start = ord(text(value)[-1])
            for offset in range(int(high, 16) - first + 1):
                found[(first + offset).to_bytes(size, "big")] = chr(start + offset)
    return found


def _cid_widths(font) -> dict[int, float]:
    """Glyph widths by CID from a CIDFont's /W array: `c [w1 w2 ...]` and `c1 c2 w`."""
    import pikepdf

    widths: dict[int, float] = {}
    items = list(font.get("/W", []))
    index = 0
    while index < len(items):
        first = int(items[index])
        if isinstance(items[index + 1], pikepdf.Array):
            for offset, value in enumerate(items[index + 1]):
                widths[first + offset] = float(value)
            index += 2
        else:
            for cid in range(first, int(items[index + 1]) + 1):
                widths[cid] = float(items[index + 2])
            index += 3
    return widths


def _bookmark(item, offset: int):
    """A run's bookmark (and those under it) pointing at the same place of the joined
    document, whose pages of that run start at `offset`."""
    import pikepdf

    destination = item.destination
    if isinstance(destination, pikepdf.Array) and len(destination) >= 4:
        target = offset + pikepdf.Page(destination[0]).index
        copy = pikepdf.OutlineItem(
            item.title, target, "XYZ", left=float(destination[2]), top=float(destination[3])
        )
    else:
        copy = pikepdf.OutlineItem(item.title)
    copy.children.extend(_bookmark(child, offset) for child in item.children)
    return copy


def _done_in_period(activity) -> str:
    return " | ".join(
        f"{a.recorded_on.isoformat()} {a.actor}"
        + (f" ({a.status_label.lower()})" if a.changed else "")
        + (f": {a.narrative}" if a.narrative else "")
        for a in activity
    )


def _spooled() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def _check_every_update(content: ReportContent) -> None:
    if not content.every_update:
        raise ValueError("The data files list every update: ReportContent(every_update=True).")


def write_csv(content: ReportContent, out: IO[bytes]) -> None:
    """One line per mandate with its status at the cut-off, streamed section by section."""
    _check_every_update(content)
    for _ in _csv_sections(content.sections, out):
        pass


def _csv_sections(sections: Iterable[Any], out: IO[bytes]) -> Iterator[Any]:
    """Write the CSV of each section as it passes through (header first): the CSV can be
    written in the same pass over the sections as the JSON (`write_data_files`)."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    for section in sections:
        for row in section.rows:
            for mandate in row.mandates:
                own = [a for a in row.activity if a.mandate_id == mandate.mandate_id]
                writer.writerow(
                    [
                        section.symbol,
                        section.title,
                        row.number,
                        row.summary,
                        mandate.actor_slug,
                        mandate.actor,
                        mandate.verb,
                        mandate.status,
                        "" if mandate.progress is None else mandate.progress,
                        mandate.due_meeting,
                        _done_in_period(a for a in own if a.says_something),
                        " ".join(dict.fromkeys(link for a in own for link in a.links)),
                    ]
                )
        yield section
    text.detach()


def write_data_files(content: ReportContent, csv_out: IO[bytes], json_out: IO[bytes]) -> None:
    """The CSV and the JSON in one pass over the sections: both list every update of the
    period, which is most of the time of reading them. The JSON's history is encoded as
    the pass shows its updates (`ReportContent.on_update`), into a spooled file copied in
    its place: the period's updates are read once, not twice."""
    _check_every_update(content)
    if content.kept_sections is not None:  # a replay of kept sections reads no update
        write_json(content, json_out, sections=_csv_sections(content.sections, csv_out))
        return
    history = _JsonItems()
    content.on_update = lambda row: history.add(_history_json(row))
    try:
        sections = _csv_sections(content.sections, csv_out)
        write_json(content, json_out, sections=sections, history=history)
    finally:
        content.on_update = None
        history.close()


def _dump_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _json_item(value: Any, index: int) -> bytes:
    """The item at `index` of a JSON list as `write_json` writes it: one to a line."""
    return (b",\n" if index else b"\n") + _dump_json(value)


class _JsonItems:
    """The items of a JSON list, encoded as they come into a spooled file, written out
    later in the form `write_json` gives a list's items."""

    def __init__(self) -> None:
        self.file = _spooled()
        self.count = 0

    def add(self, value: Any) -> None:
        self.file.write(_json_item(value, self.count))
        self.count += 1

    def write_to(self, out: IO[bytes]) -> None:
        self.file.seek(0)
        shutil.copyfileobj(self.file, out)

    def close(self) -> None:
        self.file.close()


def _json_section(section) -> dict[str, Any]:
    parties = section.parties
    columns = section.status_columns
    return {
        "resolution": section.symbol,
        "title": section.title,
        "adopted_at": section.adopted_at,
        "summary": {
            "by_status": {
                status: n
                for (status, _), n in zip(section.status_columns, section.status_cells, strict=True)
            },
            "by_actor": [
                {
                    "actor": slug,
                    "addressee": name,
                    "counts": {s: summary.counts[s] for s, _ in columns if summary.counts.get(s)},
                }
                for slug, name, summary in section.by_actor
            ],
            "mandates": section.mandates,
        },
        "paragraphs": [
            {
                "number": row.number,
                "summary": row.summary,
                "addressees": row.addressees,
                "mandates": [
                    {
                        "actor": m.actor_slug,
                        "addressee": m.actor,
                        "verb": m.verb,
                        "status": m.status,
                        "progress": m.progress,
                        "due_meeting": m.due_meeting or None,
                    }
                    for m in row.mandates
                ],
                "done_in_period": [
                    {
                        "recorded_on": a.recorded_on.isoformat(),
                        "addressee": a.actor,
                        "previous_status": a.previous_status,
                        "status": a.status,
                        "progress": a.progress,
                        "narrative": a.narrative,
                        "evidence": list(a.links),
                    }
                    for a in row.activity
                ],
                "evidence": row.evidence,
            }
            for row in section.rows
        ],
        "parties": None
        if parties is None
        else {
            "parties": parties.parties,
            "reported": parties.reported,
            "by_region": [
                {"region": r.region, "parties": r.parties, "reported": r.reported}
                for r in parties.regions
            ],
            "by_paragraph": [
                {"paragraph": line.paragraph, "verb": line.verb, "counts": line.counts}
                for line in parties.mandates
            ],
        },
    }


def _mandate_ref_json(m) -> dict[str, Any]:
    return {
        "resolution": m.resolution,
        "paragraph": m.paragraph,
        "addressee": m.actor,
        "verb": m.verb,
        "status": m.status,
        "progress": m.progress,
        "due_meeting": m.due_meeting or None,
        "status_since": m.changed_on.isoformat() if m.changed_on else None,
    }


def _history_json(h) -> dict[str, Any]:
    return {
        "recorded_on": h.recorded_on.isoformat(),
        "resolution": h.resolution,
        "paragraph": h.paragraph,
        "addressee": h.actor,
        "verb": h.verb,
        "previous_status": h.previous_status,
        "status": h.status,
        "progress": h.progress,
        "narrative": h.narrative,
        "evidence": list(h.links),
    }


def write_json(
    content: ReportContent,
    out: IO[bytes],
    *,
    sections: Iterable[Any] | None = None,
    history: _JsonItems | None = None,
) -> None:
    """The report's data as one JSON document, written piece by piece so that no more than
    one section is held at a time. Keys keep a fixed order: the bytes are reproducible.
    `sections` (by default `content.sections`) lets another writer share the pass, and
    `history` (by default read from `content.history`) gives the history's items once the
    pass has encoded them."""
    _check_every_update(content)
    report = content.report

    def write_list(key: str, items, convert: Callable[[Any], Any], first: bool = False):
        """A list of `items` (each through `convert`), or of those a `_JsonItems` holds."""
        out.write((b"" if first else b",\n") + _dump_json(key) + b":[")
        if isinstance(items, _JsonItems):
            items.write_to(out)
        else:
            for index, item in enumerate(items):
                out.write(_json_item(convert(item), index))
        out.write(b"]")

    header = {
        "meeting": content.meeting.code,
        "meeting_title": content.meeting.title,
        "document_symbol": report.document_symbol,
        "agenda_item": report.agenda_item or None,
        "version": report.version,
        "cut_off": report.cut_off.isoformat(),
        "period_start": report.period_start.isoformat() if report.period_start else None,
        "totals": {seg["status"]: seg["count"] for seg in content.totals.segments},
    }
    out.write(b"{" + _dump_json("report") + b":" + _dump_json(header))
    write_list("resolutions", content.sections if sections is None else sections, _json_section)
    write_list("overdue", content.overdue, _mandate_ref_json)
    retirement = content.retirement
    write_list("proposed_for_retirement", retirement or [], _mandate_ref_json)
    write_list("history", content.history if history is None else history, _history_json)
    write_list(
        "party_history",
        content.party_history,
        lambda h: {
            "recorded_on": h.recorded_on.isoformat(),
            "party": h.party,
            "resolution": h.resolution,
            "paragraph": h.paragraph,
            "verb": h.verb,
            "status": h.status,
            "narrative": h.narrative,
        },
    )
    out.write(b"}\n")


def report_files(
    report: ProgressReport, *, on_progress: Callable[[int], None] | None = None
) -> Iterator[tuple[str, IO[bytes]]]:
    """Render every file of `report`, one at a time: (format, readable file at 0).

    `on_progress(percent)` is told how far rendering has got (0-100)."""
    from reporting.word import render_docx

    def progress(start: int, end: int):
        if on_progress is None:
            return None
        return lambda done, total: on_progress(start + (end - start) * done // max(total, 1))

    # The HTML's sections are kept for the DOCX: the two documents say the same.
    documents = ReportContent(report, on_section=progress(0, 25), keep_sections=True)
    html = render_html(documents)
    yield ReportFormat.HTML, io.BytesIO(html.encode())
    # A long PDF is laid out by child processes while this one writes the other files.
    with PdfJob(html, running_header=report.document_symbol) as pdf_job:
        del html
        documents.on_section = progress(25, 45)
        yield ReportFormat.DOCX, io.BytesIO(render_docx(documents))
        del documents
        csv_out, json_out = _spooled(), _spooled()
        data = ReportContent(report, on_section=progress(45, 65), every_update=True)
        write_data_files(data, csv_out, json_out)
        for fmt, out in ((ReportFormat.CSV, csv_out), (ReportFormat.JSON, json_out)):
            out.seek(0)
            yield fmt, out
        pdf = pdf_job.result()
    if on_progress is not None:
        on_progress(100)
    yield ReportFormat.PDF, io.BytesIO(pdf)
