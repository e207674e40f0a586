"""Template helpers for the Party pages."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from resolutions.models import Mandate
from resolutions.templatetags.mandates import (
    escaped,
    linebreaks_escaped,
    status_badge,
    verb_label,
)

register = template.Library()

#: Words of a paragraph's text shown under what is asked.
EXCERPT_WORDS = 45


def _sentence(translated: str, **values: object) -> str:
    """A translated sentence with its values filled in, as {% blocktranslate %} does it:
    the sentence is the catalogue's (markup included), the values come escaped."""
    return translated % values


@register.simple_tag
def party_obligation_rows(
    mandates: Iterable[Mandate], *, party_url: str, mandates_url: str, can_report: bool
) -> SafeString:
    """The rows of a Party's obligations table, one per mandate (annotated as
    `partners.selectors.party_obligations`): what is asked, the Party's latest status and
    the Secretariat's. Written here rather than in the template: a page has about fifty,
    and the template's per-row tags (two translated sentences, dates, filters) were half
    of the page's time. The output is what those tags gave: every value escaped (`escaped`),
    the translated sentences taken as the catalogue has them (`_sentence`); what is shared
    by rows (addresses, sentences, dates, names) is worked out once."""
    as_of = gettext("as of %(date)s")
    report = gettext('Report<span class="visually-hidden"> on paragraph %(label)s</span>')
    party_url, mandates_url = escaped(party_url), escaped(mandates_url)
    dates: dict[object, str] = {}
    reports: dict[int, str] = {}
    names: dict[int, str] = {}
    rows = []
    for m in mandates:
        pk = int(m.pk)
        label = escaped(m.paragraph.label)
        cells = [status_badge(m.party_status, m.party_status_label)]
        if m.party_as_of:
            date = dates.get(m.party_as_of)
            if date is None:
                date = dates[m.party_as_of] = _sentence(
                    as_of, date=escaped(formats.date_format(m.party_as_of, "j M Y"))
                )
            cells.append(f'<div class="meta">{date}</div>')
        if m.party_narrative:
            narrative = linebreaks_escaped(m.party_narrative)
            cells.append(f'<div class="narrative">{narrative}</div>')
        if m.party_version:
            n = int(m.party_version)
            history = reports.get(n)
            if history is None:
                history = reports[n] = _sentence(
                    ngettext(
                        "%(n)s report, with its evidence",
                        "%(n)s reports, with their evidence",
                        n,
                    ),
                    n=n,
                )
            cells.append(f'<a class="no-print" href="{party_url}mandates/{pk}/">{history}</a>')
        if can_report:
            cells.append(
                f'<a class="button no-print" href="{party_url}mandates/{pk}/report/">'
                f"{_sentence(report, label=label)}</a>"
            )
        actor = names.get(m.actor_id)
        if actor is None:
            actor = names[m.actor_id] = escaped(m.actor.name)
        excerpt = escaped(Truncator(m.paragraph.text).words(EXCERPT_WORDS, truncate=" …"))
        rows.append(
            f'<tr id="m{pk}" data-mandate="{pk}">'
            f'<td class="num"><a href="{mandates_url}{pk}/">{label}</a></td>'
            f'<td><span class="verb {escaped(m.strength)}">{escaped(verb_label(m.verb))}</span> '
            f'{actor}<div class="excerpt">{excerpt}</div></td>'
            f'<td class="party-status">{"".join(cells)}</td>'
            f"<td>{status_badge(m.status)}</td></tr>"
        )
    # Every value in the rows is escaped above or by status_badge.
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec
