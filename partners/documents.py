"""The Party page and the matrix as files: PDF (WeasyPrint, from the same template as the
printable page), DOCX (python-docx) and XLSX (openpyxl)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partners.selectors import Matrix, PartyPage
from reporting.renderers import render_pdf

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"

OBLIGATION_COLUMNS = [
    _("Resolution"),
    _("Paragraph"),
    _("Verb"),
    _("Addressee"),
    _("Paragraph text"),
    _("Party status"),
    _("Party narrative"),
    _("As of"),
    _("Secretariat status"),
]


def _title(page: PartyPage) -> str:
    return gettext("What CMS resolutions ask of %(party)s") % {"party": page.party.name}


def _obligation_row(mandate) -> list[object]:
    return [
        f"{mandate.resolution.display_symbol} {mandate.resolution.title}",
        mandate.paragraph.label,
        mandate.verb_phrase or mandate.verb,
        mandate.actor.name,
        mandate.paragraph.text,
        str(mandate.party_status_label),
        mandate.party_narrative or "",
        mandate.party_as_of.isoformat() if mandate.party_as_of else "",
        mandate.get_status_display(),
    ]


def party_pdf(page: PartyPage) -> bytes:
    html = render_to_string(
        "partners/party_document.html",
        {"page": page, "title": _title(page), "today": timezone.localdate()},
    )
    return render_pdf(html)


def party_docx(page: PartyPage) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(_title(page), level=1)
    as_of = gettext("As of %(date)s.") % {"date": date_format(timezone.localdate(), "d F Y")}
    document.add_paragraph(
        f"{page.party.name} ({page.party.iso2}), {page.party.get_region_display()}. {as_of}"
    )
    for group in page.groups:
        document.add_heading(f"{group.resolution.display_symbol} {group.resolution.title}", level=2)
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells,
            [
                gettext("Paragraph"),
                gettext("What is asked"),
                gettext("%(party)s's status") % {"party": page.party.name},
                gettext("Secretariat"),
            ],
            strict=True,
        ):
            cell.text = text
        for m in group.mandates:
            cells = table.add_row().cells
            cells[0].text = m.paragraph.label
            cells[1].text = f"{m.verb_phrase or m.verb} {m.actor.name}: {m.paragraph.text}"
            cells[2].text = str(m.party_status_label) + (
                f"\n{m.party_narrative}" if m.party_narrative else ""
            )
            cells[3].text = m.get_status_display()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _workbook_bytes(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def party_xlsx(page: PartyPage) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = page.party.iso2
    sheet.append([str(column) for column in OBLIGATION_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for mandate in page.mandates:
        sheet.append(_obligation_row(mandate))
    sheet.freeze_panes = "A2"
    return _workbook_bytes(workbook)


def matrix_xlsx(matrix: Matrix) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Parties x mandates")
    sheet.append(
        [gettext("Party"), "ISO", gettext("Region")]
        + [
            f"{c.mandate.resolution.display_symbol} ¶{c.mandate.paragraph.label} {c.mandate.verb}"
            for c in matrix.columns
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for party, statuses in matrix.rows():
        sheet.append(
            [party.name, party.iso2, party.get_region_display()]
            + [str(label) for _status, label in statuses]
        )
    sheet.append([])
    sheet.append([gettext("Implemented"), "", ""] + [c.implemented for c in matrix.columns])
    sheet.append([gettext("Reported"), "", ""] + [c.reported for c in matrix.columns])
    sheet.append([gettext("Not reported"), "", ""] + [c.not_reported for c in matrix.columns])
    sheet.freeze_panes = "D2"
    return _workbook_bytes(workbook)
