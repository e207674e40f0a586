"""Template helpers for mandates: status badges, progress bars, directive highlighting."""

from __future__ import annotations

import html
import re

from django import template
from django.db.models.enums import Choices
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from resolutions import vocabulary
from resolutions.models import MandateStatus

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
