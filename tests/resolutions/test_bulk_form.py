"""Bulk update from the mandate list: select several mandates, one status, one narrative."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from resolutions.models import Mandate, StatusUpdate, UpdateSource
from resolutions.services import mandate_status_update
from tests.factories import secretariat_user as make_secretariat

pytestmark = pytest.mark.django_db

BULK = "/mandates/bulk-update/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "mandate-results"}


@pytest.fixture
def blg(seed):
    """The four mandates addressed to the Biodiversity Liaison Group."""
    return list(Mandate.objects.filter(actor__slug="blg").order_by("pk"))


def ticks(mandates) -> list[str]:
    return [f"{m.pk}:{m.version}" for m in mandates]


def test_the_list_offers_the_secretariat_a_checkbox_per_mandate_with_its_version(
    secretariat_client, blg
):
    html = secretariat_client.get("/mandates/", {"actor": "blg"}).content.decode()
    boxes = re.findall(r'<input type="checkbox" name="mandates" value="(\d+):(\d+)"', html)
    assert boxes == [(str(m.pk), "0") for m in blg]
    assert '<label for="id_status">Status</label>' in html
    assert '<button class="button" type="submit">Update selected</button>' in html
    assert '<input type="hidden" name="query" value="actor=blg" id="id_query">' in html


def test_bulk_update_without_javascript(secretariat_client, secretariat_user, blg):
    response = secretariat_client.post(
        BULK,
        {
            "mandates": ticks(blg[:3]),
            "status": "in_progress",
            "narrative": "Raised at the BLG retreat.",
            "query": "actor=blg&ordering=-updated",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/mandates/?actor=blg&ordering=-updated"
    for mandate in blg[:3]:
        update = StatusUpdate.objects.get(mandate=mandate)
        assert (update.status, update.narrative, update.source, update.author) == (
            "in_progress",
            "Raised at the BLG retreat.",
            UpdateSource.BULK,
            secretariat_user,
        )
    assert not StatusUpdate.objects.filter(mandate=blg[3]).exists()
    page = secretariat_client.get(response["Location"]).content.decode()
    assert "3 mandates set to In progress." in page


def test_bulk_update_with_htmx_swaps_the_results(secretariat_client, blg):
    response = secretariat_client.post(
        BULK,
        {"mandates": ticks(blg), "status": "ongoing", "narrative": "", "query": "actor=blg"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="mandate-results"' in html
    assert "4 mandates set to Ongoing." in html
    # The rows show the new state and carry the new versions.
    assert html.count('data-status="ongoing"') == 4
    assert re.findall(r'name="mandates" value="\d+:(\d+)"', html) == ["1"] * 4


def test_a_stale_selection_writes_nothing_and_names_the_stale_mandates(secretariat_client, blg):
    loaded = ticks(blg)
    colleague = make_secretariat("colleague")
    mandate_status_update(
        mandate=blg[1],
        user=colleague,
        status="completed",
        narrative="Joint statement issued.",
        expected_version=0,
    )
    response = secretariat_client.post(
        BULK,
        {
            "mandates": loaded,
            "status": "delayed",
            "narrative": "Waiting for the CBD.",
            "query": "actor=blg",
        },
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert StatusUpdate.objects.filter(mandate__in=blg).count() == 1
    assert Mandate.objects.get(pk=blg[0].pk).status == "not_started"
    notice = html.split('class="notice conflict"')[1].split("</div>")[0]
    assert "1 of the selected mandates changed since the list was loaded" in notice
    assert f'href="{blg[1].get_absolute_url()}"' in notice
    assert f"¶{blg[1].paragraph.label} · Biodiversity Liaison Group" in notice
    assert "colleague set it to" in notice and "Joint statement issued." in notice
    # Input kept: status, narrative and the ticks, now carrying the current versions.
    assert '<option value="delayed" selected>Delayed</option>' in html
    assert "Waiting for the CBD." in html
    checked = re.findall(r'name="mandates" value="(\d+):(\d+)" id="select-\d+" checked', html)
    assert checked == [(str(m.pk), "1" if m == blg[1] else "0") for m in blg]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"status": ""}, "status", "This field is required."),
        ({"status": "finished"}, "status", "Select a valid choice."),
        ({"mandates": []}, "mandates", "Select at least one mandate."),
        ({"mandates": ["12;x"]}, "mandates", "The selection could not be read"),
        ({"as_of": "2999-12-31"}, "as_of", "cannot be in the future"),
    ],
)
def test_bad_input_is_shown_and_nothing_is_saved(secretariat_client, blg, data, field, message):
    payload = {"mandates": ticks(blg), "status": "completed", "narrative": "N", "query": ""}
    payload.update(data)
    response = secretariat_client.post(BULK, payload)
    html = response.content.decode()
    assert response.status_code == 400
    error = re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>(.*?)</li>', html)
    assert error and message in error[1]
    assert StatusUpdate.objects.count() == 0
    # The list is shown again around the form.
    assert 'id="mandate-results"' in html and "<html" in html


def test_bulk_update_is_on_the_list_only_for_the_secretariat(client, focal_point_user, seed):
    client.force_login(focal_point_user)
    html = client.get(reverse("resolutions:mandate-list")).content.decode()
    assert "Update selected" not in html and BULK not in html
