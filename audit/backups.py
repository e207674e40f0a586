"""Backups: the database (pg_dump custom format, or a copy of the SQLite file) and the
uploaded files (a tar of MEDIA_ROOT), side by side in one directory with a manifest of
row counts and file checksums. `make backup` and `make restore` call these."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404: runs pg_dump / pg_restore with argument lists
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections

DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def db_from_url(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "HOST": parts.hostname or "",
        "PORT": parts.port or "",
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
    }


def media_checksums(root: Path) -> dict[str, str]:
    sums = {}
    if root.exists():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            sums[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def table_fingerprints(alias: str = "default") -> dict[str, list]:
    """Row count and an order-independent checksum of every table of the database."""
    connection = connections[alias]
    result = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                digest = "coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '')"
                # Table names come from the database's own catalogue, quoted.
                sql = f"SELECT count(*), {digest} FROM {quoted} t"  # noqa: S608  # nosec
                cursor.execute(sql)
                result[table] = list(cursor.fetchone())
            else:
                sql = f"SELECT count(*) FROM {quoted}"  # noqa: S608  # nosec
                cursor.execute(sql)
                result[table] = [cursor.fetchone()[0], ""]
    return result


def backup_create(*, output: Path | None = None) -> Path:
    db = settings.DATABASES["default"]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = output or Path(settings.VAR_DIR) / "backups" / stamp
    target.mkdir(parents=True, exist_ok=False)
    if db["ENGINE"] == "django.db.backends.postgresql":
        args, env = _pg_env(db)
        command = ["pg_dump", "-Fc", "--no-owner", *args, "-f", str(target / DUMP), db["NAME"]]
        # A fixed program with an argument list (no shell).
        subprocess.run(  # noqa: S603  # nosec
            command,
            env=env,
            check=True,
            capture_output=True,
        )
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        with sqlite3.connect(db["NAME"]) as source, sqlite3.connect(target / SQLITE_COPY) as copy:
            source.backup(copy)
    else:
        raise CommandError(f"Backups support PostgreSQL and SQLite, not {db['ENGINE']}.")
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(target / MEDIA, "w:gz") as archive:
        if media_root.exists():
            archive.add(media_root, arcname=".")
    manifest = {
        "created_at": stamp,
        "engine": db["ENGINE"],
        "tables": table_fingerprints(),
        "media": media_checksums(media_root),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return target


def backup_restore(*, source: Path, database_url: str = "", media_root: Path | None = None) -> None:
    """Restore a backup over the database (DATABASE_URL, or `database_url`) and MEDIA_ROOT
    (or `media_root`). Objects of the backup replace what is there (pg_restore --clean)."""
    if not (source / MANIFEST).exists():
        raise CommandError(f"{source} is not a backup made by `make backup` (no {MANIFEST}).")
    db = db_from_url(database_url) if database_url else settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        if not (source / DUMP).exists():
            raise CommandError(f"{source} holds no PostgreSQL dump ({DUMP}).")
        args, env = _pg_env(db)
        command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        command += [*args, "-d", db["NAME"], str(source / DUMP)]
        result = subprocess.run(  # noqa: S603  # nosec
            command,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()[:2000]}")
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        if not (source / SQLITE_COPY).exists():
            raise CommandError(f"{source} holds no SQLite copy ({SQLITE_COPY}).")
        connections["default"].close()
        shutil.copyfile(source / SQLITE_COPY, db["NAME"])
    else:
        raise CommandError(f"Restores support PostgreSQL and SQLite, not {db['ENGINE']}.")
    root = Path(media_root or settings.MEDIA_ROOT)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    with tarfile.open(source / MEDIA, "r:gz") as archive:
        archive.extractall(root, filter="data")
