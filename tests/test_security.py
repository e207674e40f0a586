"""Deployment settings, response headers, sign-in throttling, CSRF and uploads."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.templatetags.static import static
from django.test import Client
from django.urls import path, reverse

from resolutions.evidence import evidence_file_check
from tests import processes

ROOT = Path(__file__).resolve().parent.parent

#: Environment of a production process: no overrides of the HTTPS defaults.
PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "mandates.example.org",
    "DJANGO_SETTINGS_MODULE": "cms_mandates.settings",
}


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_in_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=PRODUCTION_ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_only_makemigrations_runs_without_a_secret_when_debug_is_off(tmp_path):
    """A bare checkout can check its migrations (`makemigrations --check` signs nothing);
    anything else without SECRET_KEY and with DEBUG off stops with a clear message."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    env["VAR_DIR"] = str(tmp_path)

    def manage(*args: str) -> subprocess.CompletedProcess:
        return processes.manage(*args, base=env)

    migrations = manage("makemigrations", "--check", "--dry-run")
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    assert "No changes detected" in migrations.stdout
    for args in (("check",), ("migrate", "--noinput")):
        refused = manage(*args)
        assert refused.returncode != 0
        assert "SECRET_KEY must be set when DEBUG is off." in refused.stderr


SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "s.SECURE_HSTS_SECONDS > 0)"
)


def test_https_is_on_by_default_in_production_and_can_be_turned_off_for_plain_http():
    assert _python(SHOW, PRODUCTION_ENV).stdout.split() == ["True"] * 4
    plain = {
        **PRODUCTION_ENV,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
    }
    assert _python(SHOW, plain).stdout.split() == ["False", "False", "False", "True"]
    development = {**PRODUCTION_ENV, "DEBUG": "true"}
    assert _python(SHOW, development).stdout.split() == ["False"] * 4


def _assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("/", 200),
        ("/mandates/", 200),
        ("/api/v1/mandates/", 200),
        ("/api/v1/schema/", 200),
        ("/healthz", 200),
        ("/no-such-page/", 404),
        ("/api/v1/no-such-resource/", 404),
        ("/accounts/login/", 200),
    ],
)
def test_security_headers_on_pages_api_and_errors(client, seed, address, status):
    response = client.get(address)
    assert response.status_code == status
    _assert_security_headers(response)


def test_security_headers_on_static_files(client, db):
    response = client.get(static("css/app.css"))
    assert response.status_code == 200
    _assert_security_headers(response)


def _crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("crash/", _crash)]


@pytest.mark.urls(__name__)
def test_security_headers_on_a_server_error(client, db):
    client.raise_request_exception = False
    response = client.get("/crash/")
    assert response.status_code == 500
    assert b"Traceback" not in response.content
    _assert_security_headers(response)


def test_api_docs_run_without_inline_script(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> in the docs"
    assert "script-src 'self';" in response["Content-Security-Policy"]
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200


#: Report documents are downloads rendered offline (PDF, Word), never served as pages.
OFFLINE_TEMPLATES = ("reporting/document/", "partners/party_document.html")


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        relative = template.relative_to(ROOT / "templates").as_posix()
        if relative.startswith(OFFLINE_TEMPLATES):
            continue
        # Template comments may name what they avoid.
        text = re.sub(r"\{#.*?#\}", "", template.read_text())
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{relative}: inline <script>")
        if re.search(r"<style\b|\sstyle=|\son[a-z]+=", text):
            offenders.append(f"{relative}: inline style or event handler")
    assert not offenders, offenders


@pytest.mark.parametrize("address", ["/", "/mandates/"])
def test_htmx_does_not_inject_its_indicator_style(client, db, address):
    html = client.get(address).content.decode()
    configs = re.findall(r'<meta name="htmx-config" content=\'([^\']*)\'>', html)
    assert len(configs) == 1
    assert json.loads(configs[0])["includeIndicatorStyles"] is False


def test_every_post_form_carries_a_csrf_token():
    missing = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.S | re.I):
            if re.search(r'method="post"', form, flags=re.I) and "csrf_token" not in form:
                missing.append(template.relative_to(ROOT).as_posix())
    assert not missing, missing


