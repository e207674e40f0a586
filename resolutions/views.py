"""Pages: home, resolution, actor, mandate and revision-changes pages (public), and the
Secretariat workspace (mandate list, status updates, bulk updates, dashboard). Thin: a selector or a
service, a template."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from partners import permissions
from resolutions import charts, revisions, selectors, services
from resolutions.evidence import evidence_response
from resolutions.filters import MandateFilter
from resolutions.forms import BulkStatusForm, MandateStatusForm
from resolutions.models import Mandate, MandateStatus


def home(request: HttpRequest) -> HttpResponse:
    resolutions = list(selectors.resolutions_overview())
    for resolution in resolutions:
        resolution.summary = selectors.summary_from_row(resolution)
    totals = selectors.status_summary(
        Mandate.objects.filter(resolution__in=[r.pk for r in resolutions])
    )
    return render(request, "home.html", {"resolutions": resolutions, "totals": totals})


def resolution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.resolution_page(pk=pk, language=get_language() or "en")
    translations = selectors.resolution_translations(resolution=page.resolution)
    return render(
        request,
        "resolutions/resolution_detail.html",
        {
            "page": page,
            "translations": translations,
            "can_import_translation": permissions.can_edit_resolutions(request.user),
        },
    )


def actor_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "resolutions/actor_list.html", {"actors": selectors.actors_with_counts()}
    )


def actor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    actor = selectors.actor_get(slug=slug)
    mandates = list(selectors.mandates_for_actor(actor=actor))
    summary = selectors.StatusSummary()
    for mandate in mandates:
        summary.counts[mandate.status] = summary.counts.get(mandate.status, 0) + 1
    groups: dict[int, dict] = {}
    for mandate in mandates:
        group = groups.setdefault(
            mandate.resolution_id, {"resolution": mandate.resolution, "mandates": []}
        )
        group["mandates"].append(mandate)
    return render(
        request,
        "resolutions/actor_detail.html",
        {"actor": actor, "groups": list(groups.values()), "summary": summary},
    )


def mandate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = selectors.mandate_page(pk=pk)
    return render(request, "resolutions/mandate_detail.html", _mandate_context(request, mandate))


def resolution_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """What a revision changed, paragraph by paragraph, against the text it superseded."""
    resolution, differences = selectors.resolution_changes(pk=pk)
    if resolution.supersedes is None:
        raise Http404("This resolution does not supersede another one.")
    return render(
        request,
        "resolutions/resolution_changes.html",
        {
            "resolution": resolution,
            "differences": differences,
            "summary": revisions.summary(differences),
        },
    )


# --- Secretariat workspace: mandate list, status updates, bulk updates, dashboard --------
#
# Every page works without JavaScript (plain GET forms, POST + redirect); with HTMX the
# same views answer a request for a fragment (HX-Request) with just that fragment.
# Bad input answers 400 and a stale form 409, both with the form re-rendered: the page
# templates tell htmx to swap those (meta htmx-config) instead of dropping them.

LIST_PAGE_SIZE = 50
LIST_COLUMNS = [
    ("resolution", _("Resolution")),
    ("paragraph", _("Paragraph")),
    ("actor", _("Actor")),
    ("status", _("Status")),
    ("due", _("Due")),
    ("updated", pgettext_lazy("column: when a mandate last changed", "Updated")),
]


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _edit_refused(request: HttpRequest, *, next_url: str) -> HttpResponse | None:
    """None when the user may edit mandates. Anonymous visitors are sent to the login
    page (htmx follows HX-Redirect instead of swapping the login page into the form);
    signed-in users without the right get 403."""
    if not request.user.is_authenticated:
        login = redirect_to_login(next_url)
        if is_htmx(request):
            return HttpResponse(status=401, headers={"HX-Redirect": login.url})
        return login
    if not permissions.can_edit_mandate(request.user):
        raise PermissionDenied("Only the Secretariat may update mandates.")
    return None


def _mandate_context(
    request: HttpRequest,
    mandate: Mandate,
    *,
    form: MandateStatusForm | None = None,
    **extra: object,
) -> dict[str, object]:
    can_edit = permissions.can_edit_mandate(request.user, mandate)
    if can_edit and form is None:
        form = MandateStatusForm.for_mandate(mandate)
    can_curate_links = permissions.can_curate_links(request.user)
    return {
        "mandate": mandate,
        "links": mandate.shown_links(),
        "can_curate_links": can_curate_links,
        "link_targets": selectors.link_targets() if can_curate_links else None,
        "updates": mandate.updates.all(),
        "siblings": [m for m in mandate.paragraph.mandates.all() if m.pk != mandate.pk],
        "form": form if can_edit else None,
        **extra,
    }


@require_POST
def mandate_update(request: HttpRequest, pk: int) -> HttpResponse:
    """The status update form of the mandate page (Secretariat only)."""
    detail_url = reverse("resolutions:mandate-detail", args=[pk])
    if refused := _edit_refused(request, next_url=detail_url):
        return refused
    mandate = selectors.mandate_page(pk=pk)
    form = MandateStatusForm(request.POST, request.FILES)
    extra: dict[str, object] = {}
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            update = services.mandate_status_update(
                mandate=mandate,
                user=request.user,
                status=data["status"],
                expected_version=data["version"],
                progress=data["progress"],
                narrative=data["narrative"],
                evidence_links=data["evidence"],
                evidence_files=data["files"],
                as_of=data["as_of"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except services.StaleVersion as exc:
            # Nothing was written. Show what won, keep what the user typed, and base the
            # form on the version now shown: saving again is a decision made knowingly.
            mandate = selectors.mandate_page(pk=pk)
            resubmit = request.POST.copy()
            resubmit["version"] = str(mandate.version)
            form = MandateStatusForm(resubmit)
            extra = {"conflict": exc, "files_dropped": bool(data["files"])}
            status = 409
        else:
            saved = (
                gettext("Update saved.")
                if update is not None
                else gettext(
                    "Nothing to save: the status and progress are unchanged and no "
                    "narrative or evidence was given."
                )
            )
            if not is_htmx(request):
                messages.add_message(request, messages.SUCCESS if update else messages.INFO, saved)
                return redirect(detail_url)
            mandate = selectors.mandate_page(pk=pk)
            form, extra, status = None, {"saved": saved}, 200
    context = _mandate_context(request, mandate, form=form, **extra)
    if is_htmx(request):
        return render(
            request,
            "resolutions/includes/mandate_workspace.html",
            {**context, "oob": True},
            status=status,
        )
    return render(request, "resolutions/mandate_detail.html", context, status=status)


def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of a Secretariat status update, as a download."""
    return evidence_response(selectors.evidence_file_get(pk=pk))


