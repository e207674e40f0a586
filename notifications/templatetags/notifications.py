"""`{% follow_button target %}`: a follow / stop following button for a mandate,
resolution or Party (signed-in users; one query)."""

from __future__ import annotations

from typing import Any

from django import template

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/follow_button.html", takes_context=True)
def follow_button(context: template.Context, target: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "target": target,
        "kind": target._meta.model_name,
        "following": selectors.is_following(user=user, target=target),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
