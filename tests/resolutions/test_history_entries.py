"""A mandate's history is written by a tag (`history_entries`) rather than by a template
loop: it must say exactly what the loop said, in every language and time zone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils import timezone, translation

from resolutions.models import Mandate, StatusUpdate
from resolutions.selectors import mandate_page
from resolutions.services import mandate_status_update
from resolutions.templatetags.mandates import history_entries

pytestmark = pytest.mark.django_db

#: The history as the mandate page's template wrote it before the tag.
ENTRIES_AS_THE_TEMPLATE_WROTE_THEM = """{% load i18n mandates %}{% for update in updates %}
      <li>
        <div class="when"><time datetime="{{ update.created_at|date:'c' }}">{{ update.created_at|date:"j M Y, H:i" }}</time> · <span class="who">{{ update.author.get_username|default:_("system") }}</span> · {% blocktranslate trimmed with date=update.as_of|date:"j M Y" %}as of {{ date }}{% endblocktranslate %}{% if update.source != "web" %} · {{ update.get_source_display|lower }}{% endif %}</div>
        <div class="change">{% status_badge update.previous_status %} → {% status_badge update.status %}{% if update.progress is not None %} · {{ update.progress }}%{% endif %}</div>
        {% if update.narrative %}<div class="narrative">{{ update.narrative|linebreaksbr }}</div>{% endif %}
        {% include "includes/evidence_list.html" with entry=update file_url="resolutions:evidence-download" %}
      </li>
      {% endfor %}"""  # noqa: E501


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.fixture
def history(seed, secretariat_user):
    """A mandate with entries of every kind: files and links, a narrative to escape, no
    progress and 0 %, an update from an import, and one without an author."""
    mandate = Mandate.objects.get(
        resolution=seed, paragraph__number="27", actor__slug="secretariat"
    )
    mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        expected_version=0,
        progress=0,
        narrative="<b>Plan</b> & steps\r\nSecond line\rThird",
        evidence_links=["https://example.org/a?x=1&y=<2>"],
        evidence_files=[
            SimpleUploadedFile("Report <final>.pdf", b"%PDF-1.7\n" + b"x" * 2000, "application/pdf")
        ],
        as_of=dt.date(2026, 2, 3),
    )
    mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="delayed",
        expected_version=1,
        source="import",
        as_of=dt.date(2025, 12, 31),
    )
    StatusUpdate.objects.create(
        mandate=mandate,
        version=3,
        status="completed",
        previous_status="delayed",
        progress=100,
        author=None,
        as_of=dt.date(2026, 7, 1),
        created_at=dt.datetime(2026, 7, 1, 23, 30, 5, 123456, tzinfo=dt.UTC),
    )
    return mandate


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Bogota"])
def test_the_history_says_what_the_template_said(
    history, language, zone, django_assert_num_queries
):
    updates = mandate_page(pk=history.pk).updates.all()
    assert len(updates) == 3
    with translation.override(language), timezone.override(zone):
        with django_assert_num_queries(0):  # authors and files come with the entries
            entries = history_entries(updates, file_url="resolutions:evidence-download")
        expected = Template(ENTRIES_AS_THE_TEMPLATE_WROTE_THEM).render(
            Context({"updates": updates})
        )
    assert squeezed(entries) == squeezed(expected)
    # What the comparison covers is there.
    assert "&lt;b&gt;Plan&lt;/b&gt; &amp; steps<br>Second line<br>Third" in entries
    assert 'href="https://example.org/a?x=1&amp;y=&lt;2&gt;"' in entries
    assert "Report &lt;final&gt;.pdf</a>" in entries
    assert (" · import</div>" if language == "en" else " · importation</div>") in entries
    assert ("system" if language == "en" else "système") in entries
    assert " · 0%" in entries and " · 100%" in entries


def test_the_mandate_page_shows_the_history_through_the_tag(history, client):
    html = client.get(f"/mandates/{history.pk}/").content.decode()
    assert html.count('<div class="change">') == 3
    assert '<time datetime="2026-07-01T23:30:05.123456+00:00">' in html
    assert "as of 3 Feb 2026" in html and "as of 31 Dec 2025" in html
