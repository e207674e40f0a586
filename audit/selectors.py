"""Reads of the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from pghistory.models import Events

from audit.models import EVENT_MODELS

#: Event model label ("audit.MandateEvent") -> the name the page shows and filters by.
_TYPE_BY_LABEL = {model._meta.label: name for name, model in EVENT_MODELS.items()}


def audit_events() -> QuerySet[Events]:
    """Every audit event of every tracked table, newest first (one SQL query per page)."""
    return (
        Events.objects.across(*EVENT_MODELS.values())
        .order_by("-pgh_created_at", "-pgh_id")
        .only(
            "pgh_slug",
            "pgh_model",
            "pgh_obj_model",
            "pgh_obj_id",
            "pgh_created_at",
            "pgh_label",
            "pgh_data",
            "pgh_diff",
            "pgh_context",
        )
    )


@dataclass
class AuditRow:
    when: datetime
    action: str
    object_type: str
    object_id: str
    user: Any
    url: str
    method: str
    command: str
    #: (field, old, new): old is None for an insert, new is None for a delete.
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


#: Bookkeeping columns shown nowhere.
_HIDDEN = {"pgh_id", "pgh_obj_id", "pgh_created_at", "pgh_label", "pgh_context_id"}


def audit_rows(events: list[Events]) -> list[AuditRow]:
    """The page's rows, with the acting users fetched in one query."""
    user_ids = {
        (event.pgh_context or {}).get("user")
        for event in events
        if (event.pgh_context or {}).get("user") is not None
    }
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}
    rows = []
    for event in events:
        context = event.pgh_context or {}
        data = {k: v for k, v in (event.pgh_data or {}).items() if k not in _HIDDEN}
        if event.pgh_label == "insert":
            changes = [(k, None, v) for k, v in sorted(data.items())]
        elif event.pgh_label == "delete":
            changes = [(k, v, None) for k, v in sorted(data.items())]
        else:
            changes = [(k, old, new) for k, (old, new) in sorted((event.pgh_diff or {}).items())]
        rows.append(
            AuditRow(
                when=event.pgh_created_at,
                action=event.pgh_label.replace("_", " "),
                object_type=_TYPE_BY_LABEL.get(event.pgh_model, event.pgh_obj_model),
                object_id=event.pgh_obj_id or "",
                user=users.get(context.get("user")),
                url=context.get("url", ""),
                method=context.get("method", ""),
                command=context.get("command", ""),
                changes=changes,
            )
        )
    return rows
