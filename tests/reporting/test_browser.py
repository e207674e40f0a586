"""A Secretariat user compiles a report from the meeting page in a real Chromium, watches
it reach done (HTMX polling), and downloads every file; a real Celery worker compiles it."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD
from tests.reporting.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_secretariat_compiles_watches_and_downloads(page, celery_worker, history, secretariat_user):
    page.goto("/meetings/")
    page.get_by_role("link", name="COP15").click()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(secretariat_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/meetings/COP15/")

    page.get_by_role("button", name="Compile report").click()
    status = page.locator("#report-status")
    status.get_by_text(re.compile("Pending|Running")).wait_for()
    assert page.get_by_role("button", name="Compile report").count() == 0

    from reporting.models import ProgressReport

    assert wait_for(ProgressReport.objects.get().pk).state == "done"
    # The poll sees it done and reloads the page, which lists the files.
    page.locator("#report-v1 .badge", has_text="Done").wait_for(timeout=30_000)
    for fmt, label, magic in (
        ("docx", "Word", b"PK"),
        ("pdf", "PDF", b"%PDF-"),
        ("html", "HTML", b"<!doctype html>"),
        ("csv", "CSV", b"resolution,title,paragraph"),
        ("json", "JSON", b'{"report":'),
    ):
        with page.expect_download() as info:
            page.get_by_role("link", name=f"{label} of version 1").click()
        download = info.value
        assert download.suggested_filename == f"UNEP-CMS-COP15-Doc.X-v1.{fmt}"
        with open(download.path(), "rb") as f:
            assert f.read().startswith(magic), fmt
    assert page.get_by_role("button", name="Compile report").is_visible()