def _clean_query(params: QueryDict) -> QueryDict:
    """The list's query without empty values: a blank select means "any"."""
    cleaned = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [v for v in values if v.strip()]
        if kept:
            cleaned.setlist(key, kept)
    return cleaned


def _sort_columns(params: QueryDict) -> list[dict[str, str]]:
    """Column headers that sort the list: a click sorts by the column, a second click
    reverses it; aria-sort says which way it is sorted now."""
    current = params.get("ordering", "")
    columns = []
    for key, label in LIST_COLUMNS:
        query = params.copy()
        query.pop("page", None)
        query["ordering"] = f"-{key}" if current == key else key
        sort = {key: "ascending", f"-{key}": "descending"}.get(current, "")
        columns.append({"key": key, "label": label, "url": f"?{query.urlencode()}", "sort": sort})
    return columns


def _mandate_list_context(
    request: HttpRequest,
    params: QueryDict,
    *,
    bulk_form: BulkStatusForm | None = None,
    selected: Iterable[int] = (),
    **extra: object,
) -> dict[str, object]:
    filterset = MandateFilter(params, queryset=selectors.mandates_list(), request=request)
    valid = filterset.is_valid()
    mandates = selectors.PickedPages(filterset.qs) if valid else Mandate.objects.none()
    page = Paginator(mandates, LIST_PAGE_SIZE).get_page(params.get("page"))
    filter_errors = [
        {
            "label": filterset.form[name].label or name,
            "value": ", ".join(params.getlist(name)),
            "messages": list(messages_),
        }
        for name, messages_ in filterset.errors.items()
    ]
    can_edit = permissions.can_edit_mandate(request.user)
    if can_edit and bulk_form is None:
        bulk_form = BulkStatusForm(
            initial={"query": params.urlencode(), "as_of": timezone.localdate()}
        )
    return {
        "filter": filterset,
        "params": params,
        "page": page,
        "filter_errors": filter_errors,
        "columns": _sort_columns(params),
        "multi": {name for name in ("resolution", "actor") if len(params.getlist(name)) > 1},
        "bulk_form": bulk_form if can_edit else None,
        "selected": set(selected),
        **extra,
    }


