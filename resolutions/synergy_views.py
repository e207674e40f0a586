"""Synergies: the Secretariat's decisions on a mandate's links (confirm, remove, add),
the `/synergies/` page and the links export. Thin: a selector or a service, a template."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from partners import permissions
from resolutions import export, selectors, services
from resolutions.filters import MandateFilter


def _curation_refused(request: HttpRequest, *, next_url: str) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(next_url)
    if not permissions.can_curate_links(request.user):
        raise PermissionDenied("Only the Secretariat may confirm or remove links.")
    return None


@require_POST
def mandate_link_decide(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    """Confirm (`action=confirm`) or remove (`action=remove`) one of a mandate's links."""
    detail_url = reverse("resolutions:mandate-detail", args=[pk]) + "#links-heading"
    if refused := _curation_refused(request, next_url=detail_url):
        return refused
    link = selectors.mandate_link_get(mandate_pk=pk, pk=link_pk)
    action = request.POST.get("action")
    if action == "confirm":
        link = services.mandate_link_confirm(link=link, user=request.user)
        messages.success(request, gettext("Link to %(target)s confirmed.") % {"target": link.label})
    elif action == "remove":
        link = services.mandate_link_remove(link=link, user=request.user)
        messages.success(
            request,
            gettext("Link to %(target)s removed; it will not be suggested again.")
            % {"target": link.label},
        )
    else:
        messages.error(request, gettext("Choose confirm or remove."))
        return redirect(detail_url, permanent=False)
    return redirect(detail_url)


@require_POST
def mandate_link_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the mandate to a convention, organisation, GBF target or SDG (confirmed)."""
    detail_url = reverse("resolutions:mandate-detail", args=[pk]) + "#links-heading"
    if refused := _curation_refused(request, next_url=detail_url):
        return refused
    mandate = selectors.mandate_page(pk=pk)
    target = selectors.link_target_get(value=request.POST.get("target", ""))
    if target is None:
        messages.error(
            request, gettext("Not linked: choose a convention, organisation, target or goal.")
        )
        return redirect(detail_url)
    try:
        link = services.mandate_link_add(mandate=mandate, user=request.user, **target)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(detail_url)
    messages.success(request, gettext("Linked to %(target)s.") % {"target": link.label})
    return redirect(detail_url)


# --- The synergies page and the export --------------------------------------------------

TARGET_PARAMS = ("organisation", "gbf_target", "sdg")


def synergies(request: HttpRequest) -> HttpResponse:
    """Start from a convention or organisation, a GBF target or an SDG and see every
    mandate linked to it across resolutions; and which resolutions cite which."""
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v]
        if kept:
            params.setlist(key, kept)
    unknown = sorted(set(params) - {*TARGET_PARAMS, "link_state"})
    filterset = MandateFilter(params, queryset=selectors.synergy_mandates(), request=request)
    chosen = any(params.get(p) for p in TARGET_PARAMS)
    groups: list[dict[str, object]] = []
    errors: list[str] = [
        gettext("Unknown parameter “%(name)s”.") % {"name": name} for name in unknown
    ]
    if not filterset.is_valid():
        errors += [f"{field}: {' '.join(msgs)}" for field, msgs in filterset.errors.items()]
    elif chosen and not errors:
        by_resolution: dict[int, dict[str, object]] = {}
        for mandate in filterset.qs:
            group = by_resolution.setdefault(
                mandate.resolution_id, {"resolution": mandate.resolution, "mandates": []}
            )
            group["mandates"].append(mandate)  # type: ignore[attr-defined]
        groups = list(by_resolution.values())
    targets = selectors.synergy_targets()
    selected = [t for kind in TARGET_PARAMS for t in targets[kind] if t.key in params.getlist(kind)]
    selected_text = ""
    for target in selected:
        selected_text = (
            gettext("%(first)s and %(next)s") % {"first": selected_text, "next": target.label}
            if selected_text
            else target.label
        )
    return render(
        request,
        "resolutions/synergies.html",
        {
            "targets": targets,
            "selected": selected,
            "selected_text": selected_text,
            "params": params,
            "link_state": params.get("link_state", ""),
            "chosen": chosen,
            "groups": groups,
            "mandate_count": sum(len(g["mandates"]) for g in groups),  # type: ignore[arg-type]
            "errors": errors,
            "citations": selectors.citation_map(),
        },
        status=400 if errors else 200,
    )


def paragraph_uri(request: HttpRequest, pk: int) -> HttpResponse:
    """The stable address of a paragraph (the export's `@id`): its place on the
    resolution page."""
    paragraph = selectors.paragraph_get(pk=pk)
    return redirect(f"{paragraph.resolution.get_absolute_url()}#para-{paragraph.pk}")


def synergies_export(request: HttpRequest) -> HttpResponse:
    """Every paragraph's links as JSON-LD, for InforMEA-style harvesters; see README
    "Synergies". `?state=confirmed` leaves suggestions out."""
    state = request.GET.get("state", "")
    unknown = sorted(set(request.GET) - {"state"})
    if unknown or state not in ("", "confirmed", "suggested"):
        return JsonResponse(
            {
                "type": "about:blank",
                "title": "Bad request",
                "status": 400,
                "detail": "Accepted: state=confirmed or state=suggested.",
            },
            status=400,
            content_type="application/problem+json",
        )
    document = export.links_document(
        links=selectors.export_links(state=state or None),
        absolute=request.build_absolute_uri,
    )
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Type"] = "application/ld+json; charset=utf-8"
    return response
