"""`make backup` / `make restore`: a round trip through pg_dump / pg_restore and a tar of
the uploaded files gives back the same rows and the same files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from audit.backups import MANIFEST, backup_create, media_checksums, table_fingerprints
from resolutions.models import Mandate
from resolutions.services import mandate_status_update
from tests.processes import manage

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _fingerprints(dbname: str) -> dict[str, list]:
    db = settings.DATABASES["default"]
    with (
        psycopg.connect(
            host=db["HOST"], port=db["PORT"] or None, user=db["USER"], dbname=dbname
        ) as conn,
        conn.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        result = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' "  # noqa: S608
                f"ORDER BY md5(t::text))), '') FROM \"{table}\" t"
            )
            result[table] = list(cursor.fetchone())
        return result


def test_backup_and_restore_round_trip(seed, secretariat_user, settings, tmp_path, scratch_db):
    settings.MEDIA_ROOT = tmp_path / "media"
    mandate = Mandate.objects.filter(actor__slug="secretariat").first()
    mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        narrative="Before the backup.",
        evidence_files=[
            SimpleUploadedFile("minutes.pdf", b"%PDF-1.7\nminutes", "application/pdf"),
            SimpleUploadedFile("notes.txt", b"Agreed.\n", "text/plain"),
        ],
        expected_version=0,
    )
    source_files = media_checksums(settings.MEDIA_ROOT)
    assert len(source_files) == 2

    target = backup_create(output=tmp_path / "backup")
    manifest = json.loads((target / MANIFEST).read_text())
    assert manifest["media"] == source_files
    assert manifest["tables"] == table_fingerprints()

    restored_media = tmp_path / "restored-media"
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{scratch_db}"
    call_command("restore", str(target), database_url=url, media_root=str(restored_media))

    restored = _fingerprints(scratch_db)
    assert restored == _fingerprints(connection.settings_dict["NAME"])
    assert restored["resolutions_statusupdate"][0] == 1
    assert restored["resolutions_mandate"][0] == Mandate.objects.count()
    assert media_checksums(restored_media) == source_files

    # A second restore over the restored database replaces it cleanly.
    call_command("restore", str(target), database_url=url, media_root=str(restored_media))
    assert _fingerprints(scratch_db) == restored


def test_restore_refuses_a_directory_that_is_not_a_backup(tmp_path):
    result = manage("restore", str(tmp_path))
    assert result.returncode != 0
    assert "is not a backup made by `make backup`" in result.stderr
    assert "Traceback" not in result.stderr


def test_make_restore_without_backup_says_how(tmp_path):
    result = subprocess.run(
        ["make", "--no-print-directory", "restore"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Usage: make restore BACKUP=var/backups/<time>" in result.stdout