def _render_list(request: HttpRequest, context: dict[str, object], *, status: int) -> HttpResponse:
    if is_htmx(request):
        template = "resolutions/includes/mandate_results.html"
        context = {**context, "oob": True}
    else:
        template = "resolutions/mandate_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def mandate_list(request: HttpRequest) -> HttpResponse:
    """Every mandate of every resolution: filtered, sorted and paged by the query string
    (the MandateFilter shared with the API), so that a URL can be shared."""
    params = _clean_query(request.GET)
    clean_url = None
    if params.urlencode() != request.GET.urlencode():
        # Blank fields of the filter form: answer under the clean, shareable URL.
        clean_url = reverse("resolutions:mandate-list") + (
            f"?{params.urlencode()}" if params else ""
        )
        if not is_htmx(request):
            return redirect(clean_url)
    context = _mandate_list_context(request, params)
    response = _render_list(request, context, status=400 if context["filter_errors"] else 200)
    if clean_url:
        response["HX-Push-Url"] = clean_url
    return response


@require_POST
def mandate_bulk_update(request: HttpRequest) -> HttpResponse:
    """One status and one narrative for the mandates ticked on the list (Secretariat)."""
    list_url = reverse("resolutions:mandate-list")
    if refused := _edit_refused(request, next_url=list_url):
        return refused
    form = BulkStatusForm(request.POST)
    params = _clean_query(QueryDict(request.POST.get("query", "")))
    extra: dict[str, object] = {}
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            updates = services.mandate_status_bulk_update(
                user=request.user,
                versions=data["mandates"],
                status=data["status"],
                narrative=data["narrative"],
                as_of=data["as_of"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except services.StaleVersions as exc:
            # Nothing was written. The list is shown again as it is now, with the
            # selection and the typed status and narrative kept.
            extra, status = {"conflicts": exc.stale}, 409
        else:
            label = MandateStatus(data["status"]).label
            saved = ngettext(
                "%(count)s mandate set to %(status)s.",
                "%(count)s mandates set to %(status)s.",
                len(updates),
            ) % {"count": len(updates), "status": label}
            unchanged = len(data["mandates"]) - len(updates)
            if unchanged:
                saved += " " + ngettext(
                    "%(count)s already had that status and no narrative was given.",
                    "%(count)s already had that status and no narrative was given.",
                    unchanged,
                ) % {"count": unchanged}
            if not is_htmx(request):
                messages.success(request, saved)
                return redirect(list_url + (f"?{params.urlencode()}" if params else ""))
            form, extra, status = None, {"saved": saved}, 200
    selected = form.cleaned_data.get("mandates", {}) if form is not None else {}
    context = _mandate_list_context(request, params, bulk_form=form, selected=selected, **extra)
    return _render_list(request, context, status=status)


def dashboard(request: HttpRequest) -> HttpResponse:
    """Each resolution's progress at a glance, what changed since the last Standing
    Committee meeting, and what is overdue."""
    board = selectors.dashboard()
    panels = [
        (
            item,
            charts.status_chart(item.summary, title=gettext("Mandates by status")),
            charts.actor_chart(item.actors, title=gettext("Mandates by actor and status")),
        )
        for item in board.resolutions
    ]
    return render(request, "resolutions/dashboard.html", {"board": board, "panels": panels})
