"""Reading real files: PDF (pypdf) and Word (python-docx), and files that cannot be read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from resolutions.documents import text_from_file
from resolutions.parsing import ParseError, parse_resolution
from tests.resolutions.sample_files import docx_from_text, pdf_from_text

ROOT = Path(__file__).resolve().parent.parent.parent
TEXTS = ROOT / "tests" / "data" / "importer"
ACTORS = {
    a["slug"]: [a["name"], *a["aliases"]]
    for a in json.loads((ROOT / "resolutions" / "data" / "actors.json").read_text())
}


def without_lines(value):
    """A reading without line numbers, which differ between a file and its text."""
    if isinstance(value, dict):
        return {k: without_lines(v) for k, v in value.items() if k != "line"}
    if isinstance(value, list):
        return [without_lines(v) for v in value]
    return value


def expected(name: str) -> dict:
    return json.loads((TEXTS / f"{name}.expected.json").read_text())


def test_a_pdf_reads_like_its_text():
    """Printed with a running header and page numbers over three pages, the resolution
    reads as its text does."""
    pdf = pdf_from_text(
        (TEXTS / "header-block.txt").read_text(),
        header="UNEP/CMS/Resolution 14.15",
        break_before=(7, 11),
    )
    text = text_from_file(pdf, name="bats.pdf")
    assert text.count("\f") == 2  # three pages
    reading = parse_resolution(text, actors=ACTORS)
    want = expected("header-block")
    for key in ("title", "symbol", "kind", "adopted_at", "enacting_formula", "annexes"):
        assert reading[key] == want[key], key
    assert reading["preamble"] == want["preamble"]
    assert without_lines(reading["operative"]) == without_lines(want["operative"])
    assert any("removed as a page header" in w["message"] for w in reading["warnings"])


def test_a_word_document_reads_like_its_text():
    docx = docx_from_text((TEXTS / "decisions.txt").read_text())
    reading = parse_resolution(
        text_from_file(docx, name="dolphins.docx"), actors=ACTORS, adopted_at="COP14"
    )
    want = expected("decisions")
    assert without_lines(reading) == without_lines(want)


def test_word_automatic_numbering_is_read():
    import docx

    document = docx.Document()
    document.add_paragraph("WIND ENERGY")
    document.add_paragraph("Noting the growth of wind energy,")
    document.add_paragraph("Requests the Secretariat to compile guidance;", style="List Number")
    document.add_paragraph("Urges Parties to apply it;", style="List Number")
    out = io.BytesIO()
    document.save(out)
    reading = parse_resolution(text_from_file(out.getvalue(), name="x.docx"), actors=ACTORS)
    assert [(p["number"], p["directives"][0]["actors"]) for p in reading["operative"]] == [
        ("1", ["secretariat"]),
        ("2", ["parties"]),
    ]


def test_old_windows_text_is_decoded():
    data = "TITLE\n\nNoting the Parties\u2019 reports,\n\n1. Urges Parties to act;\n".encode(
        "cp1252"
    )
    assert "Parties\u2019 reports" in text_from_file(data, name="old.txt")


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(
        clone_from=PdfReader(io.BytesIO(pdf_from_text("A\n\n1. Urges Parties;", header="")))
    )
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.pdf", lambda: b"", "the file is empty"),
        ("broken.pdf", lambda: b"%PDF-1.7\n1 0 obj <<\nnonsense", "the PDF cannot be read"),
        ("scan.pdf", lambda: _image_only_pdf(), "holds no text"),
        ("locked.pdf", _encrypted_pdf, "protected by a password"),
        ("fake.pdf", lambda: b"Requests the Secretariat", "not a PDF"),
        ("old.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "Word 97-2003"),
        ("archive.docx", lambda: _zip(), "not a Word document"),
        ("photo.jpg", lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "binary file"),
    ],
)
def test_files_that_cannot_be_read(name, make, message):
    with pytest.raises(ParseError, match=message):
        text_from_file(make(), name=name)


def _image_only_pdf() -> bytes:
    """What a scanner makes: pictures of pages, no text."""
    import weasyprint

    svg = '<svg width="400" height="600"><rect width="400" height="600" fill="#ccc"/></svg>'
    return weasyprint.HTML(string=f"<html><body>{svg}</body></html>").write_pdf()


def _zip() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


def test_a_file_over_the_limit_is_not_read():
    with pytest.raises(ParseError, match="too large: 2 kB; the limit is 1000 bytes"):
        text_from_file(b"x" * 2048, name="big.txt", max_bytes=1000)