def test_a_form_post_without_csrf_token_is_refused(seed, secretariat_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(secretariat_user)
    response = browser.post(reverse("reporting:meeting-create"), {"body": "COP", "number": "16"})
    assert response.status_code == 403


def test_an_api_write_with_a_session_but_without_csrf_token_is_refused(seed, secretariat_user):
    from resolutions.models import Mandate

    mandate = Mandate.objects.first()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(secretariat_user)
    response = browser.post(
        f"/api/v1/mandates/{mandate.pk}/status-updates/",
        {"status": "in_progress"},
        content_type="application/json",
    )
    assert response.status_code == 403


# --- Sign-in throttling (django-axes) ------------------------------------------------------


def test_repeated_failed_sign_ins_lock_the_account_out(client, secretariat_user, settings):
    secretariat_user.set_password("right-password-123")
    secretariat_user.save()
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": secretariat_user.username, "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    locked = client.post(url, {"username": secretariat_user.username, "password": "wrong"})
    assert locked.status_code == 429
    assert "Sign-in temporarily locked" in locked.content.decode()
    # Even the right password is refused while locked, with the message, never a 500.
    again = client.post(
        url, {"username": secretariat_user.username, "password": "right-password-123"}
    )
    assert again.status_code == 429
    assert "Too many failed sign-in attempts" in again.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_lock_that_address_out_for_other_accounts(client, db, settings):
    from tests.factories import UserFactory

    victim = UserFactory(username="someone")
    victim.set_password("right-password-123")
    victim.save()
    url = reverse("login")
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": f"guess{i}", "password": "wrong"})
    response = client.post(url, {"username": "someone", "password": "right-password-123"})
    assert response.status_code == 429


def test_a_successful_sign_in_below_the_limit_works(client, secretariat_user):
    secretariat_user.set_password("right-password-123")
    secretariat_user.save()
    url = reverse("login")
    client.post(url, {"username": secretariat_user.username, "password": "wrong"})
    response = client.post(
        url, {"username": secretariat_user.username, "password": "right-password-123"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(secretariat_user.pk)


# --- Uploads ------------------------------------------------------------------------------


def test_evidence_over_the_size_limit_is_refused(settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 2000, "application/pdf")
    with pytest.raises(ValidationError, match="the limit is"):
        evidence_file_check(big, name=big.name, size=big.size)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("page.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
        ("notes.txt", b"<!doctype html><script>alert(1)</script>"),
        ("scan.png", b"<html>not an image</html>"),
    ],
)
def test_evidence_that_could_run_as_html_is_refused(name, content):
    upload = SimpleUploadedFile(name, content, "text/html")
    with pytest.raises(ValidationError):
        evidence_file_check(upload, name=upload.name, size=upload.size)


def test_no_secret_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".env" not in tracked
    pattern = re.compile(
        r"(SECRET_KEY\s*=\s*['\"][^'\"]{20,}['\"]|-----BEGIN [A-Z ]*PRIVATE KEY-----|"
        r"AKIA[0-9A-Z]{16}|postgres://[^:@/\s]+:[^@\s$]{6,}@)"
    )
    found = []
    for name in tracked:
        tracked_file = ROOT / name
        if not tracked_file.is_file() or tracked_file.suffix in {".png", ".pdf", ".docx", ".ico"}:
            continue
        try:
            text = tracked_file.read_text()
        except UnicodeDecodeError:
            continue
        if name.startswith("tests/"):
            continue
        found += [
            f"{name}: {m.group(0)[:30]}"
            for m in pattern.finditer(text)
            # Documented placeholders and the key that only a DEBUG run accepts.
            if not re.search(r"password@|insecure-development-key", m.group(0))
        ]
    assert not found, found
