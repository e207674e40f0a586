"""What `make run` does, in a separate process with nothing but the embedded default:
SQLite under VAR_DIR, tasks in-process. And what `make test` says when a service is down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.processes import manage

ROOT = Path(__file__).resolve().parent.parent


def _embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    env.update({"DEBUG": "true", "VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    return env


def _manage(env, *args):
    return manage(*args, base=env, timeout=600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_steps_work_twice_on_the_embedded_default(tmp_path):
    env = _embedded_env(tmp_path)
    for _ in range(2):
        for step in (
            ["migrate", "--noinput"],
            ["collectstatic", "--noinput"],
            ["compile_translations", "--force"],
            ["load_seed"],
            ["create_demo_accounts"],
        ):
            done = _manage(env, *step)
            assert done.returncode == 0, done.stderr
    assert (tmp_path / "db.sqlite3").exists()
    assert "Secretariat editor: secretariat / " in done.stdout

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = health = None
        for _ in range(60):
            try:
                health = urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ).read()
                body = (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                )
                break
            except OSError:
                time.sleep(0.5)
        assert health is not None, "runserver did not answer"
        assert b'"broker": "in-process"' in health
        assert "Synergies and Partnerships" in body
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/app.css", timeout=5)
        assert css.status == 200
        french = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"Accept-Language": "fr"}
        )
        # The Request is an http:// address on this machine, built just above.
        page = urllib.request.urlopen(french, timeout=5)  # noqa: S310
        assert "Résolutions en vigueur" in page.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_suite_stops_with_a_clear_message_when_postgresql_is_down(tmp_path):
    env = dict(os.environ, DATABASE_URL="postgres://postgres@127.0.0.1:1/cms_mandates")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    output = done.stdout + done.stderr
    assert "PostgreSQL at 127.0.0.1:1 cannot be reached" in output
    assert "Traceback" not in output


def test_suite_stops_with_a_clear_message_when_redis_is_down(tmp_path):
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:1/0")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    output = done.stdout + done.stderr
    assert "Redis at 127.0.0.1:1 cannot be reached" in output
    assert "Traceback" not in output
