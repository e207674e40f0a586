"""/api/v1/meetings/ and /api/v1/reports/: reads for everyone, writes for the Secretariat,
202 with the report, files as absolute URLs once done, a fixed number of queries."""

from __future__ import annotations

import pytest

from reporting import services
from reporting.models import Meeting, ProgressReport
from tests.factories import MeetingFactory
from tests.reporting.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return client


def _field_errors(response) -> dict:
    """Errors by field of a 400: DRF's plain body, or an RFC 9457 problem's `errors`."""
    body = response.json()
    return body.get("errors", body)


def _rows(response) -> list[dict]:
    """The items of a list response, paginated (a page object with "results") or not."""
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def test_everyone_reads_the_meeting_calendar(seed, api):
    response = api.get("/api/v1/meetings/")
    assert response.status_code == 200
    assert [row["code"] for row in _rows(response)] == ["COP13", "StC53", "COP14", "COP15"]
    cop15 = api.get("/api/v1/meetings/cop15/").json()
    assert cop15["title"] == "15th Meeting of the Conference of the Parties"
    assert cop15["report_document_symbol"] == "UNEP/CMS/COP15/Doc.X"
    assert cop15["html_url"] == "http://testserver/meetings/COP15/"
    assert [row["code"] for row in _rows(api.get("/api/v1/meetings/?body=stc"))] == ["StC53"]
    assert api.get("/api/v1/meetings/?body=nope").status_code == 400


def test_meeting_list_runs_a_fixed_number_of_queries(seed, api, django_assert_num_queries):
    with django_assert_num_queries(1):
        api.get("/api/v1/meetings/")
    for n in range(20):
        MeetingFactory(code=f"StC{70 + n}", body="stc", number=70 + n)
    with django_assert_num_queries(1):
        api.get("/api/v1/meetings/")


def test_secretariat_creates_and_edits_meetings_others_are_refused(
    seed, secretariat_user, reader_user, focal_point_user
):
    payload = {
        "code": "StC56",
        "body": "stc",
        "number": 56,
        "start_date": "2026-03-21",
        "end_date": "2026-03-21",
        "venue": "Campo Grande",
        "country": "Brazil",
        "document_deadline": "2026-02-01",
    }
    for user in (None, reader_user, focal_point_user):
        response = client_for(user).post(
            "/api/v1/meetings/", payload, content_type="application/json"
        )
        assert response.status_code in (401, 403)
    assert not Meeting.objects.filter(code="StC56").exists()

    secretariat = client_for(secretariat_user)
    created = secretariat.post("/api/v1/meetings/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["report_document_symbol"] == "UNEP/CMS/StC56/Doc.X"
    changed = secretariat.patch(
        "/api/v1/meetings/StC56/", {"report_document_number": "7"}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["report_document_symbol"] == "UNEP/CMS/StC56/Doc.7"
    refused = client_for(reader_user).patch(
        "/api/v1/meetings/StC56/", {"venue": "Bonn"}, content_type="application/json"
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "cop15", "body": "cop", "number": 99}, None),
        ({"code": "COP 99", "body": "cop", "number": 99}, "code"),
        (
            {
                "code": "COP99",
                "body": "cop",
                "number": 99,
                "start_date": "2026-05-02",
                "end_date": "2026-05-01",
            },
            "end_date",
        ),
        (
            {
                "code": "COP99",
                "body": "cop",
                "number": 99,
                "start_date": "2026-05-01",
                "document_deadline": "2026-06-01",
            },
            "document_deadline",
        ),
        ({"code": "COP99", "body": "council", "number": 99}, "body"),
    ],
)
def test_bad_meetings_are_400_with_field_errors(seed, secretariat_user, payload, field):
    response = client_for(secretariat_user).post(
        "/api/v1/meetings/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    if field:
        assert field in response.content.decode()
    assert Meeting.objects.count() == 4


def test_post_report_is_202_with_the_report_and_secretariat_only(
    seed, secretariat_user, reader_user, focal_point_user
):
    for user in (None, reader_user, focal_point_user):
        response = client_for(user).post(
            "/api/v1/reports/", {"meeting": "COP15"}, content_type="application/json"
        )
        assert response.status_code in (401, 403)
    assert not ProgressReport.objects.exists()

    secretariat = client_for(secretariat_user)
    response = secretariat.post(
        "/api/v1/reports/", {"meeting": "cop15"}, content_type="application/json"
    )
    assert response.status_code == 202
    body = response.json()
    report = ProgressReport.objects.get()
    assert body["id"] == report.pk
    assert response["Location"] == body["url"] == f"http://testserver/api/v1/reports/{report.pk}/"
    assert (body["meeting"], body["version"], body["state"], body["files"]) == (
        "COP15",
        1,
        "pending",
        {},
    )
    # Asking again while it is in flight gives the same report.
    again = secretariat.post(
        "/api/v1/reports/", {"meeting": "COP15"}, content_type="application/json"
    )
    assert again.status_code == 202 and again.json()["id"] == report.pk

    unknown = secretariat.post(
        "/api/v1/reports/", {"meeting": "COP99"}, content_type="application/json"
    )
    assert unknown.status_code == 400 and "meeting" in _field_errors(unknown)
    missing = secretariat.post("/api/v1/reports/", {}, content_type="application/json")
    assert missing.status_code == 400 and "meeting" in _field_errors(missing)
    assert ProgressReport.objects.count() == 1


def test_a_done_report_lists_its_files_as_absolute_urls(history, media, api):
    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)
    services.report_compile(report_id=report.pk)
    body = api.get(f"/api/v1/reports/{report.pk}/").json()
    assert (body["state"], body["progress"], body["error"]) == ("done", 100, "")
    assert set(body["files"]) == {"docx", "pdf", "html", "csv", "json"}
    for fmt, url in body["files"].items():
        assert url == f"http://testserver/meetings/COP15/reports/1/{fmt}/"
        download = api.get(url)
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment;")
        assert b"".join(download.streaming_content)
    assert body["checksums"].keys() == body["files"].keys()


def test_report_list_filters_and_runs_a_fixed_number_of_queries(
    seed, api, django_assert_num_queries
):
    cop15 = Meeting.objects.get(code="COP15")
    services.report_request(meeting=cop15, user=None)
    with django_assert_num_queries(1):
        assert len(_rows(api.get("/api/v1/reports/"))) == 1
    for meeting in Meeting.objects.exclude(pk=cop15.pk):
        services.report_request(meeting=meeting, user=None)
    with django_assert_num_queries(1):
        api.get("/api/v1/reports/")
    only = _rows(api.get("/api/v1/reports/?meeting=COP15&state=pending"))
    assert [row["meeting"] for row in only] == ["COP15"]
    assert api.get("/api/v1/reports/?state=finished").status_code == 400
