"""The import flow in a real headless Chromium: sign in, upload, map, confirm."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolutions.models import Mandate, Resolution
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECISIONS = (
    Path(__file__).resolve().parent.parent / "data" / "importer" / "decisions.txt"
).read_bytes()


def test_secretariat_imports_a_file_in_the_browser(page, seed, secretariat_user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("secretariat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.get_by_role("link", name="Import a text").click()
    page.get_by_label("File").set_input_files(
        files=[{"name": "dolphins.txt", "mimeType": "text/plain", "buffer": DECISIONS}]
    )
    page.get_by_label("Adopted at").select_option(
        label="COP14 · 14th Meeting of the Conference of the Parties, Samarkand, Uzbekistan"
    )
    page.get_by_role("button", name="Read the text").click()

    page.get_by_role("heading", name="Conservation of South Asian River Dolphins").wait_for()
    assert page.locator("li.paragraph").count() == 12  # 6 paragraphs, 6 sub-paragraphs
    assert page.locator(".chip.unmatched").all_inner_texts() == [
        "? Range States",
        "? the River Dolphin Commission",
    ]
    page.get_by_label("Actor for “Range States”").select_option("non-party-range-states")
    page.get_by_role("row", name="Range States").get_by_role("button", name="Map").click()
    page.get_by_text("'Range States' mapped to Non-Party Range States.").wait_for()

    page.get_by_role("button", name="Confirm and import").click()
    page.get_by_text("Decision 14.211-14.216 imported.").wait_for()
    resolution = Resolution.objects.get(symbol="14.211-14.216")
    assert page.url.endswith(resolution.get_absolute_url())
    assert page.locator("li.paragraph").count() == 6
    assert (
        Mandate.objects.get(resolution=resolution, paragraph__number="14.216").actor.slug
        == "non-party-range-states"
    )
