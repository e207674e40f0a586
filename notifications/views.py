"""The in-app notification list, mark-read, the delivery choice, follow and unfollow.
Thin: a selector or a service, a template or a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.models import Delivery

PAGE_SIZE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread": selectors.unread_count(user=request.user),
            "delivery": selectors.delivery_for_user(user=request.user),
            "deliveries": Delivery.choices,
            "follows": selectors.follows_for_user(user=request.user),
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all (`all`) read."""
    if "all" in request.POST:
        services.notifications_mark_read(user=request.user)
    else:
        try:
            ids = [int(request.POST.get("id", ""))]
        except ValueError:
            messages.error(request, gettext("Nothing marked: no notification named."))
            return redirect("notifications:list")
        services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications:list")


@login_required
@require_POST
def preference(request: HttpRequest) -> HttpResponse:
    try:
        services.preference_set(user=request.user, delivery=request.POST.get("delivery", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, gettext("Delivery saved."))
    return redirect("notifications:list")


def _target(kind: str, pk: int):
    from partners.models import Party
    from resolutions.models import Mandate, Resolution

    models = {"mandate": Mandate, "resolution": Resolution, "party": Party}
    if kind not in models:
        raise Http404("Only mandates, resolutions and Parties can be followed.")
    return get_object_or_404(models[kind], pk=pk)


@login_required
@require_POST
def follow(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Follow (`follow=1`) or stop following (`follow=0`), then back to `next`."""
    target = _target(kind, pk)
    following = request.POST.get("follow") == "1"
    services.follow_set(user=request.user, target=target, following=following)
    messages.success(
        request,
        gettext("Following %(target)s.") % {"target": target}
        if following
        else gettext("No longer following %(target)s.") % {"target": target},
    )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "notifications:list"
    return redirect(next_url)
