"""Template helpers for the Party pages."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from resolutions.models import Mandate
from resolutions.templatetags.mandates import status_badge, verb_label

register = template.Library()

#: Words of a paragraph's text shown under what is asked.
EXCERPT_WORDS = 45


def _sentence(translated: str, **values: object) -> SafeString:
    """A translated sentence with its values filled in, as {% blocktranslate %} does it:
    the sentence is the catalogue's (markup included), the values come escaped."""
    return mark_safe(translated % values)  # noqa: S308  # nosec


@register.simple_tag
def party_obligation_rows(
    mandates: Iterable[Mandate], *, party_url: str, mandates_url: str, can_report: bool
) -> SafeString:
    """The rows of a Party's obligations table, one per mandate (annotated as
    `partners.selectors.party_obligations`): what is asked, the Party's latest status and
    the Secretariat's. Written here rather than in the template: a page has about fifty,
    and the template's per-row tags (two translated sentences, dates, filters) were half
    of the page's time. The output is what those tags gave: every value escaped, the
    translated sentences taken as the catalogue has them (`_sentence`)."""
    as_of = gettext("as of %(date)s")
    report = gettext('Report<span class="visually-hidden"> on paragraph %(label)s</span>')
    rows = []
    for m in mandates:
        label = m.paragraph.label
        cells = [status_badge(m.party_status, m.party_status_label)]
        if m.party_as_of:
            date = escape(formats.date_format(m.party_as_of, "j M Y"))
            cells.append(format_html('<div class="meta">{}</div>', _sentence(as_of, date=date)))
        if m.party_narrative:
            cells.append(
                format_html(
                    '<div class="narrative">{}</div>', linebreaksbr(m.party_narrative, True)
                )
            )
        if m.party_version:
            reports = _sentence(
                ngettext(
                    "%(n)s report, with its evidence",
                    "%(n)s reports, with their evidence",
                    m.party_version,
                ),
                n=m.party_version,
            )
            cells.append(
                format_html(
                    '<a class="no-print" href="{}mandates/{}/">{}</a>', party_url, m.pk, reports
                )
            )
        if can_report:
            cells.append(
                format_html(
                    '<a class="button no-print" href="{}mandates/{}/report/">{}</a>',
                    party_url,
                    m.pk,
                    _sentence(report, label=escape(label)),
                )
            )
        # The cells and the rows are built of escaped values (format_html, status_badge,
        # _sentence): joining them keeps them safe.
        rows.append(
            format_html(
                '<tr id="m{pk}" data-mandate="{pk}">'
                '<td class="num"><a href="{mandates_url}{pk}/">{label}</a></td>'
                '<td><span class="verb {strength}">{verb}</span> {actor}'
                '<div class="excerpt">{excerpt}</div></td>'
                '<td class="party-status">{party}</td>'
                "<td>{status}</td></tr>",
                pk=m.pk,
                mandates_url=mandates_url,
                label=label,
                strength=m.strength,
                verb=verb_label(m.verb),
                actor=m.actor.name,
                excerpt=Truncator(m.paragraph.text).words(EXCERPT_WORDS, truncate=" …"),
                party=mark_safe("".join(cells)),  # noqa: S308  # nosec
                status=status_badge(m.status),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec
