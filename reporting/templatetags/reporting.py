"""Template helpers for meetings and progress reports."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def date_range(start: dt.date | None, end: dt.date | None) -> str:
    """A meeting's dates as documents print them: "23-29 March 2026",
    "30 March - 2 April 2026", "30 December 2025 - 2 January 2026"; blank when unknown."""
    if start is None:
        return ""
    if end is None or end == start:
        return date_format(start, "j F Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}\u2013{date_format(end, 'j F Y')}"
    if start.year == end.year:
        return f"{date_format(start, 'j F')} \u2013 {date_format(end, 'j F Y')}"
    return f"{date_format(start, 'j F Y')} \u2013 {date_format(end, 'j F Y')}"


@register.filter
def percent(part: int, whole: int) -> int:
    """part / whole as a whole percentage; 0 when whole is 0."""
    return round(100 * part / whole) if whole else 0
