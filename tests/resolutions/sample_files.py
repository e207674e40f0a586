"""Real PDF and Word files made from the test texts: a PDF rendered by WeasyPrint, with a
running page header and page numbers as printed documents have; a .docx written by
python-docx, one Word paragraph per paragraph of the text."""

from __future__ import annotations

import io
from html import escape

PAGE_CSS = """
@page {
  size: A4; margin: 2.5cm 2cm;
  @top-right { content: "%(header)s"; font-size: 9pt; }
  @bottom-center { content: counter(page); font-size: 9pt; }
}
body { font-family: "DejaVu Sans", sans-serif; font-size: 11pt; line-height: 1.4; }
.page-break { break-before: page; }
"""


def _blocks(text: str) -> list[list[str]]:
    return [
        [line.strip() for line in block.splitlines() if line.strip()]
        for block in text.split("\n\n")
        if block.strip()
    ]


def pdf_from_text(text: str, *, header: str, break_before: tuple[int, ...] = ()) -> bytes:
    """A PDF of `text`: each block a paragraph (short lines kept apart, as in a header
    block), a page break before the blocks numbered in `break_before`."""
    import weasyprint

    parts = []
    for index, lines in enumerate(_blocks(text)):
        short = all(len(line) < 40 for line in lines)
        body = "<br>".join(map(escape, lines)) if short else escape(" ".join(lines))
        css = ' class="page-break"' if index in break_before else ""
        parts.append(f"<p{css}>{body}</p>")
    html = (
        f"<html><head><style>{PAGE_CSS % {'header': header}}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
    return weasyprint.HTML(string=html).write_pdf()


def docx_from_text(text: str) -> bytes:
    import docx

    document = docx.Document()
    for lines in _blocks(text):
        document.add_paragraph(" ".join(lines))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
