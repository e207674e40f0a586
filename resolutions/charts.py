"""Geometry of the dashboard's server-rendered SVG charts; the templates draw them
(templates/resolutions/includes/bar_chart.html). Pure Python, no queries.

Horizontal positions are percentages of the chart's width, so a chart fills any screen
while its text keeps a readable size; each row is a label line above its bar. Every chart
carries a text alternative (its description) and the rows for a data table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from resolutions.selectors import STATUS_ORDER, ActorProgress, StatusSummary

#: Pixels per row: a line of text, then the bar.
ROW_HEIGHT = 44
BAR_OFFSET = 22
BAR_HEIGHT = 14


@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    count: int
    x: str  # percent of the chart width, formatted for SVG (never localised)
    width: str


@dataclass
class Row:
    label: str
    total: int
    y: int
    segments: list[Segment] = field(default_factory=list)

    @property
    def text_y(self) -> int:
        return self.y + BAR_OFFSET - 6

    @property
    def bar_y(self) -> int:
        return self.y + BAR_OFFSET

    @property
    def breakdown(self) -> str:
        return ", ".join(f"{s.label} {s.count}" for s in self.segments)


@dataclass
class Chart:
    title: str
    rows: list[Row]
    #: Statuses that appear, for the legend: (status, label).
    statuses: list[tuple[str, str]]
    stacked: bool = False

    @property
    def kind(self) -> str:
        """For element ids: "actor" (stacked, by actor) or "status"."""
        return "actor" if self.stacked else "status"

    @property
    def height(self) -> int:
        return max(len(self.rows), 1) * ROW_HEIGHT

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT

    @property
    def description(self) -> str:
        if self.stacked:
            parts = [f"{r.label}: {r.total} ({r.breakdown})" for r in self.rows]
        else:
            parts = [f"{r.label}: {r.total}" for r in self.rows]
        return "; ".join(parts) + "." if parts else "No mandates."


def _percent(value: float) -> str:
    return f"{value:.2f}"


def _segments(summary: StatusSummary, scale: int) -> list[Segment]:
    return [
        Segment(
            status=s["status"],
            label=s["label"],
            count=s["count"],
            x=_percent(s["offset"]),
            width=_percent(s["percent"]),
        )
        for s in summary.segments_scaled(scale)
    ]


def status_chart(summary: StatusSummary, *, title: str = "Mandates by status") -> Chart:
    """One bar per status (all of them, zeros included, so charts compare at a glance),
    scaled to the largest count."""
    scale = max([*summary.counts.values(), 1])
    rows = []
    for index, status in enumerate(STATUS_ORDER):
        count = summary.counts.get(status.value, 0)
        single = StatusSummary({status.value: count})
        rows.append(
            Row(
                label=status.label,
                total=count,
                y=index * ROW_HEIGHT,
                segments=_segments(single, scale),
            )
        )
    return Chart(title=title, rows=rows, statuses=[(s.value, s.label) for s in STATUS_ORDER])


def actor_chart(
    actors: Sequence[ActorProgress], *, title: str = "Mandates by actor and status"
) -> Chart:
    """One stacked bar per actor, segments by status, scaled to the busiest actor."""
    scale = max([*(a.summary.total for a in actors), 1])
    rows = [
        Row(
            label=item.actor.name,
            total=item.summary.total,
            y=index * ROW_HEIGHT,
            segments=_segments(item.summary, scale),
        )
        for index, item in enumerate(actors)
    ]
    present = {s.status for row in rows for s in row.segments}
    return Chart(
        title=title,
        rows=rows,
        statuses=[(s.value, s.label) for s in STATUS_ORDER if s.value in present],
        stacked=True,
    )
