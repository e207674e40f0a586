"""The Secretariat's import pages over HTTP: who may use them, the flow from upload to
import, form errors beside their fields, and a fixed number of queries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.models import Meeting
from resolutions.models import (
    Actor,
    ImportRecord,
    ImportState,
    Mandate,
    PhraseState,
    Resolution,
    ResolutionStatus,
)
from resolutions.seed import seed_text
from resolutions.services import import_record_confirm, import_record_create
from tests.resolutions.sample_files import docx_from_text, pdf_from_text

TEXTS = Path(__file__).resolve().parent.parent / "data" / "importer"

pytestmark = pytest.mark.django_db


def text(name: str) -> str:
    return (TEXTS / f"{name}.txt").read_text()


def field_errors(html: str, field: str) -> str:
    """The text of the form row holding `field` when the row is marked in error, else ""."""
    for chunk in html.split('<div class="form-row')[1:]:
        if f'id="id_{field}"' in chunk or f'name="{field}"' in chunk:
            return re.sub(r"<[^>]+>", " ", chunk) if chunk.startswith(' field-error"') else ""
    return ""


@pytest.fixture
def draft(seed, secretariat_user):
    return import_record_create(user=secretariat_user, text=text("decisions"))


def _urls(record) -> list[str]:
    phrase = record.phrases.first()
    return [
        reverse("resolutions:import-list"),
        reverse("resolutions:import-new"),
        reverse("resolutions:import-preview", args=[record.pk]),
        reverse("resolutions:import-paragraph", args=[record.pk, 0]),
        reverse("resolutions:phrase-map", args=[phrase.pk]),
    ]


def test_anonymous_visitors_sign_in_first(client, draft):
    for url in _urls(draft):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse('login')}?next=")
    confirm = client.post(reverse("resolutions:import-confirm", args=[draft.pk]))
    assert confirm.status_code == 302 and "login" in confirm["Location"]
    assert ImportRecord.objects.get(pk=draft.pk).state == ImportState.DRAFT


@pytest.mark.parametrize("who", ["reader_user", "focal_point_user"])
def test_others_are_refused(client, draft, request, who):
    client.force_login(request.getfixturevalue(who))
    for url in _urls(draft):
        assert client.get(url).status_code == 403
    for name in ("import-confirm", "import-discard"):
        assert client.post(reverse(f"resolutions:{name}", args=[draft.pk])).status_code == 403
    assert ImportRecord.objects.get(pk=draft.pk).state == ImportState.DRAFT


def test_the_importer_is_linked_for_the_secretariat_only(
    client, seed, secretariat_user, reader_user
):
    link = f'href="{reverse("resolutions:import-list")}"'
    assert link not in client.get("/").content.decode()
    client.force_login(reader_user)
    assert link not in client.get("/").content.decode()
    client.force_login(secretariat_user)
    html = client.get("/").content.decode()
    assert link in html and reverse("resolutions:import-new") in html


def test_upload_preview_map_correct_confirm(secretariat_client, seed):
    """The whole flow: a file in, a preview, a mapped phrase, a corrected paragraph, a
    confirmed import."""
    cop14 = Meeting.objects.get(code="COP14")
    response = secretariat_client.post(
        reverse("resolutions:import-new"),
        {
            "file": SimpleUploadedFile("dolphins.txt", text("decisions").encode()),
            "adopted_at": cop14.pk,
        },
    )
    record = ImportRecord.objects.get(source_name="dolphins.txt")
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()

    html = secretariat_client.get(record.get_absolute_url()).content.decode()
    for expected in (
        "Conservation of South Asian River Dolphins",
        "Directed to the Secretariat",
        "14.213",
        "The Secretariat shall, subject to the availability of external resources:",
        '<span class="chip">Secretariat</span>',
        "Report to Standing Committee",
        "Due StC56",
        "Due COP15",
        "Subject to resources",
        "? the River Dolphin Commission",
        "is not a known actor",
        "Line 37:",
    ):
        assert expected in html, expected

    # Map an unmatched phrase to an existing actor, from the preview's own form.
    phrase = record.phrases.get(phrase="Range States")
    response = secretariat_client.post(
        reverse("resolutions:phrase-map", args=[phrase.pk]),
        {"action": "map", "actor": "non-party-range-states"},
    )
    assert response.status_code == 302
    phrase.refresh_from_db()
    assert phrase.state == PhraseState.MAPPED

    # Correct paragraph 14.216 (the sixth paragraph, position 14 in the list of rows).
    position = next(i for i, row in enumerate(selectors_rows(record)) if row == "14.216")
    page = secretariat_client.get(
        reverse("resolutions:import-paragraph", args=[record.pk, position])
    )
    assert 'value="non-party-range-states"' in page.content.decode()
    response = secretariat_client.post(
        reverse("resolutions:import-paragraph", args=[record.pk, position]),
        {"d0-verb": "invite", "d0-actors": ["non-party-range-states", "organizations"]},
    )
    assert response.status_code == 302

    response = secretariat_client.post(reverse("resolutions:import-confirm", args=[record.pk]))
    resolution = Resolution.objects.get(symbol="14.211-14.216")
    assert response["Location"] == resolution.get_absolute_url()
    assert set(
        Mandate.objects.filter(resolution=resolution, paragraph__number="14.216").values_list(
            "actor__slug", flat=True
        )
    ) == {"non-party-range-states", "organizations"}
    page = secretariat_client.get(resolution.get_absolute_url())
    assert "Decision 14.211-14.216 imported." in page.content.decode()


def selectors_rows(record) -> list[str]:
    from resolutions.parsing import iter_operative

    return [label for label, _ in iter_operative(ImportRecord.objects.get(pk=record.pk).reading)]


def test_pasted_text(secretariat_client, seed):
    response = secretariat_client.post(
        reverse("resolutions:import-new"), {"text": text("header-block")}, follow=True
    )
    html = response.content.decode()
    assert "Bats and Wind Energy" in html
    assert "Distribution: General" in html  # the header block, shown apart
    assert "? the CITES Secretariat" in html


@pytest.mark.parametrize(
    ("name", "make"),
    [
        (
            "bats.pdf",
            lambda: pdf_from_text(text("header-block"), header="UNEP/CMS/Resolution 14.15"),
        ),
        ("dolphins.docx", lambda: docx_from_text(text("decisions"))),
    ],
)
def test_pdf_and_word_uploads(secretariat_client, seed, name, make):
    content_type = "application/pdf" if name.endswith(".pdf") else "application/octet-stream"
    response = secretariat_client.post(
        reverse("resolutions:import-new"),
        {"file": SimpleUploadedFile(name, make(), content_type)},
    )
    assert response.status_code == 302
    record = ImportRecord.objects.get(source_name=name)
    assert len(record.reading["operative"]) in (5, 6)
    assert record.title in ("Bats and Wind Energy", "Conservation of South Asian River Dolphins")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "file", "Choose a file, or paste the text below."),
        (
            {"file": ("photo.txt", b"TITLE\n\nRecalling\n\x89PNG\x00\x00IHDR")},
            "file",
            "line 4: this is a binary file",
        ),
        ({"file": ("broken.pdf", b"%PDF-1.4\nbroken")}, "file", "the PDF cannot be read"),
        ({"file": ("a.txt", b"x"), "text": "y"}, "text", "not both"),
        (
            {"text": "A TITLE\n\nRecalling this,\n\nNoting that,"},
            "text",
            "line 5: no operative part",
        ),
        ({"text": "x", "symbol": "11.10 (Rev.COP14)"}, "text", "no operative part"),
        ({"text": text("header-block"), "symbol": "11.10 (Rev.COP14)"}, "symbol", "exists already"),
    ],
)
def test_bad_input_is_shown_beside_its_field(secretariat_client, seed, data, field, message):
    before = ImportRecord.objects.count()
    post = {
        k: SimpleUploadedFile(v[0], v[1]) if isinstance(v, tuple) else v for k, v in data.items()
    }
    response = secretariat_client.post(reverse("resolutions:import-new"), post)
    assert response.status_code == 400
    assert message in field_errors(response.content.decode(), field)
    assert ImportRecord.objects.count() == before


def test_a_file_over_the_limit(secretariat_client, seed, settings):
    settings.IMPORT_MAX_BYTES = 500
    response = secretariat_client.post(
        reverse("resolutions:import-new"),
        {"file": SimpleUploadedFile("big.txt", text("decisions").encode())},
    )
    assert response.status_code == 400
    assert "too large" in field_errors(response.content.decode(), "file")


def test_details_are_corrected_with_errors_beside_fields(secretariat_client, draft):
    url = draft.get_absolute_url()
    response = secretariat_client.post(url, {"symbol": "14.1", "title": "", "kind": "decision"})
    assert response.status_code == 400
    assert "This field is required." in field_errors(response.content.decode(), "title")
    response = secretariat_client.post(
        url, {"symbol": "11.10 (Rev.COP14)", "title": "Dolphins", "kind": "decision"}
    )
    assert response.status_code == 400
    assert "exists already" in field_errors(response.content.decode(), "symbol")
    cop14 = Meeting.objects.get(code="COP14")
    response = secretariat_client.post(
        url,
        {
            "symbol": "14.211-14.216",
            "title": "River dolphins",
            "kind": "decision",
            "adopted_at": cop14.pk,
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.adopted_at) == ("River dolphins", cop14)


def test_a_correction_with_an_unknown_verb_is_refused(secretariat_client, draft):
    url = reverse("resolutions:import-paragraph", args=[draft.pk, 0])
    response = secretariat_client.post(url, {"d0-verb": "ask", "d0-actors": ["parties"]})
    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(response.content.decode(), "d0-verb")


def test_new_actor_form_errors_beside_fields(secretariat_client, draft):
    phrase = draft.phrases.get(phrase="the River Dolphin Commission")
    url = reverse("resolutions:phrase-map", args=[phrase.pk])
    response = secretariat_client.post(url, {"action": "new", "name": "", "kind": "organisation"})
    assert response.status_code == 400
    assert "This field is required." in field_errors(response.content.decode(), "name")
    response = secretariat_client.post(
        url, {"action": "new", "name": "Parties", "kind": "government"}
    )
    assert "exists already" in field_errors(response.content.decode(), "slug")
    response = secretariat_client.post(
        url, {"action": "new", "name": "River Dolphin Commission", "kind": "organisation"}
    )
    assert response.status_code == 302
    assert Actor.objects.filter(slug="river-dolphin-commission").exists()


def test_discard(secretariat_client, draft):
    response = secretariat_client.post(reverse("resolutions:import-discard", args=[draft.pk]))
    assert response["Location"] == reverse("resolutions:import-list")
    draft.refresh_from_db()
    assert draft.state == ImportState.DISCARDED
    response = secretariat_client.post(reverse("resolutions:import-confirm", args=[draft.pk]))
    assert response.status_code == 400
    assert not Resolution.objects.filter(symbol=draft.symbol).exists()


def test_the_import_list(secretariat_client, draft):
    html = secretariat_client.get(reverse("resolutions:import-list")).content.decode()
    assert "the River Dolphin Commission" in html
    assert "14.211-14.216" in html


def test_a_revision_preview_and_changes_page(secretariat_client, seed, secretariat_user, client):
    revised = seed_text("synergies-and-partnerships").replace(
        "letters of endorsement for NGO", "letters of support for NGO"
    )
    record = import_record_create(user=secretariat_user, text=revised, symbol="11.10 (Rev.COP15)")
    html = secretariat_client.get(record.get_absolute_url()).content.decode()
    assert "Revision of Resolution 11.10 (Rev.COP14)" in html
    assert "54 unchanged" in html and "1 changed" in html
    assert "<del>endorsement</del>" in html and "<ins>support</ins>" in html
    new = import_record_confirm(record=record, user=secretariat_user)
    assert Resolution.objects.get(pk=seed.pk).status == ResolutionStatus.SUPERSEDED
    changes = client.get(reverse("resolutions:resolution-changes", args=[new.pk]))
    assert changes.status_code == 200
    assert "<ins>support</ins>" in changes.content.decode()
    assert (
        reverse("resolutions:resolution-changes", args=[new.pk])
        in client.get(new.get_absolute_url()).content.decode()
    )
    assert client.get(reverse("resolutions:resolution-changes", args=[seed.pk])).status_code == 404


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_preview_runs_a_fixed_number_of_queries(secretariat_client, seed, secretariat_user):
    """The same number of queries for 5 paragraphs as for 33, new or revision."""
    small = import_record_create(user=secretariat_user, text=text("header-block"))
    large = import_record_create(
        user=secretariat_user, text=seed_text("synergies-and-partnerships"), symbol="99.1"
    )
    assert _queries(secretariat_client, small.get_absolute_url()) == _queries(
        secretariat_client, large.get_absolute_url()
    )
    small_revision = import_record_create(
        user=secretariat_user, text=text("header-block"), symbol="99.2", supersedes=seed
    )
    large_revision = import_record_create(
        user=secretariat_user,
        text=seed_text("synergies-and-partnerships"),
        symbol="99.3",
        supersedes=seed,
    )
    assert _queries(secretariat_client, small_revision.get_absolute_url()) == _queries(
        secretariat_client, large_revision.get_absolute_url()
    )


def test_the_import_list_runs_a_fixed_number_of_queries(secretariat_client, seed, secretariat_user):
    url = reverse("resolutions:import-list")
    import_record_create(user=secretariat_user, text=text("decisions"))
    few = _queries(secretariat_client, url)
    for symbol in ("1.1", "1.2", "1.3"):
        import_record_create(user=secretariat_user, text=text("header-block"), symbol=symbol)
    assert _queries(secretariat_client, url) == few
