"""Template filters of the synergies feature: citations in a paragraph become links."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from resolutions import references

register = template.Library()


@register.filter
def cross_references(text: str, symbols: Mapping[tuple[str, str], object] | None) -> SafeString:
    """`text` escaped, with each citation of a known resolution or decision ("Resolution
    12.3", "UNEP/CMS/Resolution 12.3", "Decision 14.11") linked to its page. `symbols`
    is `selectors.resolution_symbols()`; unknown citations and document symbols stay
    plain text."""
    text = str(text or "")
    symbols = symbols or {}
    html = SafeString("")
    last = 0
    for citation in references.find_citations(text):
        target = symbols.get((citation.kind, citation.symbol))
        if target is None:
            continue
        html += conditional_escape(text[last : citation.start])
        html += format_html(
            '<a class="citation" href="{}" title="{}">{}</a>',
            target.get_absolute_url(),  # type: ignore[attr-defined]
            str(target),
            citation.text,
        )
        last = citation.end
    # SafeString + SafeString stays safe: every part is escaped or built by format_html.
    return html + conditional_escape(text[last:])
