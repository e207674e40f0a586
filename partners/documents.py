"""The Party page and the matrix as files: PDF (WeasyPrint, from the same template as the
printable page), DOCX (python-docx) and XLSX (openpyxl)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone

from partners.selectors import Matrix, PartyPage
from reporting.renderers import render_pdf

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"

OBLIGATION_COLUMNS = [
    "Resolution",
    "Paragraph",
    "Verb",
    "Addressee",
    "Paragraph text",
    "Party status",
    "Party narrative",
    "As of",
    "Secretariat status",
]


def _title(page: PartyPage) -> str:
    return f"What CMS resolutions ask of {page.party.name}"


def _obligation_row(mandate) -> list[object]:
    return [
        f"{mandate.resolution.display_symbol} {mandate.resolution.title}",
        mandate.paragraph.label,
        mandate.verb_phrase or mandate.verb,
        mandate.actor.name,
        mandate.paragraph.text,
        mandate.party_status_label,
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
    document.add_paragraph(
        f"{page.party.name} ({page.party.iso2}), {page.party.get_region_display()}. "
        f"As of {timezone.localdate():%d %B %Y}."
    )
    for group in page.groups:
        document.add_heading(f"{group.resolution.display_symbol} {group.resolution.title}", level=2)
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells,
            ["Paragraph", "What is asked", f"{page.party.name}'s status", "Secretariat"],
            strict=True,
        ):
            cell.text = text
        for m in group.mandates:
            cells = table.add_row().cells
            cells[0].text = m.paragraph.label
            cells[1].text = f"{m.verb_phrase or m.verb} {m.actor.name}: {m.paragraph.text}"
            cells[2].text = m.party_status_label + (
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
    sheet.append(OBLIGATION_COLUMNS)
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
    sheet.title = "Parties x mandates"
    sheet.append(
        ["Party", "ISO", "Region"]
        + [
            f"{c.mandate.resolution.display_symbol} ¶{c.mandate.paragraph.label} {c.mandate.verb}"
            for c in matrix.columns
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for party, statuses in matrix.rows():
        sheet.append(
            [party.name, party.iso2, party.get_region_display()] + [label for _, label in statuses]
        )
    sheet.append([])
    sheet.append(["Implemented", "", ""] + [c.implemented for c in matrix.columns])
    sheet.append(["Reported", "", ""] + [c.reported for c in matrix.columns])
    sheet.append(["Not reported", "", ""] + [c.not_reported for c in matrix.columns])
    sheet.freeze_panes = "D2"
    return _workbook_bytes(workbook)
