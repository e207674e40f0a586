"""The synergies view and link decisions in a real headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from resolutions.models import LinkState, MandateLink
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_start_from_a_convention_and_confirm_a_link(page, seed, secretariat_user):
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto("/")
    page.get_by_role("link", name="Synergies", exact=True).click()
    expect(page.get_by_role("heading", name="Synergies", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Which resolutions cite which")).to_be_visible()

    page.get_by_label("Convention or organisation").select_option(value="ramsar")
    page.get_by_role("button", name="Show mandates").click()
    page.wait_for_url(re.compile(r"organisation=ramsar"))
    ramsar = MandateLink.objects.filter(organisation__slug="ramsar")
    count = ramsar.values("mandate").distinct().count()
    expect(page.locator("#results-heading")).to_have_text(
        re.compile(rf"^{count} mandates linked to Ramsar")
    )
    results = page.locator("#synergy-results")
    chips = results.locator('.link-chip:has(a:text-is("Ramsar"))')
    expect(chips).to_have_count(count)
    for i in range(count):
        expect(chips.nth(i).locator(".link-state")).to_have_text("suggested")
    expect(results.locator(".link-state.confirmed")).to_have_count(0)

    # The Secretariat confirms one from the mandate page; the view then says so.
    sign_in(page, "secretariat")
    first = ramsar.order_by("mandate__paragraph__order", "mandate__position").first()
    page.goto(f"/mandates/{first.mandate_id}/")
    page.get_by_role("button", name="Confirm the link to Ramsar").click()
    expect(page.locator(".messages")).to_contain_text("Link to Ramsar confirmed.")
    first.refresh_from_db()
    assert first.state == LinkState.CONFIRMED

    page.goto("/synergies/?organisation=ramsar&link_state=confirmed")
    expect(page.locator("#results-heading")).to_have_text(
        re.compile(r"^1 mandate linked to Ramsar")
    )
    expect(page.locator("#synergy-results .link-state.suggested").first).to_be_visible()
    confirmed = page.locator('#synergy-results .link-chip:has(a:text-is("Ramsar"))')
    expect(confirmed.locator(".link-state")).to_have_text("confirmed")
    assert failed == []
