"""The text of an uploaded resolution file: PDF (pypdf), Word .docx (python-docx) or plain
text. Pure Python, like `resolutions.parsing`, whose `ParseError` it raises for every
file it cannot read (empty, too large, binary, unreadable PDF, old .doc ...), with the
line number where there is one.

PDF pages are joined with a form feed, which the parser reads as a page break.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from resolutions.parsing import ParseError, roman_numeral

#: Default upper limit of a file's size in bytes (settings.IMPORT_MAX_BYTES overrides).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: File name endings the importer reads.
ACCEPTED_SUFFIXES = (".txt", ".text", ".md", ".pdf", ".docx")


def text_from_file(data: bytes, *, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a file's content `data`; `name` (the file name) helps tell the kind."""
    if not data:
        raise ParseError("the file is empty")
    if len(data) > max_bytes:
        raise ParseError(
            f"the file is too large: {_size(len(data))}; the limit is {_size(max_bytes)}"
        )
    lower = name.lower()
    if data.startswith(b"%PDF-"):
        return _pdf_text(data)
    if lower.endswith(".pdf"):
        raise ParseError("the file is named .pdf but is not a PDF (it does not start with %PDF)")
    if data.startswith(b"PK\x03\x04"):
        return _docx_text(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(
            "Word 97-2003 documents (.doc) cannot be read: save the file as .docx or PDF"
        )
    if lower.endswith(".docx"):
        raise ParseError("the file is named .docx but is not a Word document")
    return _plain_text(data)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n} bytes"


def _plain_text(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(
            "this is a binary file, not a text (a NUL byte)", line=data.count(b"\n", 0, nul) + 1
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Texts saved by older Windows programs; undefined bytes become U+FFFD, which the
        # parser counts as signs of a binary file.
        return data.decode("cp1252", errors="replace")


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("the PDF is protected by a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ParseError:
        raise
    except Exception as exc:
        # pypdf raises many kinds of errors on damaged files (its own, ValueError,
        # KeyError, struct errors ...): each means the same thing to the person uploading.
        raise ParseError(f"the PDF cannot be read ({exc.__class__.__name__}: {exc})") from None
    if not "".join(pages).strip():
        raise ParseError(
            "the PDF holds no text (a scanned image?): run it through text recognition "
            "or upload the Word file"
        )
    return "\f".join(pages)


def _docx_text(data: bytes) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise ParseError("the file is a ZIP archive, not a Word document")
        document = docx.Document(io.BytesIO(data))
        numbering = _Numbering(document)
        out: list[str] = []
        for block in _blocks(document, Paragraph, Table):
            text = block.text.replace("\t", " ")
            label = numbering.label(block)
            out.append(f"{label} {text}" if label and text.strip() else text)
    except ParseError:
        raise
    except Exception as exc:
        # A damaged or unusual package: python-docx and zipfile raise various errors.
        raise ParseError(
            f"the Word document cannot be read ({exc.__class__.__name__}: {exc})"
        ) from None
    # Each Word paragraph is a paragraph: a blank line between them.
    return "\n\n".join(out)


def _blocks(document: Any, paragraph_cls: Any, table_cls: Any) -> Iterator[Any]:
    """Paragraphs of the body in order, those inside tables included (cell by cell)."""
    from docx.oxml.ns import qn

    def walk(element: Any, parent: Any) -> Iterator[Any]:
        for child in element.iterchildren():
            if child.tag == qn("w:p"):
                yield paragraph_cls(child, parent)
            elif child.tag == qn("w:tbl"):
                seen: set[int] = set()
                for row in table_cls(child, parent).rows:
                    for cell in row.cells:
                        if id(cell._tc) in seen:  # merged cells repeat
                            continue
                        seen.add(id(cell._tc))
                        yield from walk(cell._tc, cell)

    yield from walk(document.element.body, document)


class _Numbering:
    """Word's automatic paragraph numbering ("1.", "(a)") is not in the paragraph text:
    it is worked out here from the numbering definitions, per list and level."""

    def __init__(self, document: Any) -> None:
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for node in _xpath(root, "./w:abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in _xpath(node, "./w:lvl"):
                ilvl = int(_attr(lvl, "w:ilvl") or 0)
                fmt = _first(lvl, "./w:numFmt/@w:val") or "decimal"
                text = _first(lvl, "./w:lvlText/@w:val") or f"%{ilvl + 1}."
                start = int(_first(lvl, "./w:start/@w:val") or 1)
                levels[ilvl] = (fmt, text, start)
            abstract[_attr(node, "w:abstractNumId") or ""] = levels
        for num in _xpath(root, "./w:num"):
            abstract_id = _first(num, "./w:abstractNumId/@w:val") or ""
            for ilvl, spec in abstract.get(abstract_id, {}).items():
                self.formats[(_attr(num, "w:numId") or "", ilvl)] = spec

    def label(self, paragraph: Any) -> str:
        num_id, ilvl = self._num_pr(paragraph)
        if num_id is None or num_id == "0":
            return ""
        fmt, text, start = self.formats.get((num_id, ilvl), ("decimal", f"%{ilvl + 1}.", 1))
        if fmt in ("bullet", "none"):
            return ""
        counters = self.counters.setdefault(num_id, [])
        while len(counters) <= ilvl:
            counters.append(0)
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        del counters[ilvl + 1 :]

        def value(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            n = counters[level] if level < len(counters) else 1
            level_fmt = self.formats.get((num_id, level), ("decimal", "", 1))[0]
            return _format_number(n, level_fmt)

        return re.sub(r"%(\d)", value, text)

    @staticmethod
    def _num_pr(paragraph: Any) -> tuple[str | None, int]:
        for element in (paragraph._p, getattr(paragraph.style, "element", None)):
            if element is None:
                continue
            num_id = _first(element, "./w:pPr/w:numPr/w:numId/@w:val")
            if num_id is not None:
                return num_id, int(_first(element, "./w:pPr/w:numPr/w:ilvl/@w:val") or 0)
        return None, 0


def _attr(element: Any, name: str) -> str | None:
    from docx.oxml.ns import qn

    return element.get(qn(name))


def _xpath(element: Any, path: str) -> list[Any]:
    # lxml's own xpath with the WordprocessingML namespace: python-docx's element
    # classes override xpath(), but not every element has such a class.
    from lxml import etree

    return etree._Element.xpath(element, path, namespaces=_W_NAMESPACE)


_W_NAMESPACE = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}


def _first(element: Any, path: str) -> str | None:
    found = _xpath(element, path)
    return str(found[0]) if found else None


def _format_number(n: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt in ("lowerRoman", "upperRoman"):
        roman = roman_numeral(n)
        return roman if fmt == "lowerRoman" else roman.upper()
    return str(n)


def _letters(n: int) -> str:
    # Word repeats the letter after z: aa, bb, ...
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
