"""Template helpers for mandates: status badges, progress bars, directive highlighting."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections.abc import Iterable

from django import template
from django.db.models.enums import Choices
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from resolutions import vocabulary
from resolutions.models import MandateStatus, UpdateSource

register = template.Library()

#: Choice labels translated, by (choices, language, value): a lazy label is looked up in
#: the catalogue each time it is shown, a third of a badge's cost, and a report cites
#: hundreds of thousands of them.
_TRANSLATED_LABELS: dict[tuple[type[Choices], str | None, str], str] = {}


def translated_label(choices: type[Choices], value: str) -> str:
    """The label of `value` among `choices` in the active language (`value` if none)."""
    key = (choices, translation.get_language(), value)
    label = _TRANSLATED_LABELS.get(key)
    if label is None:
        label = _TRANSLATED_LABELS[key] = str(dict(choices.choices).get(value, value))
    return label


def _status_label(status: str) -> str:
    return translated_label(MandateStatus, status)


def escaped(value: object) -> str:
    """`value` escaped for HTML exactly as django.utils.html.escape writes it, without that
    function's check of every argument for a lazy string (for tags that write hundreds of
    values, the check cost more than the escaping)."""
    return html.escape(str(value))


@register.simple_tag
def status_badge(status: str, label: str = "") -> SafeString:
    """A status as a badge. A plain tag rather than an included template: a Party page or
    a report shows hundreds of thousands."""
    text = escaped(label or _status_label(status))
    return mark_safe(f'<span class="badge" data-status="{escaped(status)}">{text}</span>')  # noqa: S308 - both parts escaped  # nosec


_NEWLINES = re.compile(r"\r\n|\r")


def linebreaks_escaped(text: str) -> str:
    """`text` as the linebreaksbr filter writes it: newlines normalised, escaped, <br>."""
    return escaped(_NEWLINES.sub("\n", text)).replace("\n", "<br>")


@register.simple_tag
def history_entries(updates: Iterable, *, file_url: str) -> SafeString:
    """The entries of a mandate's history (status updates, newest first, their authors and
    files prefetched), each an `<li>` of the timeline: when and by whom, the change, the
    narrative and the evidence, the files downloaded through `file_url` (a URL name taking
    the file's id). Written here rather than in the template: a mandate's history runs to
    a hundred entries at the scale of the whole Convention, and the template's per-entry
    tags (dates, a translated sentence, an included template) were most of the page's
    time. The output is what those tags gave; what entries share (dates, labels) is worked
    out once."""
    as_of = gettext("as of %(date)s")
    system = gettext("system")
    # Each worked out once a call (the active language and time zone hold for the call):
    # looked up per entry, they were most of a hundred-entry page.
    badge = functools.cache(status_badge)

    @functools.cache
    def source(value: str) -> str:
        return escaped(translated_label(UpdateSource, value).lower())

    @functools.cache
    def month(number: int) -> str:
        return formats.date_format(dt.date(2000, number, 1), "M")

    @functools.cache
    def day(value: dt.date) -> str:
        """`value|date:"j M Y"`: entries rarely share a day, and the date filter looks the
        month's name up (translated) every time."""
        return f"{value.day} {month(value.month)} {value.year:04d}"

    entries = []
    for update in updates:
        created = update.created_at
        if timezone.is_aware(created):
            created = timezone.localtime(created)
        author = update.author
        who = escaped(author.get_username()) if author is not None else ""
        when = (
            f'<div class="when"><time datetime="{created.isoformat()}">'
            f"{day(created.date())}, {created:%H:%M}</time> · "
            f'<span class="who">{who or system}</span> · '
            f"{as_of % {'date': escaped(day(update.as_of))}}"
        )
        if update.source != "web":
            when += f" · {source(update.source)}"
        change = f"{badge(update.previous_status)} → {badge(update.status)}"
        if update.progress is not None:
            change += f" · {int(update.progress)}%"
        parts = [f"<li>{when}</div>", f'<div class="change">{change}</div>']
        if update.narrative:
            parts.append(f'<div class="narrative">{linebreaks_escaped(update.narrative)}</div>')
        files = getattr(update, "file_list", None)
        if files is None:
            files = update.files.all()
        if update.evidence_links or files:
            items = [
                f'<li><a href="{escaped(link)}" rel="noopener noreferrer nofollow">'
                f"{escaped(link)}</a></li>"
                for link in update.evidence_links
            ]
            items += [
                f'<li><a href="{escaped(reverse(file_url, args=[f.pk]))}" download>'
                f'{escaped(f.original_name)}</a> <span class="meta">'
                f"({escaped(filesizeformat(f.size))})</span></li>"
                for f in files
            ]
            parts.append(f'<ul class="evidence">{"".join(items)}</ul>')
        parts.append("</li>")
        entries.append("\n".join(parts))
    # Every value above is escaped, or a badge (escaped by status_badge) or a number.
    return mark_safe("\n".join(entries))  # noqa: S308  # nosec


@register.inclusion_tag("includes/status_bar.html")
def status_bar(summary, size: str = "") -> dict[str, object]:
    return {"summary": summary, "size": size}


@register.filter
def highlight_directive(text: str, mandate) -> SafeString:
    """The paragraph text, escaped, with the mandate's verb phrase and addressee phrase
    marked. Only the first occurrence of each is marked, at or after the verb."""
    escaped = escape(text)
    marks = []
    start = 0
    for phrase, css in (
        (mandate.verb_phrase, "mark-verb"),
        (mandate.addressee_phrase, "mark-actor"),
    ):
        if not phrase:
            continue
        match = re.compile(re.escape(escape(phrase))).search(escaped, start)
        if match is None:
            continue
        marks.append((match.start(), match.end(), css))
        start = match.end()
    out, last = [], 0
    for begin, end, css in sorted(marks):
        out.append(escaped[last:begin])
        out.append(format_html('<mark class="{}">{}</mark>', css, mark_safe(escaped[begin:end])))  # noqa: S308 - escaped above  # nosec
        last = end
    out.append(escaped[last:])
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped  # nosec


@register.filter
def verb_label(verb: str) -> str:
    """The verb as read in a sentence: call_on -> calls on, request -> requests."""
    words = verb.split("_")
    head = words[0]
    if head == "shall":
        return "shall"
    head = head + ("es" if head.endswith(("s", "sh", "ch")) else "s")
    return " ".join([head, *words[1:]])


@register.filter
def verb_strength(verb: str) -> str:
    """directive, exhortation or declaratory."""
    return vocabulary.strength_of(verb)
