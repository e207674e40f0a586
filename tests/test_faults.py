"""Faults, shown by really stopping and starting the services.

The shared PostgreSQL and Redis of the suite are never touched: these tests start their
own throwaway PostgreSQL cluster (initdb into a temporary directory) and Redis server on
free ports, the application under gunicorn (DEBUG off) and a Celery worker against them,
then stop and start the database and the broker under the running application.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
REDIS_SERVER = shutil.which("redis-server")
REDIS_ARGS = [REDIS_SERVER or "redis-server", "--bind", "127.0.0.1", "--save", ""]
REDIS_ARGS += ["--appendonly", "no", "--daemonize", "no"]
GUNICORN = [sys.executable, "-m", "gunicorn", "cms_mandates.wsgi", "-w", "1", "--threads", "4"]
WORKER = [sys.executable, "-m", "celery", "-A", "cms_mandates", "worker", "--pool", "solo"]
WORKER += ["--loglevel", "WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and the server refuse to run as root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _wait(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@dataclass
class Stack:
    app_url: str
    pg_data: Path
    pg_port: int
    pg_socket_dir: Path
    redis_port: int
    env: dict[str, str]
    redis: subprocess.Popen | None = None

    # --- the services ---------------------------------------------------------------

    def pg_ctl(self, action: str) -> None:
        options = f"-p {self.pg_port} -k {self.pg_socket_dir} -c listen_addresses=127.0.0.1"
        args = [str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), "-w", "-t", "30"]
        if action == "start":
            args += ["-o", options, "-l", str(self.pg_data / "server.log"), "start"]
        else:
            args += ["-m", "fast", "stop"]
        subprocess.run(_as_postgres(args), check=True, capture_output=True, timeout=60)

    def redis_start(self) -> None:
        self.redis = subprocess.Popen(
            [*REDIS_ARGS, "--port", str(self.redis_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(
            lambda: socket.create_connection(("127.0.0.1", self.redis_port), 0.5).close() or True,
            timeout=10,
            what="redis",
        )

    def redis_stop(self) -> None:
        assert self.redis is not None
        self.redis.terminate()
        self.redis.wait(timeout=10)
        self.redis = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    # --- HTTP -----------------------------------------------------------------------

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)

    def request(self, method: str, path: str, *, body: dict | None = None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - a local http URL
            self.app_url + path, data=data, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if PG_BIN is None or REDIS_SERVER is None:
        pytest.fail(
            "PostgreSQL server binaries and redis-server are needed (.ci/run installs them)"
        )
    base = Path(tempfile.mkdtemp(prefix="cms-faults-"))
    pg_data, pg_socket_dir = base / "pg", base / "sock"
    for directory in (pg_data, pg_socket_dir):
        directory.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        for directory in (pg_data, pg_socket_dir):
            shutil.chown(directory, "postgres")
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(pg_data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    pg_port, redis_port, app_port = _free_port(), _free_port(), _free_port()
    media = base / "media"
    media.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/postgres",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "faults-test-secret-key-faults-test-secret-key-0123456789",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "MEDIA_ROOT": str(media),
        "VAR_DIR": str(base / "var"),
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    stack = Stack(
        app_url=f"http://127.0.0.1:{app_port}",
        pg_data=pg_data,
        pg_port=pg_port,
        pg_socket_dir=pg_socket_dir,
        redis_port=redis_port,
        env=env,
    )
    processes: list[subprocess.Popen] = []
    try:
        stack.pg_ctl("start")
        stack.redis_start()
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput", "--verbosity", "0")
        stack.manage("load_seed")
        stack.manage("create_demo_accounts")
        env["API_TOKEN"] = stack.manage("create_api_token", "secretariat").strip().splitlines()[-1]
        processes.append(
            subprocess.Popen(
                [*GUNICORN, "-b", f"127.0.0.1:{app_port}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait(lambda: stack.get("/healthz")[0] == 200, timeout=30, what="the application")
        yield stack
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
        if stack.redis is not None:
            stack.redis_stop()
        with contextlib.suppress(Exception):
            stack.pg_ctl("stop")
        shutil.rmtree(base, ignore_errors=True)


def _api(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Token {stack.env['API_TOKEN']}", "Content-Type": "application/json"}


def test_database_down_is_503_with_a_plain_message_and_service_resumes_by_itself(stack):
    assert stack.get("/")[0] == 200
    assert stack.get("/api/v1/mandates/")[0] == 200

    stack.pg_ctl("stop")
    try:
        status, headers, body = stack.get("/")
        assert status == 503
        assert headers["Content-Type"].startswith("text/plain")
        assert "temporarily unavailable" in body and "Traceback" not in body
        assert "Content-Security-Policy" in headers

        status, headers, body = stack.get("/api/v1/mandates/")
        assert status == 503
        assert headers["Content-Type"] == "application/problem+json"
        problem = json.loads(body)
        assert problem["status"] == 503 and "database" in problem["detail"]

        status, headers, body = stack.request(
            "POST",
            "/api/v1/mandates/1/status-updates/",
            body={"status": "delayed"},
            headers=_api(stack),
        )
        assert status == 503 and "Traceback" not in body

        status, _, body = stack.get("/healthz")
        health = json.loads(body)
        assert status == 503
        assert health["database"].startswith("down") and health["broker"] == "ok"
    finally:
        stack.pg_ctl("start")

    # Back without restarting the application.
    _wait(lambda: stack.get("/")[0] == 200, timeout=20, what="pages after the database is back")
    assert stack.get("/api/v1/mandates/")[0] == 200
    assert json.loads(stack.get("/healthz")[2]) == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
    }


def test_broker_down_status_updates_are_saved_and_reports_are_sent_once_it_is_back(stack):
    worker = subprocess.Popen(
        WORKER,
        cwd=ROOT,
        env=stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _, _, body = stack.get("/api/v1/mandates/?actor=secretariat")
        mandate = json.loads(body)["results"][0]
        _, headers, _ = stack.get(f"/api/v1/mandates/{mandate['id']}/")
        etag = headers["ETag"]
        # Someone follows the mandate: the change below must reach them.
        stack.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "from notifications.models import Follow; "
            "u = get_user_model().objects.create_user('watcher', 'watcher@example.org'); "
            f"Follow.objects.create(user=u, mandate_id={mandate['id']})",
        )

        stack.redis_stop()
        try:
            status, _, body = stack.request(
                "POST",
                f"/api/v1/mandates/{mandate['id']}/status-updates/",
                body={"status": "delayed", "narrative": "Saved while the broker is down."},
                headers={**_api(stack), "If-Match": etag},
            )
            assert status == 201, body
            status, _, body = stack.get("/healthz")
            health = json.loads(body)
            assert status == 503
            assert health["broker"].startswith("down") and health["database"] == "ok"

            status, _, body = stack.request(
                "POST", "/api/v1/reports/", body={"meeting": "COP15"}, headers=_api(stack)
            )
            assert status == 202, body
            report = json.loads(body)
            assert report["state"] == "pending"
        finally:
            stack.redis_start()

        # The update was saved; the report request was not lost: beat's sweep (run here
        # at once rather than waiting for its minute) re-queues it, the worker compiles it.
        _, _, body = stack.get(f"/api/v1/mandates/{mandate['id']}/")
        assert json.loads(body)["status"] == "delayed"
        stack.manage(
            "shell", "-c", "from reporting.tasks import sweep_reports; sweep_reports.delay()"
        )

        def done() -> bool:
            state = json.loads(stack.get(f"/api/v1/reports/{report['id']}/", _api(stack))[2])
            assert state["state"] != "failed", state
            return state["state"] == "done"

        _wait(done, timeout=120, what="the report to be compiled after the broker came back")

        # The notification the update triggered was kept in the database while the broker
        # was down; beat's notification sweep sends it now.
        count = (
            "from notifications.models import Notification; "
            "print(Notification.objects.filter(user__username='watcher').count())"
        )
        # (The last line: Django's shell may first say what it imported.)
        assert stack.manage("shell", "-c", count).split()[-1] == "0"
        stack.manage(
            "shell", "-c", "from notifications.tasks import sweep_pending; sweep_pending.delay()"
        )
        _wait(
            lambda: stack.manage("shell", "-c", count).split()[-1] == "1",
            timeout=60,
            what="the notification to be sent after the broker came back",
        )
        assert json.loads(stack.get("/healthz")[2])["broker"] == "ok"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
