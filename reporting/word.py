"""The progress report as a Word document laid out like a UN meeting document: the
Convention's name and the document symbol, date and language on the first page, the
meeting, agenda item, title and summary box, then the tables, recommended actions and the
annex; the symbol at the top of every following page and page numbers at the bottom.

python-docx stamps the time of saving into the ZIP; the archive is rewritten with the
report's cut-off as every member's date, so the same version gives the same bytes.

The body is not held whole: after each part (the front matter, each resolution's section,
the closing parts, the annex) its XML is moved to a temporary file and spliced back into
`word/document.xml` when the archive is written. A COP report at `cms` scale otherwise
holds a tree of a quarter of a gigabyte, and python-docx finds the end of the body from
its start for every paragraph it adds.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from html import escape
from typing import IO

from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from reporting.content import ReportContent
from reporting.templatetags.reporting import date_range

FONT = "Arial"
HEADER_FILL = "DDE4EC"
FOOT_FILL = "F1F4F7"
AUTHOR = "UNEP/CMS Secretariat"


def _day(value: dt.date | None, fmt: str = "j F Y") -> str:
    return date_filter(value, fmt) if value else ""


def _shade(cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(row) -> None:
    """Repeat the row at the top of each page the table runs onto."""
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _bottom_border(paragraph: Paragraph) -> None:
    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    properties.append(borders)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE for the page number), computed by Word when shown."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


_W = nsdecls("w")
_BREAK = "<w:r><w:br/></w:r>"
_RIGHT = '<w:pPr><w:jc w:val="right"/></w:pPr>'
_RUN_SPECIALS = re.compile(r"(\t|\r|\n)")


def _run_xml(text: str) -> str:
    """`<w:r>` of `text` as python-docx's `Paragraph.add_run(text)` writes it: a tab or a
    line break becomes an element of its own, and a text with outer spaces keeps them."""
    if not text:
        return "<w:r/>"
    parts = []
    for piece in _RUN_SPECIALS.split(text):
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            parts.append("<w:br/>")
        elif piece:
            keep = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{keep}>{escape(piece, quote=False)}</w:t>")
    return f"<w:r>{''.join(parts)}</w:r>"


def _link(paragraph: Paragraph, url: str) -> None:
    """An external hyperlink (python-docx has no API for one)."""
    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "0B4F8A")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.extend([colour, underline])
    text = OxmlElement("w:t")
    text.text = url
    text.set(qn("xml:space"), "preserve")
    run.extend([properties, text])
    link.append(run)
    paragraph._p.append(link)


class _Writer:
    def __init__(self, content: ReportContent, body: IO[bytes]):
        self.content = content
        self.report = content.report
        self.meeting = content.meeting
        self.doc = Document()
        self._setup()
        #: The body's XML so far (see the module's docstring).
        self.body = body
        #: Namespace declarations of the document element, which every moved element
        #: would otherwise repeat.
        self.declared = [
            f' xmlns:{prefix}="{uri}"'.encode()
            for prefix, uri in self.doc.element.nsmap.items()
            if prefix
        ]

    # --- page and styles ----------------------------------------------------------------

    def _setup(self) -> None:
        doc = self.doc
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin, section.bottom_margin = Cm(2.2), Cm(2)
        normal = doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(10.5)
        normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
        for name, size in (("Title", 12), ("Heading 1", 11), ("Heading 2", 10.5)):
            style = doc.styles[name]
            style.font.name = FONT
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.color.rgb = RGBColor(0, 0, 0)
        # The first page carries the full heading; later pages the symbol at the top.
        section.different_first_page_header_footer = True
        header = section.header.paragraphs[0]
        header.text = self.report.document_symbol
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for footer in (section.footer, section.first_page_footer):
            number = footer.paragraphs[0]
            number.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _field(number, "PAGE")
        core = doc.core_properties
        cut_off = self.report.cut_off.astimezone(dt.UTC).replace(tzinfo=None)
        core.author = core.last_modified_by = AUTHOR
        core.title = f"{self.report.document_symbol}: Progress in implementing resolutions"
        core.subject = f"Progress report to the {self.meeting.title}"
        core.keywords = f"CMS; {self.meeting.code}; progress report"
        core.comments = f"Version {self.report.version}"
        core.created = core.modified = core.last_printed = cut_off
        core.revision = self.report.version

    def flush(self) -> None:
        """Move the body's elements so far, but its closing section properties, to
        `self.body` as XML."""
        body = self.doc.element.body
        closing = qn("w:sectPr")
        for element in list(body):
            if element.tag == closing:
                continue
            xml = etree.tostring(element, encoding="utf-8")
            end = xml.index(b">")
            start = xml[:end]
            for declaration in self.declared:
                start = start.replace(declaration, b"")
            self.body.write(start)
            self.body.write(xml[end:])
            element.clear()  # emptied first: lxml moves a removed subtree node by node
            body.remove(element)

    # --- building blocks ----------------------------------------------------------------

    def para(self, text: str = "", *, bold: bool = False, italic: bool = False, align=None):
        paragraph = self.doc.add_paragraph()
        if text:
            run = paragraph.add_run(text)
            run.bold, run.italic = bold, italic
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(text.upper() if level == 1 else text, level=level)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        caption: str = "",
        numeric: Sequence[int] = (),
        footer: Sequence[object] | None = None,
        links_column: int | None = None,
        widths: Sequence[float] | None = None,
    ) -> Table:
        if caption:
            self.para(caption, italic=True)
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        head = table.rows[0]
        _repeat_header(head)
        for cell, text in zip(head.cells, headers, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
            _shade(cell, HEADER_FILL)
        grid = [column.w for column in table._tbl.tblGrid.gridCol_lst]
        twips = [Cm(w).twips for w in widths] if widths else [w.twips for w in grid]
        if widths:
            for cell, width in zip(head.cells, widths, strict=True):
                cell.width = Cm(width)
        for values in rows:
            self._row(table, values, twips=twips, numeric=numeric, links_column=links_column)
        if footer is not None:
            cells = self._row(table, footer, twips=twips, numeric=numeric, links_column=None)
            for cell in cells:
                _shade(cell, FOOT_FILL)
                for run in cell.paragraphs[0].runs:
                    run.bold = True
        self.para()
        return table

    def _row(self, table: Table, values, *, twips: Sequence[int], numeric, links_column):
        """A row of plain cells, added as the XML python-docx would write for it (cells of
        the given widths, one paragraph each, a run per line with a break between lines,
        numbers right-aligned) but parsed in one go: the API builds it element by element,
        most of the time of a long report's document. Links are added through the API."""
        cells = []
        for index, (value, width) in enumerate(zip(values, twips, strict=True)):
            if index == links_column:
                runs = ""
            else:
                lines = value if isinstance(value, list) else [value]
                runs = _BREAK.join(_run_xml("" if line is None else str(line)) for line in lines)
            align = _RIGHT if index in numeric and index != links_column else ""
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
                f"<w:p>{align}{runs}</w:p></w:tc>"
            )
        row = parse_xml(f"<w:tr {_W}>{''.join(cells)}</w:tr>")
        table._tbl.append(row)
        added = [_Cell(tc, table) for tc in row.tc_lst]
        if links_column is not None:
            paragraph = added[links_column].paragraphs[0]
            for n, url in enumerate(values[links_column] or ()):
                if n:
                    paragraph.add_run().add_break(WD_BREAK.LINE)
                _link(paragraph, url)
        return added

    # --- the document -------------------------------------------------------------------

    def front(self) -> None:
        content, report, meeting = self.content, self.report, self.meeting
        top = self.doc.add_table(rows=1, cols=2)
        left, right = top.rows[0].cells
        left.paragraphs[0].add_run(
            "Convention on the Conservation of Migratory Species of Wild Animals".upper()
        ).bold = True
        ids = right.paragraphs[0]
        ids.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        ids.add_run(report.document_symbol).bold = True
        for line in (_day(content.document_date), "Original: English"):
            ids.add_run().add_break(WD_BREAK.LINE)
            ids.add_run(line)
        _bottom_border(self.para())

        when = ", ".join(
            part
            for part in (meeting.place, date_range(meeting.start_date, meeting.end_date))
            if part
        )
        lines = [meeting.title.upper(), when]
        if report.agenda_item:
            lines.append(f"Agenda Item {report.agenda_item}")
        block = self.para(align=WD_ALIGN_PARAGRAPH.CENTER)
        for n, line in enumerate(part for part in lines if part):
            if n:
                block.add_run().add_break(WD_BREAK.LINE)
            block.add_run(line).bold = True

        title = self.doc.add_paragraph(
            "Progress in implementing resolutions and decisions".upper(), style="Title"
        )
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.para("(Prepared by the Secretariat)", italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

        box = self.doc.add_table(rows=1, cols=1)
        box.style = "Table Grid"
        cell = box.rows[0].cells[0]
        cell.paragraphs[0].add_run("Summary:").bold = True
        cell.add_paragraph(self.summary_text())
        cell.add_paragraph(
            f"Version {report.version}, compiled with the status recorded up to "
            f"{_day(content.document_date)}, "
            f"{timezone.localtime(report.cut_off):%H:%M %Z}."
        )
        self.para()

    def summary_text(self) -> str:
        content = self.content
        n = len(content.resolutions)
        period = (
            f"for the period from {_day(content.period_start_date)}"
            if content.period_start_date
            else "from the beginning of the records"
        )
        counts = ", ".join(
            f"{seg['count']} {'was' if seg['count'] == 1 else 'were'} {str(seg['label']).lower()}"
            for seg in content.totals.segments
        )
        total = content.totals.total
        return (
            "This document reports progress in implementing the resolutions and decisions in "
            f"force ({n} text{'s' if n != 1 else ''}), paragraph by paragraph, {period} to "
            f"{_day(content.document_date)}. Of {total} tracked "
            f"mandate{'s' if total != 1 else ''}, {counts or 'none had a status'} at the cut-off."
        )

    def overview(self) -> None:
        totals = self.content.totals
        self.heading("Overview")
        segments = totals.segments
        self.table(
            [str(s["label"]) for s in segments] + ["Total"],
            [[s["count"] for s in segments] + [totals.total]],
            caption="Tracked mandates by status at the cut-off",
            numeric=range(len(segments) + 1),
        )

    def sections(self) -> None:
        for section in self.content.sections:
            self.flush()
            self.heading(f"{section.symbol}: {section.title}")
            if section.adopted_at:
                self.para(f"Adopted at the {section.adopted_at}.", italic=True)
            self.heading("Summary", level=2)
            columns = [label for _, label in section.status_columns]
            if section.mandates:
                self.table(
                    ["Addressee", *columns, "Total"],
                    ([actor, *cells, total] for actor, cells, total in section.actor_table),
                    caption="Mandates by addressee and status at the cut-off",
                    numeric=range(1, len(columns) + 2),
                    footer=["All addressees", *section.status_cells, section.mandates],
                )
            else:
                self.para("No paragraph of this text addresses a mandate to anyone.")
            self.heading("Implementation by paragraph", level=2)
            self.table(
                [
                    "¶",
                    "Mandate",
                    "Addressees",
                    "Status at the cut-off",
                    "Done in the period",
                    "Evidence",
                ],
                (
                    [
                        row.number,
                        row.summary,
                        "; ".join(row.addressees) or "None (declaratory)",
                        [
                            f"{m.actor}: {m.status_label}"
                            + (f" ({m.progress}%)" if m.progress is not None else "")
                            for m in row.mandates
                        ]
                        or ["Not tracked"],
                        [
                            f"{_day(a.recorded_on, 'j M Y')}, {a.actor}"
                            + (f" ({a.status_label.lower()})" if a.changed else "")
                            + (f": {a.narrative}" if a.narrative else "")
                            for a in row.reported
                        ]
                        + ([row.earlier_note] if row.earlier else [])
                        or (["Nothing reported"] if row.tracked else [""]),
                        row.evidence,
                    ]
                    for row in section.rows
                ),
                caption="Operative paragraphs, status at the cut-off and what was done in the "
                "period",
                links_column=5,
                widths=[1.2, 5.0, 2.6, 3.0, 3.6, 1.6],
            )
            parties = section.parties
            if parties is not None:
                self.heading("Parties", level=2)
                if not parties.parties:
                    self.para(
                        "No Party is recorded in the tracker yet: participation cannot be measured."
                    )
                    continue
                self.para(
                    f"{parties.reported} of {parties.parties} Parties ({parties.percent}%) had "
                    "reported their own implementation of the paragraphs addressed to Parties "
                    "at the cut-off."
                )
                self.table(
                    ["Region", "Parties", "Reported", "Share"],
                    ([r.label, r.parties, r.reported, f"{r.percent}%"] for r in parties.regions),
                    caption="Parties that reported, by region",
                    numeric=(1, 2, 3),
                )
                self.table(
                    [
                        "¶",
                        "Asks Parties",
                        "Implemented",
                        "In progress",
                        "Not started",
                        "Not applicable",
                        "Not reported",
                    ],
                    ([line.paragraph, line.verb_label, *line.cells] for line in parties.mandates),
                    caption="Parties by implementation status, per paragraph addressed to Parties",
                    numeric=range(2, 7),
                )

    def closing(self) -> None:
        content = self.content
        self.heading("Overdue mandates")
        overdue = content.overdue
        if overdue:
            self.table(
                ["Text", "¶", "Addressee", "Due", "Status at the cut-off"],
                (
                    [m.resolution, m.paragraph, m.actor, m.due_meeting, m.status_label]
                    for m in overdue
                ),
                caption="Mandates due at a past meeting and not completed",
            )
        else:
            self.para("No mandate due at a past meeting was outstanding at the cut-off.")
        retirement = content.retirement
        if retirement is not None:
            self.heading("Completed mandates proposed for retirement")
            if retirement:
                self.para(
                    "The following mandates were completed at the cut-off. The Conference may "
                    "wish to retire them when it revises the texts concerned."
                )
                self.table(
                    ["Text", "¶", "Addressee", "Completed on"],
                    (
                        [
                            m.resolution,
                            m.paragraph,
                            f"{m.actor} ({m.verb_label})",
                            _day(m.changed_on, "j M Y"),
                        ]
                        for m in retirement
                    ),
                    caption="Completed mandates",
                )
            else:
                self.para("No mandate was completed at the cut-off.")
        self.heading("Recommended actions")
        self.para(f"The {self.meeting.get_body_display()} is invited to:")
        actions = ["take note of this report;"]
        if content.is_cop:
            actions.append("consider retiring the completed mandates listed above;")
        actions.append(
            "encourage Parties and the other addressees to report their progress to the "
            "Secretariat."
        )
        for n, action in enumerate(actions):
            self.para(f"{'abcdefgh'[n]})\t{action}")

    def annex(self) -> None:
        content = self.content
        self.doc.add_section(WD_SECTION.NEW_PAGE)
        self.para(f"{self.report.document_symbol}/Annex", bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
        self.heading("Annex: History of the period")
        self.heading("Status updates", level=2)
        history = content.history
        if history and not content.history_listed:
            self.para(content.history_not_listed_note)
        elif history:
            self.table(
                ["Recorded", "Text", "¶", "Addressee", "Status", "Narrative", "Evidence"],
                (
                    [
                        h.recorded_on.isoformat(),
                        h.resolution,
                        h.paragraph,
                        h.actor,
                        f"{h.previous_status_label} → {h.status_label}"
                        + (f" ({h.progress}%)" if h.progress is not None else ""),
                        h.narrative,
                        list(h.links),
                    ]
                    for h in history
                ),
                caption="Every status update recorded in the period, by text and paragraph",
                links_column=6,
            )
        else:
            self.para("No status update was recorded in the period.")
        self.heading("Reports by Parties", level=2)
        party_history = content.party_history
        if party_history and not content.party_history_listed:
            self.para(content.party_history_not_listed_note)
        elif party_history:
            self.table(
                ["Recorded", "Party", "Text", "¶", "Status", "Narrative"],
                (
                    [
                        h.recorded_on.isoformat(),
                        h.party,
                        h.resolution,
                        h.paragraph,
                        h.status_label,
                        h.narrative,
                    ]
                    for h in party_history
                ),
                caption="Every Party status recorded in the period",
            )
        else:
            self.para("No Party reported in the period.")

    def render(self) -> bytes:
        self.front()
        self.heading("Introduction")
        self.para(
            f"1.\tThe {self.meeting.get_body_display()} tracks each operative paragraph of the "
            "resolutions and decisions in force as one mandate per addressee. This document "
            "gives, for each of them, the status recorded at the cut-off and what was reported "
            "during the period."
        )
        self.para(
            "2.\tStatuses are those recorded in the tracker at the cut-off; later updates are "
            "not counted. The annex lists every update recorded during the period."
        )
        self.overview()
        self.sections()
        self.flush()
        self.closing()
        self.flush()
        self.annex()
        self.flush()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        self.body.seek(0)
        return _fixed_zip(buffer.getvalue(), self.report.cut_off, body=self.body)


#: Where the moved body goes back: the start of the body of word/document.xml.
_BODY_START = b"<w:body>"


def _fixed_zip(data: bytes, moment: dt.datetime, *, body: IO[bytes] | None = None) -> bytes:
    """The same archive with every member dated `moment` (UTC), so that saving the same
    document twice gives the same bytes; with `body`, that XML put back at the start of
    the document's body."""
    stamp = moment.astimezone(dt.UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            xml = source.read(info.filename)
            if body is None or info.filename != "word/document.xml":
                target.writestr(member, xml)
                continue
            before, found, after = xml.partition(_BODY_START)
            if not found:
                raise ValueError("word/document.xml has no <w:body>.")
            with target.open(member, "w") as stream:
                stream.write(before + found)
                shutil.copyfileobj(body, stream, 1 << 20)
                stream.write(after)
    return out.getvalue()


def render_docx(content: ReportContent) -> bytes:
    with tempfile.TemporaryFile() as body:
        return _Writer(content, body).render()
