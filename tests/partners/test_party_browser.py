"""Focal points in a real headless Chromium: a focal point signs in, sees only their own
country's obligations as editable, reports, and the report shows on the public page;
another Party's focal point is refused on every path (page, form post, API)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from partners.models import PartyStatus
from resolutions.models import Mandate
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def first_party_mandate(seed) -> Mandate:
    return (
        Mandate.objects.filter(resolution=seed, actor__slug="parties")
        .order_by("paragraph__order", "position")
        .first()
    )


def test_focal_point_reports_for_their_country_and_the_public_page_shows_it(
    page, browser, live_server, seed, focal_point_user, other_focal_point_user
):
    mandate = first_party_mandate(seed)
    party_mandates = Mandate.objects.filter(resolution=seed, actor__slug="parties").count()
    sign_in(page, "focal.uz")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Parties").click()
    page.get_by_role("link", name="Uzbekistan").click()
    page.wait_for_url("**/parties/uz/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "What CMS resolutions ask of Uzbekistan"
    )
    # Editable: every obligation of Uzbekistan, and nothing on another country's page.
    expect(page.get_by_role("link", name=re.compile(r"^Report on paragraph"))).to_have_count(
        party_mandates
    )
    page.goto("/parties/br/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brazil")
    expect(page.get_by_role("link", name=re.compile(r"^Report"))).to_have_count(0)

    page.goto("/parties/uz/")
    page.get_by_role(
        "link", name=f"Report on paragraph {mandate.paragraph.label}", exact=True
    ).first.click()
    page.get_by_label("Status", exact=True).select_option(label="In progress")
    page.get_by_label("Narrative").fill("National synergies working group meets quarterly.")
    page.get_by_label("Evidence").fill("https://example.org/uz/working-group")
    page.get_by_label("Files").set_input_files(
        {"name": "terms-of-reference.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n"}
    )
    report_page = page.url
    page.get_by_role("button", name="Save report").click()
    # Saved in place (htmx): the outcome has the focus, the history shows the report and
    # its file, and the form is based on the new version.
    saved = page.get_by_role("status").filter(has_text="Report saved.")
    expect(saved).to_be_focused()
    history = page.locator("#party-history")
    expect(history).to_contain_text("National synergies working group meets quarterly.")
    expect(history.get_by_role("link", name="terms-of-reference.pdf")).to_be_visible()
    expect(page.locator("input[name=version]")).to_have_value("1")
    assert page.url == report_page
    saved.get_by_role("link", name="Back to Uzbekistan's page").click()
    page.wait_for_url(re.compile(r"/parties/uz/#m\d+$"))

    # The public (signed-out) page shows the report beside the Secretariat's status.
    visitor = browser.new_context(base_url=live_server.url)
    public = visitor.new_page()
    public.goto("/parties/uz/")
    row = public.locator(f"#m{mandate.pk}")
    expect(row).to_contain_text("In progress")
    expect(row).to_contain_text("National synergies working group meets quarterly.")
    expect(public.get_by_role("link", name=re.compile(r"^Report"))).to_have_count(0)
    # Its history page offers the file to anyone.
    row.get_by_role("link", name="1 report, with its evidence").click()
    with public.expect_download() as download:
        public.get_by_role("link", name="terms-of-reference.pdf").click()
    assert download.value.suggested_filename == "terms-of-reference.pdf"
    visitor.close()
    status = PartyStatus.objects.get()
    assert (status.party.iso2, status.author.username) == ("UZ", "focal.uz")


def test_another_partys_focal_point_is_refused_on_every_path(
    page, seed, focal_point_user, other_focal_point_user
):
    mandate = first_party_mandate(seed)
    sign_in(page, "focal.br")
    report = f"/parties/uz/mandates/{mandate.pk}/report/"

    # The page.
    response = page.goto(report)
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()

    # The form post, with a valid CSRF token (taken from Brazil's own form): refused by
    # the role check, not by CSRF.
    page.goto(f"/parties/br/mandates/{mandate.pk}/report/")
    token = page.locator("form.status-form input[name=csrfmiddlewaretoken]").get_attribute("value")
    posted = page.request.post(
        report,
        form={
            "csrfmiddlewaretoken": token,
            "status": "implemented",
            "narrative": "Not Brazil's to say.",
            "version": "0",
        },
    )
    assert posted.status == 403
    assert "Your account may not do this." in posted.text()
    assert "CSRF verification failed" not in posted.text()

    # The API, with the session and its CSRF token.
    api = page.request.post(
        "/api/v1/parties/UZ/statuses/",
        data={"mandate": mandate.pk, "status": "implemented"},
        headers={"X-CSRFToken": token},
    )
    assert api.status == 403
    assert "Uzbekistan's focal points" in api.json()["detail"]
    assert not PartyStatus.objects.exists()

    # Brazil's own report goes through, by the same means.
    own = page.request.post(
        "/api/v1/parties/BR/statuses/",
        data={"mandate": mandate.pk, "status": "in_progress"},
        headers={"X-CSRFToken": token},
    )
    assert own.status == 201
    assert PartyStatus.objects.get().party.iso2 == "BR"
