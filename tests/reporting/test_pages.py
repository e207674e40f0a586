"""Meeting calendar and meeting pages: content, role-dependent controls, forms with
errors beside the fields, downloads, comparisons, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from reporting import services
from reporting.models import Meeting, ProgressReport
from tests.factories import MeetingFactory
from tests.reporting.conftest import client_for, record

pytestmark = pytest.mark.django_db


def test_calendar_lists_meetings_upcoming_and_past(seed, client):
    soon = timezone.localdate() + dt.timedelta(days=30)
    MeetingFactory(code="StC99", body="stc", number=99, start_date=soon, venue="Bonn")
    html = client.get("/meetings/").content.decode()
    upcoming, past = html.split('id="past-heading"')
    assert re.findall(r"<strong>(\w+)</strong></a>", upcoming) == ["StC99"]
    assert re.findall(r"<strong>(\w+)</strong></a>", past) == ["COP15", "COP14", "StC53", "COP13"]
    assert "23\u201329 March 2026" in past
    assert 'href="/meetings/" aria-current="page"' in html
    only_stc = client.get("/meetings/?body=stc").content.decode()
    assert "StC53" in only_stc and "COP14" not in only_stc
    assert "Add a meeting" not in html


def test_calendar_runs_a_fixed_number_of_queries(seed, client, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get("/meetings/")
    for n in range(15):
        MeetingFactory(code=f"ScC{n + 1}", body="scc", number=n + 1)
    with django_assert_num_queries(1):
        assert client.get("/meetings/").status_code == 200


def test_meeting_page_for_the_public_has_no_controls(seed, client):
    response = client.get("/meetings/cop15/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "COP15: 15th Meeting of the Conference of the Parties" in html
    assert "since 18 February 2024 (after COP14)" in html
    assert "UNEP/CMS/COP15/Doc.X" in html
    assert "Compile report" not in html and "Edit meeting" not in html
    assert client.get("/meetings/COP99/").status_code == 404


def test_secretariat_sees_the_controls(seed, secretariat_user):
    html = client_for(secretariat_user).get("/meetings/COP15/").content.decode()
    assert "Compile report" in html and "Edit meeting" in html


@pytest.mark.parametrize("who", ["reader_user", "focal_point_user"])
def test_others_posts_are_refused(seed, who, request):
    client = client_for(request.getfixturevalue(who))
    assert client.post("/meetings/COP15/reports/").status_code == 403
    assert client.get("/meetings/new/").status_code == 403
    assert client.post("/meetings/COP15/edit/", {"code": "X"}).status_code == 403
    assert not ProgressReport.objects.exists()


def test_anonymous_posts_go_to_sign_in(seed, client):
    response = client.post("/meetings/COP15/reports/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/meetings/new/")["Location"].startswith("/accounts/login/")
    assert not ProgressReport.objects.exists()


def test_secretariat_adds_a_meeting_and_sees_errors_beside_fields(seed, secretariat_user):
    client = client_for(secretariat_user)
    bad = client.post(
        "/meetings/new/",
        {
            "body": "stc",
            "number": "56",
            "code": "StC 56",
            "start_date": "2026-03-21",
            "end_date": "2026-03-20",
        },
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    code_row = html.split('for="id_code"')[1].split('class="form-row')[0]
    assert "letters, digits, dots" in code_row
    end_row = html.split('for="id_end_date"')[1].split('class="form-row')[0]
    assert "cannot end before it starts" in end_row
    assert not Meeting.objects.filter(number=56, body="stc").exists()

    good = client.post(
        "/meetings/new/",
        {
            "body": "stc",
            "number": "56",
            "code": "StC56",
            "start_date": "2026-03-21",
            "end_date": "2026-03-21",
            "venue": "Campo Grande",
            "country": "Brazil",
            "document_deadline": "2026-02-01",
            "report_document_number": "4",
            "report_agenda_item": "4",
        },
    )
    assert good.status_code == 302 and good["Location"] == "/meetings/StC56/"
    edited = client.post(
        "/meetings/StC56/edit/",
        {
            "body": "stc",
            "number": "56",
            "code": "StC56",
            "start_date": "2026-03-21",
            "end_date": "2026-03-22",
            "venue": "Campo Grande",
            "country": "Brazil",
            "document_deadline": "2026-02-01",
            "report_document_number": "4",
            "report_agenda_item": "4",
        },
    )
    assert edited.status_code == 302
    meeting = Meeting.objects.get(code="StC56")
    assert str(meeting.end_date) == "2026-03-22"
    refused = client.post("/meetings/StC56/edit/", {"body": "stc", "number": "56", "code": "St C"})
    assert refused.status_code == 400
    assert "<h1>Edit StC56</h1>" in refused.content.decode(), "the page names the stored meeting"
    assert Meeting.objects.filter(code="StC56").exists()
    duplicate = client.post("/meetings/new/", {"body": "cop", "number": "15", "code": "COP15bis"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()


def test_compile_button_queues_a_version_and_the_page_polls_its_status(seed, secretariat_user):
    client = client_for(secretariat_user)
    response = client.post("/meetings/COP15/reports/")
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert (report.version, report.state, report.requested_by) == (1, "pending", secretariat_user)
    page = client.get("/meetings/COP15/").content.decode()
    assert 'hx-get="/meetings/COP15/reports/1/status/"' in page
    assert "Compile report" not in page, "no second compilation while one is in flight"
    fragment = client.get("/meetings/COP15/reports/1/status/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.content.decode()
    assert "HX-Refresh" not in fragment
    ProgressReport.objects.filter(pk=report.pk).update(state="failed", error="Broken.")
    done = client.get("/meetings/COP15/reports/1/status/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and "hx-trigger" not in done.content.decode()


def test_done_reports_are_downloadable_and_compared(history, media, secretariat_user, client):
    def compile_version(meeting=history.meeting):
        report, _ = services.report_request(meeting=meeting, user=None, queue=False)
        services.report_compile(report_id=report.pk)
        return report

    record(history.completed, secretariat_user, "ongoing")  # after COP14's report
    cop14 = compile_version(Meeting.objects.get(code="COP14"))
    record(history.completed, secretariat_user, "completed")
    first = compile_version()
    record(history.in_progress, secretariat_user, "completed", narrative="Done.")
    second = compile_version()

    html = client.get("/meetings/COP15/").content.decode()
    for fmt in ("docx", "pdf", "html", "csv", "json"):
        assert f'href="/meetings/COP15/reports/2/{fmt}/"' in html
    changes = html.split('id="version-changes-heading"')[1]
    assert "version 1" in changes and "1 mandate changed" in changes
    assert 'data-status="completed"' in changes
    since_cop14 = html.split('id="meeting-changes-heading"')[1]
    assert f"COP14 version {cop14.version}" in since_cop14
    rows = since_cop14.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 2  # ¶2 in progress -> completed, ¶3 ongoing -> completed

    pdf = client.get("/meetings/COP15/reports/1/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="UNEP-CMS-COP15-Doc.X-v1.pdf"' in pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    assert client.get("/meetings/COP15/reports/1/exe/").status_code == 404
    assert client.get("/meetings/COP15/reports/9/pdf/").status_code == 404

    compare = client.get(f"/reports/compare/?old={first.pk}&new={second.pk}")
    page = compare.content.decode()
    assert compare.status_code == 200
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 1 and "Secretariat" in rows
    assert client.get(f"/reports/compare/?old={first.pk}&new={first.pk}").status_code == 400
    assert client.get("/reports/compare/?old=999&new=1").status_code == 400


def test_meeting_page_runs_a_fixed_number_of_queries(seed, client, django_assert_num_queries):
    cop14, cop15 = Meeting.objects.get(code="COP14"), Meeting.objects.get(code="COP15")

    def issue(meeting: Meeting) -> None:
        report, _ = services.report_request(meeting=meeting, user=None, queue=False)
        ProgressReport.objects.filter(pk=report.pk).update(state="done")

    issue(cop14)
    issue(cop15)
    issue(cop15)  # two versions, and a previous meeting's report: every section shows

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as baseline:
        assert client.get("/meetings/COP15/").status_code == 200
    for _ in range(10):
        issue(cop15)
    services.report_request(meeting=cop15, user=None, queue=False)  # and one in flight
    with django_assert_num_queries(len(baseline)):
        html = client.get("/meetings/COP15/").content.decode()
    assert html.count('id="report-v') == 13
