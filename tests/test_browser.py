"""The public site in a real headless Chromium."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reads_the_seed_resolution(page, seed):
    page.goto("/")
    page.get_by_role("link", name="Synergies and Partnerships").click()
    page.wait_for_url(f"**{seed.get_absolute_url()}")
    assert page.locator("li.paragraph").count() == 33
    assert page.locator("#p10 .chip").all_inner_texts() == [
        "Parties",
        "Non-Party Range States",
        "Stakeholders",
        "Secretariat",
        "Scientific Council",
    ]
    # Keyboard users reach the content first.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    # No request left the machine: every asset is served by the app.
    page.goto("/")
    hosts = page.evaluate(
        "[...performance.getEntriesByType('resource')].map(e => new URL(e.name).host)"
    )
    assert hosts and set(hosts) == {page.url.split("/")[2]}
    # ... and every one of them loaded: the stylesheet applies and htmx runs.
    statuses = page.evaluate(
        "[...performance.getEntriesByType('resource')].map(e => e.responseStatus)"
    )
    assert set(statuses) == {200}
    assert page.evaluate("typeof htmx") == "object"
