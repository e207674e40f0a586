"""Checks on uploaded evidence files: size, and type by content, not by name alone.

An upload is accepted only when its extension is on the list and its first bytes are
what that format starts with, so an HTML page renamed to .pdf is refused. Files are
always served as attachments (see the download view), never inline.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class EvidenceType:
    content_type: str
    magic: tuple[bytes, ...] = ()
    zip_member: str = ""  # for Office Open XML: a member every such file has
    text: bool = False  # plain text: must decode as UTF-8 and hold no NUL byte


EVIDENCE_TYPES: dict[str, EvidenceType] = {
    ".pdf": EvidenceType("application/pdf", magic=(b"%PDF-",)),
    ".png": EvidenceType("image/png", magic=(b"\x89PNG\r\n\x1a\n",)),
    ".jpg": EvidenceType("image/jpeg", magic=(b"\xff\xd8\xff",)),
    ".jpeg": EvidenceType("image/jpeg", magic=(b"\xff\xd8\xff",)),
    ".docx": EvidenceType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        zip_member="word/document.xml",
    ),
    ".xlsx": EvidenceType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        zip_member="xl/workbook.xml",
    ),
    ".pptx": EvidenceType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        zip_member="ppt/presentation.xml",
    ),
    ".odt": EvidenceType("application/vnd.oasis.opendocument.text", zip_member="content.xml"),
    ".csv": EvidenceType("text/csv", text=True),
    ".txt": EvidenceType("text/plain", text=True),
}


def max_evidence_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_extensions() -> list[str]:
    return sorted(EVIDENCE_TYPES)


def _head(f: IO[bytes], n: int = 4096) -> bytes:
    f.seek(0)
    head = f.read(n)
    f.seek(0)
    return head


def _not_valid(name: str, ext: str) -> str:
    return gettext("%(name)s is not a valid %(ext)s file.") % {"name": name, "ext": ext}


def evidence_file_check(f: IO[bytes], *, name: str, size: int) -> str:
    """Return the content type to store for an acceptable file; raise ValidationError
    naming the problem otherwise."""
    limit = max_evidence_bytes()
    if size > limit:
        raise ValidationError(
            gettext("%(name)s is %(size)s; the limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(gettext("%(name)s is empty.") % {"name": name}, code="empty")
    ext = PurePath(name).suffix.lower()
    kind = EVIDENCE_TYPES.get(ext)
    if kind is None:
        raise ValidationError(
            gettext("%(name)s: files of this type are not accepted. Allowed: %(allowed)s.")
            % {"name": name, "allowed": ", ".join(allowed_extensions())},
            code="type",
        )
    head = _head(f)
    if kind.magic and not head.startswith(kind.magic):
        raise ValidationError(_not_valid(name, ext), code="content")
    if kind.zip_member:
        try:
            f.seek(0)
            with zipfile.ZipFile(f) as archive:
                ok = kind.zip_member in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
        finally:
            f.seek(0)
        if not ok:
            raise ValidationError(_not_valid(name, ext), code="content")
    if kind.text:
        if b"\x00" in head or head.lstrip().lower().startswith((b"<!doctype", b"<html")):
            raise ValidationError(
                gettext("%(name)s is not a plain text file.") % {"name": name}, code="content"
            )
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start < len(head) - 4:
                raise ValidationError(
                    gettext("%(name)s is not UTF-8 text.") % {"name": name}, code="content"
                ) from None
    return kind.content_type


def evidence_files_check(uploads: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Each upload with the content type to store, or a ValidationError keyed
    `evidence_files` (the services' field name) naming the first file refused."""
    checked = []
    for upload in uploads:
        try:
            content_type = evidence_file_check(upload, name=upload.name, size=upload.size)
        except ValidationError as exc:
            raise ValidationError({"evidence_files": exc.messages}) from None
        checked.append((upload, content_type))
    return checked


def evidence_files_store(
    model: type[Model], checked: Sequence[tuple[UploadedFile, str]], **owner: Model
) -> None:
    """Save checked uploads as `model` rows (an EvidenceFileBase) of `owner`, e.g.
    `status_update=update`. Runs inside the caller's transaction."""
    for upload, content_type in checked:
        model.objects.create(
            file=upload,
            original_name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
            **owner,
        )


def evidence_response(evidence) -> FileResponse:
    """An evidence file, always as a download: the stored type (from the allow-list,
    checked by content at upload), never sniffed, never rendered inline."""
    content_type = evidence.content_type
    if content_type not in {kind.content_type for kind in EVIDENCE_TYPES.values()}:
        content_type = "application/octet-stream"
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
