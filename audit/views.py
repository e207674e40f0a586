"""`/audit/`: the audit trail, for the Secretariat."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from audit import selectors
from audit.filters import AuditFilter
from cms_mandates.audit import audit_enabled
from partners import permissions

PAGE_SIZE = 50


@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_view_audit(request.user):
        raise PermissionDenied("Only the Secretariat may read the audit trail.")
    params = request.GET.copy()
    params.pop("page", None)
    filterset = AuditFilter(params, queryset=selectors.audit_events())
    context: dict = {"filter": filterset, "enabled": audit_enabled(), "params": params}
    status = 200
    if not context["enabled"]:
        context["rows"] = []
    elif filterset.is_valid():
        paginator = Paginator(filterset.qs, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        context["page"] = page
        context["rows"] = selectors.audit_rows(list(page.object_list))
    else:
        status = 400
        context["rows"] = []
    return render(request, "audit/audit_list.html", context, status=status)
