"""The interface in English, French and Spanish: Accept-Language honoured, <html lang>
set, a language switcher, and complete catalogues."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from playwright.sync_api import expect

LOCALE = Path(settings.BASE_DIR) / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%d|\{\w*\}")


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_string_is_translated_with_its_placeholders(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(catalogue) > 50
    assert not catalogue.fuzzy_entries(), [e.msgid for e in catalogue.fuzzy_entries()]
    for entry in catalogue:
        if entry.msgid_plural:
            forms = list(entry.msgstr_plural.values())
            assert forms and all(forms), entry.msgid
            assert all(
                sorted(PLACEHOLDER.findall(f)) == sorted(PLACEHOLDER.findall(entry.msgid_plural))
                for f in forms
            ), entry.msgid
        else:
            assert entry.msgstr, entry.msgid
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(
                PLACEHOLDER.findall(entry.msgid)
            ), entry.msgid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "lang", "word"),
    [("fr-CH,fr;q=0.9", "fr", "Tableau de bord"), ("es", "es", "Panel"), ("de", "en", "Dashboard")],
)
def test_accept_language_picks_the_interface_language(client, seed, header, lang, word):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert f">{word}</a>" in html
    assert response["Content-Language"] == lang


@pytest.mark.django_db
def test_api_errors_follow_accept_language(client):
    response = client.get("/api/v1/mandates/?page_size=0", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_language_switcher_changes_and_keeps_the_language(page, seed):
    page.goto(seed.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language", exact=True).select_option("fr")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_url(f"**{seed.get_absolute_url()}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()
    # The choice is kept from page to page, over the browser's own language.
    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    page.get_by_label("Langue", exact=True).select_option("es")
    page.get_by_role("button", name="Changer de langue").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Panel", level=1)).to_be_visible()
