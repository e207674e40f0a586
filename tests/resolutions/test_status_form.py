"""The status update form on the mandate page: who sees it, what it saves, how it refuses
bad input and stale forms, with and without htmx; and evidence file downloads."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resolutions.models import Mandate, StatusUpdate
from resolutions.services import mandate_status_update
from tests.factories import MandateFactory
from tests.factories import secretariat_user as make_secretariat

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "mandate-workspace"}
STATUS_LABELS = [
    "Not started",
    "In progress",
    "Completed",
    "Ongoing",
    "Delayed",
    "Not applicable",
    "Superseded",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded evidence goes to a directory of its own for each test."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def mandate(seed):
    return Mandate.objects.get(resolution=seed, paragraph__number="27", actor__slug="secretariat")


def update_url(mandate) -> str:
    return reverse("resolutions:mandate-update", args=[mandate.pk])


def form_data(mandate, **overrides):
    data = {
        "status": "in_progress",
        "progress": "40",
        "narrative": "Joint activities reported to the BLG.",
        "evidence": "https://www.cms.int/en/document/blg-report\nhttps://example.org/minutes",
        "as_of": "",
        "version": str(mandate.version),
    }
    data.update(overrides)
    return data


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    assert match, f"no {name} textarea"
    return match[1]


def test_secretariat_sees_the_form_with_its_labels_and_options(secretariat_client, mandate):
    html = secretariat_client.get(mandate.get_absolute_url()).content.decode()
    for field, label in [
        ("status", "Status"),
        ("progress", "Progress"),
        ("narrative", "Narrative"),
        ("evidence", "Evidence"),
        ("files", "Files"),
        ("as_of", "As of"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in html
    select = re.search(r'<select name="status" id="id_status">(.*?)</select>', html, re.S)[1]
    assert re.findall(r">([^<]+)</option>", select) == STATUS_LABELS
    assert '<input type="hidden" name="version" value="0" id="id_version">' in html
    assert '<button class="button" type="submit">Save update</button>' in html
    assert 'enctype="multipart/form-data"' in html
    assert f'hx-post="{update_url(mandate)}"' in html


@pytest.mark.parametrize("who", ["anonymous", "reader_user", "focal_point_user"])
def test_visitors_and_focal_points_see_no_edit_controls(client, mandate, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    html = client.get(mandate.get_absolute_url()).content.decode()
    assert "Save update" not in html
    assert 'name="version"' not in html
    assert update_url(mandate) not in html
    assert "History" in html


EDIT_ENDPOINTS = {
    "status update": lambda m: (update_url(m), form_data(m)),
    "bulk update": lambda m: (
        reverse("resolutions:mandate-bulk-update"),
        {"mandates": [f"{m.pk}:{m.version}"], "status": "completed", "narrative": "Done"},
    ),
}


@pytest.mark.parametrize("endpoint", EDIT_ENDPOINTS)
def test_anonymous_posts_are_sent_to_the_login_page(client, mandate, endpoint):
    url, data = EDIT_ENDPOINTS[endpoint](mandate)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/mandates/")
    # htmx is told to go there rather than swapping the login page into the form.
    response = client.post(url, data, **HTMX)
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith(reverse("login") + "?next=")
    assert StatusUpdate.objects.count() == 0


@pytest.mark.parametrize("endpoint", EDIT_ENDPOINTS)
@pytest.mark.parametrize("who", ["reader_user", "focal_point_user"])
def test_readers_and_focal_points_get_403(client, mandate, endpoint, who, request):
    client.force_login(request.getfixturevalue(who))
    url, data = EDIT_ENDPOINTS[endpoint](mandate)
    assert client.post(url, data).status_code == 403
    assert client.post(url, data, **HTMX).status_code == 403
    assert StatusUpdate.objects.count() == 0


@pytest.mark.parametrize("endpoint", EDIT_ENDPOINTS)
def test_the_secretariat_may_post_and_get_is_refused(secretariat_client, mandate, endpoint):
    url, data = EDIT_ENDPOINTS[endpoint](mandate)
    assert secretariat_client.get(url).status_code == 405
    response = secretariat_client.post(url, data)
    assert response.status_code == 302
    assert StatusUpdate.objects.filter(mandate=mandate).count() == 1


def test_saving_without_javascript_redirects_with_a_message(
    secretariat_client, secretariat_user, mandate
):
    response = secretariat_client.post(update_url(mandate), form_data(mandate), follow=True)
    assert response.redirect_chain == [(mandate.get_absolute_url(), 302)]
    html = response.content.decode()
    assert "Update saved." in html
    update = StatusUpdate.objects.get(mandate=mandate)
    assert (update.status, update.progress, update.author) == ("in_progress", 40, secretariat_user)
    assert update.evidence_links == [
        "https://www.cms.int/en/document/blg-report",
        "https://example.org/minutes",
    ]
    timeline = html.split('id="history-heading"')[1]
    assert '<span class="who">secretariat</span>' in timeline
    assert re.search(
        r'data-status="not_started">Not started</span>\s*→\s*'
        r'<span class="badge" data-status="in_progress">In progress</span>',
        timeline,
    )
    assert "Joint activities reported to the BLG." in timeline
    assert 'href="https://www.cms.int/en/document/blg-report"' in timeline
    # The new form is opened at the new version.
    assert '<input type="hidden" name="version" value="1" id="id_version">' in html


def test_saving_with_htmx_swaps_the_workspace_fragment(secretariat_client, mandate):
    response = secretariat_client.post(update_url(mandate), form_data(mandate), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="mandate-workspace"')
    assert "Update saved." in html
    assert "Joint activities reported to the BLG." in html
    assert '<input type="hidden" name="version" value="1" id="id_version">' in html
    # The status shown at the top of the page is updated out of band.
    assert re.search(r'<ul class="meta-list" id="mandate-meta" hx-swap-oob="true">', html)
    assert "Progress: <strong>40%</strong>" in html


def test_a_form_that_changes_nothing_says_so(secretariat_client, mandate):
    data = form_data(mandate, status="not_started", progress="", narrative="", evidence="")
    response = secretariat_client.post(update_url(mandate), data, follow=True)
    assert "Nothing to save" in response.content.decode()
    assert StatusUpdate.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"progress": "150"}, "progress", "less than or equal to 100"),
        ({"progress": "lots"}, "progress", "Enter a whole number"),
        ({"status": "finished"}, "status", "Select a valid choice"),
        ({"evidence": "javascript:alert(1)"}, "evidence", "is not a web address"),
        ({"as_of": "2999-01-01"}, "as_of", "cannot be in the future"),
        ({"as_of": "31/02/2024"}, "as_of", "Enter a valid date"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bad_input_is_shown_beside_the_field_and_nothing_is_saved(
    secretariat_client, mandate, overrides, field, message, htmx
):
    extra = HTMX if htmx else {}
    response = secretariat_client.post(
        update_url(mandate), form_data(mandate, **overrides), **extra
    )
    html = response.content.decode()
    assert response.status_code == 400
    error = re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>(.*?)</li>', html)
    assert error and message in error[1]
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html) or re.search(
        rf'aria-invalid="true"[^>]*name="{field}"', html
    )
    # What was typed is kept.
    assert "Joint activities reported to the BLG." in textarea(html, "narrative")
    assert StatusUpdate.objects.count() == 0
    assert ("<html" in html) is not htmx


def test_a_stale_form_is_refused_showing_the_newer_update(secretariat_client, mandate):
    opened = form_data(mandate, narrative="My view of paragraph 27.", status="delayed")
    colleague = make_secretariat("colleague")
    mandate_status_update(
        mandate=Mandate.objects.get(pk=mandate.pk),
        user=colleague,
        status="completed",
        narrative="Closed after the BLG meeting in Bonn.",
        expected_version=0,
    )
    response = secretariat_client.post(update_url(mandate), opened)
    html = response.content.decode()
    assert response.status_code == 409
    notice = html.split('class="notice conflict"')[1].split("</div>")[0]
    assert "someone else updated this mandate first" in notice
    assert "<dd>colleague</dd>" in notice
    assert 'data-status="completed">Completed</span>' in notice
    assert "Closed after the BLG meeting in Bonn." in notice
    assert re.search(r"<time datetime=\"[^\"]+\">\d+ \w+ \d{4}, \d\d:\d\d</time>", notice)
    # Nothing overwritten.
    mandate.refresh_from_db()
    assert (mandate.status, mandate.version) == ("completed", 1)
    assert StatusUpdate.objects.filter(mandate=mandate).count() == 1
    # The user's input is kept, and the form now stands on the version shown.
    assert textarea(html, "narrative") == "My view of paragraph 27."
    assert '<option value="delayed" selected>Delayed</option>' in html
    assert '<input type="hidden" name="version" value="1" id="id_version">' in html
    # Saving again, knowingly, records the update after the colleague's.
    again = secretariat_client.post(update_url(mandate), {**opened, "version": "1"})
    assert again.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.status, mandate.version) == ("delayed", 2)


def test_a_stale_form_with_htmx_gets_the_conflict_in_the_fragment(
    secretariat_client, secretariat_user, mandate
):
    opened = form_data(mandate)
    mandate_status_update(
        mandate=Mandate.objects.get(pk=mandate.pk),
        user=secretariat_user,
        status="ongoing",
        narrative="Standing item.",
        expected_version=0,
    )
    pdf = SimpleUploadedFile("minutes.pdf", b"%PDF-1.7\n...", "application/pdf")
    response = secretariat_client.post(update_url(mandate), {**opened, "files": pdf}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 409
    assert "<html" not in html
    assert "Standing item." in html and "Not saved" in html
    assert "Choose your files again" in html
    assert Mandate.objects.get(pk=mandate.pk).status == "ongoing"


def test_evidence_files_are_saved_and_downloaded_as_attachments(secretariat_client, mandate):
    pdf = SimpleUploadedFile("BLG report.pdf", b"%PDF-1.7\nreport", "application/pdf")
    notes = SimpleUploadedFile("notes.txt", b"Minutes: agreed.\n", "text/html")
    response = secretariat_client.post(
        update_url(mandate), {**form_data(mandate), "files": [pdf, notes]}, follow=True
    )
    html = response.content.decode()
    files = list(StatusUpdate.objects.get(mandate=mandate).files.order_by("id"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("BLG report.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
    ]
    link = reverse("resolutions:evidence-download", args=[files[0].pk])
    assert f'<a href="{link}" download>BLG report.pdf</a>' in html

    download = secretariat_client.get(link)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "BLG%20report.pdf" in download["Content-Disposition"] or (
        '"BLG report.pdf"' in download["Content-Disposition"]
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"%PDF-1.7\nreport"
    text = secretariat_client.get(reverse("resolutions:evidence-download", args=[files[1].pk]))
    assert text["Content-Type"] == "text/plain"
    assert text["Content-Disposition"].startswith("attachment;")


def test_a_file_that_is_not_what_it_claims_is_refused_beside_the_field(secretariat_client, mandate):
    fake = SimpleUploadedFile("report.pdf", b"<html><script>x</script></html>", "application/pdf")
    response = secretariat_client.post(update_url(mandate), {**form_data(mandate), "files": fake})
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="id_files_error"><li>report.pdf is not a valid .pdf file.', html)
    assert StatusUpdate.objects.count() == 0


def test_downloads_are_public_and_missing_files_are_404(client, secretariat_user, mandate):
    update = mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        evidence_files=[SimpleUploadedFile("a.csv", b"a,b\n1,2\n", "text/csv")],
        expected_version=0,
    )
    stored = update.files.get()
    url = reverse("resolutions:evidence-download", args=[stored.pk])
    assert client.get(url).status_code == 200
    stored.file.delete(save=False)
    assert client.get(url).status_code == 404
    assert client.get(reverse("resolutions:evidence-download", args=[999_999])).status_code == 404


def test_the_mandate_page_runs_a_fixed_number_of_queries(
    secretariat_client, secretariat_user, django_assert_num_queries, db
):
    mandate = MandateFactory()

    def add_update(i: int):
        fresh = Mandate.objects.get(pk=mandate.pk)
        mandate_status_update(
            mandate=fresh,
            user=secretariat_user,
            status="in_progress" if i % 2 else "delayed",
            narrative=f"Step {i}",
            evidence_files=[SimpleUploadedFile(f"s{i}.txt", b"step", "text/plain")],
            expected_version=fresh.version,
        )

    add_update(0)
    with CaptureQueriesContext(connection) as small:
        assert secretariat_client.get(mandate.get_absolute_url()).status_code == 200
    for i in range(1, 12):
        add_update(i)
    with django_assert_num_queries(len(small.captured_queries)):
        html = secretariat_client.get(mandate.get_absolute_url()).content.decode()
    assert html.count('class="who"') == 12
