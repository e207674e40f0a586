"""The benchmark's databases: created on the same server when they do not exist yet."""

from __future__ import annotations


def ensure_database(url: str) -> None:
    """Create the database that `url` names (connecting to the server's `postgres`
    database to do so) unless it is there already."""
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    name = name.split("?", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
