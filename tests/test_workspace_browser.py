"""The Secretariat workspace in a real headless Chromium: sign in through the login form,
filter the list, record updates (with htmx, and with JavaScript off), stale forms, bulk
updates, and what focal points and visitors may not do."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from resolutions.models import Mandate, StatusUpdate
from tests.factories import PASSWORD
from tests.factories import secretariat_user as make_secretariat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def mark_document(page: Page) -> None:
    """A flag that survives htmx swaps but not a page load."""
    page.evaluate("window.__noReload = true")


def was_not_reloaded(page: Page) -> bool:
    return page.evaluate("window.__noReload === true")


def mandate_27(seed) -> Mandate:
    return Mandate.objects.get(resolution=seed, paragraph__number="27", actor__slug="secretariat")


def test_secretariat_filters_records_an_update_and_sees_it_everywhere(page, seed, secretariat_user):
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    sign_in(page, "secretariat")
    # The page's own assets load (htmx included): nothing answered with an error.
    assert page.evaluate("typeof htmx") == "object"
    page.get_by_role("link", name="Mandates").click()
    expect(page.locator("#result-count")).to_have_text("48 mandates")
    mark_document(page)

    # Filtering swaps the results in place and puts the filter in the address bar.
    page.get_by_label("Actor", exact=True).select_option(label="Secretariat")
    page.wait_for_url(re.compile(r"/mandates/\?actor=secretariat$"))
    expect(page.locator("#result-count")).to_have_text("20 mandates")
    page.get_by_label("Search text").fill("joint activities")
    page.wait_for_url(re.compile(r"q=joint\+activities"))
    expect(page.locator("#mandate-results tbody tr").first).to_be_visible()
    assert was_not_reloaded(page)

    mandate = mandate_27(seed)
    page.get_by_role("link", name="Paragraph 27, Secretariat").click()
    page.wait_for_url(f"**{mandate.get_absolute_url()}")
    mark_document(page)
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_label("Progress").fill("40")
    page.get_by_label("Narrative").fill("Joint BLG work plan agreed in Bonn.")
    page.get_by_label("Evidence").fill("https://www.cms.int/en/document/blg-work-plan")
    page.get_by_role("button", name="Save update").click()

    expect(page.get_by_text("Update saved.")).to_be_visible()
    expect(page.get_by_text("Update saved.")).to_be_focused()
    timeline = page.locator("ol.timeline li").first
    expect(timeline).to_contain_text("secretariat")
    expect(timeline).to_contain_text("Not started")
    expect(timeline).to_contain_text("In progress")
    expect(timeline).to_contain_text("Joint BLG work plan agreed in Bonn.")
    expect(timeline.get_by_role("link", name="https://www.cms.int/en/document/blg-work-plan"))
    expect(page.locator("#mandate-meta")).to_contain_text("Progress: 40%")
    assert was_not_reloaded(page)
    assert Mandate.objects.get(pk=mandate.pk).status == "in_progress"

    page.get_by_role("link", name="Dashboard").click()
    changes = page.locator("section", has=page.locator("#changes-heading"))
    expect(changes).to_contain_text("Changed since StC53")
    expect(changes).to_contain_text("Joint BLG work plan agreed in Bonn.")
    expect(changes.get_by_role("link", name=re.compile(r"¶27"))).to_be_visible()
    status_chart = page.get_by_role("img", name="Mandates by status").first
    expect(status_chart).to_be_visible()
    assert "In progress: 1" in status_chart.locator("desc").text_content()
    assert failed == []


def test_a_stale_form_is_refused_in_a_second_browser(browser, live_server, seed):
    make_secretariat("secretariat")
    make_secretariat("colleague")
    mandate = mandate_27(seed)
    tabs = []
    for username in ("secretariat", "colleague"):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        tab = context.new_page()
        sign_in(tab, username)
        tab.goto(mandate.get_absolute_url())
        tabs.append(tab)
    mine, theirs = tabs
    try:
        # Both opened the form at version 0; the colleague saves first.
        theirs.get_by_label("Status").select_option(label="Completed")
        theirs.get_by_label("Narrative").fill("Closed: MoU signed with UNEP-WCMC.")
        theirs.get_by_role("button", name="Save update").click()
        expect(theirs.get_by_text("Update saved.")).to_be_visible()

        mine.get_by_label("Status").select_option(label="Delayed")
        mine.get_by_label("Narrative").fill("Waiting for the partner's board.")
        mine.get_by_role("button", name="Save update").click()
        notice = mine.get_by_role("alert")
        expect(notice).to_contain_text("someone else updated this mandate first")
        expect(notice).to_contain_text("colleague")
        expect(notice).to_contain_text("Completed")
        expect(notice).to_contain_text("Closed: MoU signed with UNEP-WCMC.")
        # Nothing overwritten; the typed input is still there.
        expect(mine.get_by_label("Narrative")).to_have_value("Waiting for the partner's board.")
        expect(mine.get_by_label("Status")).to_have_value("delayed")
        fresh = Mandate.objects.get(pk=mandate.pk)
        assert (fresh.status, fresh.version) == ("completed", 1)
        expect(mine.locator("ol.timeline li").first).to_contain_text("Closed: MoU signed")
    finally:
        for tab in tabs:
            tab.context.close()


def test_everything_works_without_javascript(browser, live_server, seed, secretariat_user):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, "secretariat")
        page.goto("/mandates/")
        page.get_by_label("Actor", exact=True).select_option(label="Biodiversity Liaison Group")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"/mandates/\?actor=blg$"))
        expect(page.locator("#result-count")).to_have_text("4 mandates")

        # Bulk update: tick two rows, one status, one narrative.
        rows = page.locator("#mandate-results tbody tr")
        rows.nth(0).get_by_role("checkbox").check()
        rows.nth(1).get_by_role("checkbox").check()
        bulk = page.locator("fieldset.bulk-bar")
        bulk.get_by_label("Status").select_option(label="Ongoing")
        bulk.get_by_label("Narrative").fill("Standing agenda item of the BLG.")
        bulk.get_by_role("button", name="Update selected").click()
        page.wait_for_url(re.compile(r"/mandates/\?actor=blg$"))
        expect(page.get_by_text("2 mandates set to Ongoing.")).to_be_visible()
        assert (
            StatusUpdate.objects.filter(narrative="Standing agenda item of the BLG.").count() == 2
        )

        mandate = mandate_27(seed)
        page.goto(mandate.get_absolute_url())
        page.get_by_label("Progress").fill("140")
        page.get_by_role("button", name="Save update").click()
        expect(page.locator("#id_progress_error")).to_contain_text("less than or equal to 100")
        page.get_by_label("Progress").fill("100")
        page.get_by_label("Status").select_option(label="Completed")
        page.get_by_label("Narrative").fill("Report delivered to StC.")
        page.get_by_label("Evidence").fill("https://www.cms.int/en/document/stc-report")
        page.get_by_role("button", name="Save update").click()
        page.wait_for_url(f"**{mandate.get_absolute_url()}")
        expect(page.get_by_text("Update saved.")).to_be_visible()
        expect(page.locator("ol.timeline li").first).to_contain_text("Report delivered to StC.")
        assert Mandate.objects.get(pk=mandate.pk).status == "completed"
    finally:
        context.close()


def test_bulk_update_with_htmx_and_select_all(page, seed, secretariat_user):
    sign_in(page, "secretariat")
    page.goto("/mandates/?actor=blg")
    mark_document(page)
    page.get_by_label("Select all mandates on this page").check()
    expect(page.locator("#mandate-results tbody input[type=checkbox]:checked")).to_have_count(4)
    bulk = page.locator("fieldset.bulk-bar")
    bulk.get_by_label("Status").select_option(label="In progress")
    bulk.get_by_role("button", name="Update selected").click()
    expect(page.get_by_text("4 mandates set to In progress.")).to_be_visible()
    expect(page.locator('#mandate-results tbody [data-status="in_progress"]')).to_have_count(4)
    assert was_not_reloaded(page)


POST_UPDATE = """async ([url]) => {
  const headers = JSON.parse(document.body.getAttribute("hx-headers"));
  const body = new URLSearchParams({status: "completed", version: "0", narrative: "x"});
  const response = await fetch(url, {method: "POST", headers, body});
  return [response.status, new URL(response.url).pathname];
}"""


def test_a_focal_point_cannot_edit(page, seed, focal_point_user):
    mandate = mandate_27(seed)
    sign_in(page, "focal.uz")
    page.goto(mandate.get_absolute_url())
    expect(page.locator("ol.timeline, .empty").first).to_be_visible()
    expect(page.get_by_role("button", name="Save update")).to_have_count(0)
    page.goto("/mandates/")
    expect(page.get_by_role("button", name="Update selected")).to_have_count(0)
    expect(page.locator('input[name="mandates"]')).to_have_count(0)
    # Posting anyway (with a valid CSRF token) is refused.
    page.goto(mandate.get_absolute_url())
    for url in (f"/mandates/{mandate.pk}/update/", "/mandates/bulk-update/"):
        status, _ = page.evaluate(POST_UPDATE, [url])
        assert status == 403
    assert StatusUpdate.objects.count() == 0


def test_an_anonymous_visitor_cannot_edit(page, seed):
    mandate = mandate_27(seed)
    page.goto(mandate.get_absolute_url())
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("button", name="Save update")).to_have_count(0)
    expect(page.get_by_label("Narrative")).to_have_count(0)
    status, path = page.evaluate(POST_UPDATE, [f"/mandates/{mandate.pk}/update/"])
    assert (status, path) == (200, "/accounts/login/")
    assert StatusUpdate.objects.count() == 0
