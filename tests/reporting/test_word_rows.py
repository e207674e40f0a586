"""The Word document's table rows are written as XML in one go: the same XML as
python-docx's API writes cell by cell, whatever the text holds."""

from __future__ import annotations

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm
from lxml import etree

from reporting import word

VALUES = [
    "12.3",
    "  outer spaces kept ",
    "a\ttab, a\nline break and a\r\nWindows one",
    "<tags> & ampersands, \"quotes\" and 'apostrophes' \u00a0and a non-breaking space",
    None,
    "",
    ["first line", "", "third line", None],
    42,
]
LINKS = ["https://www.cms.int/en/document/example", "https://example.org/?a=1&b=2"]


def _api_row(table, values, *, numeric, links_column, widths):
    """A row as python-docx's API adds one."""
    cells = table.add_row().cells
    for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
        paragraph = cell.paragraphs[0]
        if index == links_column:
            for n, url in enumerate(value or ()):
                if n:
                    paragraph.add_run().add_break(WD_BREAK.LINE)
                word._link(paragraph, url)
            continue
        lines = value if isinstance(value, list) else [value]
        for n, line in enumerate(lines):
            if n:
                paragraph.add_run().add_break(WD_BREAK.LINE)
            paragraph.add_run("" if line is None else str(line))
        if index in numeric:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for cell, width in zip(cells, widths, strict=True):
        cell.width = Cm(width)


def _xml(element) -> bytes:
    return etree.tostring(element)


def test_a_row_is_the_xml_the_api_would_write():
    widths = [1.0, 2.0, 3.0, 2.5, 1.5, 1.0, 3.0, 1.2, 2.2]
    values = [*VALUES, LINKS]
    numeric = (0, 7, 8)  # the links column is never aligned
    by_api = Document().add_table(rows=0, cols=len(values))
    _api_row(by_api, values, numeric=numeric, links_column=8, widths=widths)

    document = Document()
    writer = word._Writer.__new__(word._Writer)
    fast = document.add_table(rows=0, cols=len(values))
    twips = [Cm(w).twips for w in widths]
    cells = writer._row(fast, values, twips=twips, numeric=numeric, links_column=8)

    assert len(cells) == len(values)
    (api_row,) = by_api._tbl.tr_lst
    (fast_row,) = fast._tbl.tr_lst
    # Both documents are new: their links get the same relationship ids.
    api_xml, fast_xml = _xml(api_row), _xml(fast_row)
    assert api_xml.count(b"<w:hyperlink") == fast_xml.count(b"<w:hyperlink") == 2
    assert fast_xml == api_xml
    assert cells[1].text == "  outer spaces kept "
    assert cells[3].text.startswith("<tags> & ampersands")
