"""The interface in English, French and Spanish: Accept-Language honoured, <html lang>
set, a language switcher, and complete catalogues."""

from __future__ import annotations

import re
from html.parser import HTMLParser
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


# --- Every template speaks through the catalogue ---------------------------------------------

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The meeting document is compiled by a worker for the meeting, in English, the language
# the Secretariat submits it in; the rest of the interface follows the reader's language.
UNTRANSLATED_TEMPLATES = {"reporting/document/report.html"}
SKIPPED_TAGS = {"script", "style", "code", "kbd", "samp"}
CHECKED_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
WORDS = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")


class _TextCollector(HTMLParser):
    """Collects the text a reader sees: text nodes outside <script>, <style> and code
    (commands and identifiers stay as they are) and the attributes read aloud or shown on
    hover."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skip += 1
        self.found.extend(v for k, v in attrs if k in CHECKED_ATTRIBUTES and v)

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def untranslated_text(source: str) -> list[str]:
    """Literal words in a template that do not go through {% translate %} or
    {% blocktranslate %}: variables and translated strings count as translated."""
    from django.template.base import Lexer, TokenType

    parts: list[str] = []
    depth = 0  # inside {% blocktranslate %} or {% comment %}
    for token in Lexer(source).tokenize():
        content = token.contents.split(" ", 1)[0] if token.token_type == TokenType.BLOCK else ""
        if content in ("blocktranslate", "blocktrans", "comment"):
            depth += 1
            parts.append("\u00a7")
        elif content in ("endblocktranslate", "endblocktrans", "endcomment"):
            depth -= 1
        elif depth:
            continue
        elif token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        elif token.token_type == TokenType.VAR or content in ("translate", "trans"):
            parts.append("\u00a7")
    collector = _TextCollector()
    collector.feed("".join(parts))
    collector.close()
    return [text.strip() for text in collector.found if WORDS.search(text)]


def test_untranslated_text_finds_literal_words_only():
    assert untranslated_text('<p>{% translate "Save" %} {{ n }}</p>') == []
    assert untranslated_text("{% blocktranslate %}Of {{ n }}{% endblocktranslate %}") == []
    assert untranslated_text('<p title="Filters">PDF §</p>') == ["Filters"]
    assert untranslated_text("<p>{{ a }} of {{ b }}</p>") == ["\u00a7 of \u00a7"]
    assert untranslated_text("<script>let x = 1;</script>{# note #}") == []
    assert untranslated_text("<p>{% translate 'Run' %} <code>make run</code></p>") == []


@pytest.mark.parametrize(
    "name",
    sorted(
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if str(p.relative_to(TEMPLATES)) not in UNTRANSLATED_TEMPLATES
    ),
)
def test_every_template_text_is_translatable(name):
    assert untranslated_text((TEMPLATES / name).read_text()) == []
