"""Pages of the Parties: the list, each Party's page (printable, and as PDF, DOCX and XLSX),
the focal point's report form and the Secretariat's matrix. Thin: a selector or a service,
a template."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from partners import documents, permissions, selectors, services
from partners.filters import MatrixFilter, PartyFilter
from partners.forms import PartyStatusForm
from partners.models import Party, PartyImplementation, Region
from resolutions.evidence import evidence_response
from resolutions.models import Mandate, Resolution
from resolutions.views import is_htmx


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def party_list(request: HttpRequest) -> HttpResponse:
    filterset = PartyFilter(request.GET, queryset=selectors.parties_list())
    status = 200
    if filterset.is_valid():
        parties = list(filterset.qs)
    else:
        parties, status = [], 400
    by_region = [
        (label, [p for p in parties if p.region == value]) for value, label in Region.choices
    ]
    return render(
        request,
        "partners/party_list.html",
        {
            "filter": filterset,
            "by_region": [(label, ps) for label, ps in by_region if ps],
            "count": len(parties),
            "figures": selectors.reporting_share_by_region(),
        },
        status=status,
    )


def party_detail(request: HttpRequest, iso2: str) -> HttpResponse:
    if iso2 != iso2.lower():
        return redirect("partners:party-detail", iso2=iso2.lower(), permanent=True)
    party = selectors.party_get(iso2=iso2)
    page = selectors.party_page(party=party, page_number=request.GET.get("page") or 1)
    can_report = permissions.can_report_party_status(request.user, party)
    return render(
        request,
        "partners/party_detail.html",
        {"page": page, "party": party, "can_report": can_report, "statuses": PartyImplementation},
    )


def party_download(request: HttpRequest, iso2: str, fmt: str) -> HttpResponse:
    party = selectors.party_get(iso2=iso2)
    page = selectors.party_page(party=party)
    name = f"cms-obligations-{party.iso2.lower()}"
    if fmt == "pdf":
        return _attachment(
            documents.party_pdf(page), content_type=documents.PDF_TYPE, filename=f"{name}.pdf"
        )
    if fmt == "docx":
        return _attachment(
            documents.party_docx(page), content_type=documents.DOCX_TYPE, filename=f"{name}.docx"
        )
    if fmt == "xlsx":
        return _attachment(
            documents.party_xlsx(page), content_type=documents.XLSX_TYPE, filename=f"{name}.xlsx"
        )
    raise Http404("Unknown format.")


def party_mandate(request: HttpRequest, iso2: str, mandate_id: int) -> HttpResponse:
    """Public: one mandate as the Party sees it, with the Party's whole history of
    reports on it and their evidence."""
    party = selectors.party_get(iso2=iso2)
    mandate = selectors.party_obligation_get(party=party, mandate_id=mandate_id)
    return render(
        request,
        "partners/party_mandate.html",
        {
            "party": party,
            "mandate": mandate,
            "history": selectors.party_status_history(party=party, mandate=mandate),
            "can_report": permissions.can_report_party_status(request.user, party, mandate),
            "page_url": reverse("partners:party-detail", args=[party.iso2.lower()]),
        },
    )


def party_evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of a Party's report, as a download (public, as the reports are)."""
    return evidence_response(selectors.party_evidence_file_get(pk=pk))


def _report_refused(
    request: HttpRequest, party: Party, mandate: Mandate | None
) -> HttpResponse | None:
    if not request.user.is_authenticated:
        login = redirect_to_login(request.get_full_path())
        if is_htmx(request):
            # htmx follows HX-Redirect instead of swapping the login page into the form.
            return HttpResponse(status=401, headers={"HX-Redirect": login.url})
        return login
    if party is not None and not permissions.can_report_party_status(request.user, party, mandate):
        raise PermissionDenied(f"Only {party.name}'s focal points and the Secretariat may report.")
    return None


def party_report(request: HttpRequest, iso2: str, mandate_id: int) -> HttpResponse:
    """The focal point's report on one mandate: the form and the Party's history. Refused
    (403) to everyone but that Party's focal points and the Secretariat, GET and POST.

    Works without JavaScript (POST, then back to the Party page); with htmx the form is
    posted in place and the answer is the form's part of the page (with the history
    swapped out of band): saved, refused (400) or overtaken (409)."""
    party = selectors.party_get(iso2=iso2)
    if refused := _report_refused(request, party, None):
        return refused
    mandate = selectors.party_obligation_get(party=party, mandate_id=mandate_id)
    if refused := _report_refused(request, party, mandate):
        return refused
    page_url = reverse("partners:party-detail", args=[party.iso2.lower()])
    extra: dict[str, object] = {}
    status = 200
    if request.method == "POST":
        form = PartyStatusForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                recorded = services.party_status_record(
                    party=party,
                    mandate=mandate,
                    user=request.user,
                    status=data["status"],
                    narrative=data["narrative"],
                    evidence_links=data["evidence"],
                    evidence_files=data["files"],
                    as_of=data["as_of"],
                    expected_version=data["version"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except services.StalePartyStatus as exc:
                # Nothing was written: show the report that won, keep the typed input, and
                # base the form on the version now shown.
                resubmit = request.POST.copy()
                resubmit["version"] = str(exc.current_version)
                form = PartyStatusForm(resubmit)
                mandate = selectors.party_obligation_get(party=party, mandate_id=mandate_id)
                extra = {"conflict": exc, "files_dropped": bool(data["files"])}
                status = 409
            else:
                saved = (
                    gettext("Report saved.")
                    if recorded
                    else gettext(
                        "Nothing to save: the status is unchanged and no narrative or "
                        "evidence was given."
                    )
                )
                if not is_htmx(request):
                    messages.add_message(
                        request, messages.SUCCESS if recorded else messages.INFO, saved
                    )
                    return redirect(f"{page_url}#m{mandate.pk}")
                mandate = selectors.party_obligation_get(party=party, mandate_id=mandate_id)
                form = PartyStatusForm.for_mandate(mandate)
                extra = {"saved": saved, "saved_ok": recorded is not None}
                status = 200
    else:
        form = PartyStatusForm.for_mandate(mandate)
    context = {
        "party": party,
        "mandate": mandate,
        "form": form,
        "history": selectors.party_status_history(party=party, mandate=mandate),
        "page_url": page_url,
        **extra,
    }
    if is_htmx(request):
        return render(
            request,
            "partners/includes/party_report_workspace.html",
            {**context, "oob": True},
            status=status,
        )
    return render(request, "partners/party_report.html", context, status=status)


def party_matrix(request: HttpRequest) -> HttpResponse:
    """Parties x mandates with each Party's status (Secretariat only); `?export=xlsx`."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_view_party_matrix(request.user):
        raise PermissionDenied("The matrix is for the Secretariat.")
    params = request.GET.copy()
    export = params.pop("export", [""])[-1]
    filterset = MatrixFilter(params, queryset=selectors.parties_list())
    if not filterset.is_valid():
        return render(
            request,
            "partners/party_matrix.html",
            {"filter": filterset, "matrix": None, "figures": []},
            status=400,
        )
    resolutions = filterset.resolutions()
    mandates = Mandate.objects.all()
    if resolutions:
        mandates = mandates.filter(resolution__in=resolutions)
    matrix = selectors.party_matrix(parties=filterset.qs, mandates=mandates)
    if export == "xlsx":
        return _attachment(
            documents.matrix_xlsx(matrix),
            content_type=documents.XLSX_TYPE,
            filename="cms-party-matrix.xlsx",
        )
    figures = selectors.reporting_share_by_region(
        resolution_ids=[r.pk for r in resolutions] or None
    )
    return render(
        request,
        "partners/party_matrix.html",
        {
            "filter": filterset,
            "matrix": matrix,
            "rows": matrix.rows(),
            "figures": figures,
            "resolutions": Resolution.objects.order_by("symbol"),
            "export_query": request.GET.urlencode(),
        },
    )
