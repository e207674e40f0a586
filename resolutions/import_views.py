"""The Secretariat's import pages: upload or paste a text, preview and correct the
reading, map unmatched addressees, confirm. Thin: a selector or a service, a template."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from partners import permissions
from resolutions import selectors, services
from resolutions.import_forms import (
    DetailsForm,
    DirectiveForm,
    ImportForm,
    MapPhraseForm,
    NewActorForm,
    TranslationForm,
)
from resolutions.models import Actor, ImportRecord
from resolutions.parsing import ParseError, iter_operative

# --- Import (Secretariat) ----------------------------------------------------------------


def _editor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors sign in first; signed-in users who may not edit get a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_edit_resolutions(request.user):
            raise PermissionDenied("Only the Secretariat may import resolutions.")
        return view(request, *args, **kwargs)

    return wrapper


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages_ in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@_editor_required
def import_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "resolutions/imports/list.html",
        {
            "records": selectors.import_records_recent(),
            "phrases": selectors.unmatched_phrases_open()[:200],
        },
    )


@_editor_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    bound = request.method == "POST"
    form = ImportForm(request.POST if bound else None, request.FILES if bound else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.import_record_create(
                user=request.user,
                text=data["source_text"],
                source_name=data["source_name"],
                symbol=data["symbol"],
                title=data["title"],
                kind=data["kind"],
                adopted_at=data["adopted_at"],
                supersedes=data["supersedes"],
            )
        except ParseError as exc:
            form.add_error(data["source_field"], str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, gettext("Read. Check the reading below, correct it, then import.")
            )
            return redirect(record)
    return render(
        request,
        "resolutions/imports/new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _details_initial(record: ImportRecord) -> dict[str, Any]:
    return {
        "symbol": record.symbol,
        "title": record.title,
        "kind": record.kind,
        "adopted_at": record.adopted_at,
        "supersedes": record.supersedes,
    }


def _preview(request: HttpRequest, record: ImportRecord, form: DetailsForm) -> HttpResponse:
    return render(
        request,
        "resolutions/imports/preview.html",
        {
            "preview": selectors.import_preview(record=record),
            "record": record,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@_editor_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.import_record_get(pk=pk)
    if request.method == "POST":
        form = DetailsForm(request.POST)
        if form.is_valid():
            try:
                services.import_record_update(record=record, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, gettext("Details saved."))
                return redirect(record)
        return _preview(request, record, form)
    return _preview(request, record, DetailsForm(initial=_details_initial(record)))


@_editor_required
@require_http_methods(["GET", "POST"])
def import_paragraph(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """Correct the directives of one paragraph of a draft: verbs and actors."""
    record = selectors.import_record_get(pk=pk)
    rows = list(iter_operative(record.reading or {}))
    if not 0 <= position < len(rows):
        raise Http404("No such paragraph in this import.")
    label, item = rows[position]
    actors = list(Actor.objects.order_by("order", "name"))
    bound = request.POST if request.method == "POST" else None
    forms_ = [
        DirectiveForm(
            bound,
            prefix=f"d{index}",
            current_verb=directive["verb"],
            actors=actors,
            initial={"verb": directive["verb"], "actors": directive["actors"]},
        )
        for index, directive in enumerate(item["directives"])
    ]
    if bound is not None and all(f.is_valid() for f in forms_):
        try:
            services.import_paragraph_correct(
                record=record,
                user=request.user,
                label=label,
                directives=[(f.cleaned_data["verb"], f.cleaned_data["actors"]) for f in forms_],
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                index, _, field = key.partition(":")
                if index.isdigit() and field:
                    forms_[int(index)].add_error(field, errors)
                else:
                    messages.error(request, " ".join(errors))
        else:
            messages.success(request, gettext("Paragraph %(label)s corrected.") % {"label": label})
            return redirect(f"{record.get_absolute_url()}#row-{position}")
    return render(
        request,
        "resolutions/imports/paragraph.html",
        {
            "record": record,
            "label": label,
            "item": item,
            "rows": list(zip(item["directives"], forms_, strict=True)),
        },
        status=400 if any(f.errors for f in forms_) else 200,
    )


@_editor_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.import_record_get(pk=pk)
    try:
        resolution = services.import_record_confirm(record=record, user=request.user)
    except ValidationError as exc:
        form = DetailsForm(_details_initial(record) | {"kind": record.kind})
        form.is_valid()
        _add_errors(form, exc)
        return _preview(request, record, form)
    messages.success(
        request, gettext("%(symbol)s imported.") % {"symbol": resolution.display_symbol}
    )
    return redirect(resolution)


@_editor_required
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.import_record_get(pk=pk)
    try:
        services.import_record_discard(record=record, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(record)
    messages.success(request, gettext("Import discarded."))
    return redirect("resolutions:import-list")


@_editor_required
@require_http_methods(["GET", "POST"])
def phrase_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Map an unmatched addressee phrase to an existing actor (adds an alias) or to a new
    one, or record that it names no addressee."""
    phrase = selectors.unmatched_phrase_get(pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    map_form = MapPhraseForm(request.POST if action == "map" else None)
    new_form = NewActorForm(request.POST if action == "new" else None)
    try:
        if action == "map" and map_form.is_valid():
            services.unmatched_phrase_map(
                phrase=phrase, user=request.user, actor=map_form.cleaned_data["actor"]
            )
            messages.success(
                request,
                gettext("'%(phrase)s' mapped to %(actor)s.")
                % {"phrase": phrase.phrase, "actor": map_form.cleaned_data["actor"]},
            )
            return redirect(phrase.import_record)
        if action == "new" and new_form.is_valid():
            services.unmatched_phrase_map_new_actor(
                phrase=phrase, user=request.user, **new_form.cleaned_data
            )
            messages.success(
                request,
                gettext("New actor %(name)s added.") % {"name": new_form.cleaned_data["name"]},
            )
            return redirect(phrase.import_record)
        if action == "dismiss":
            services.unmatched_phrase_dismiss(phrase=phrase, user=request.user)
            messages.success(
                request,
                gettext("'%(phrase)s' marked as not an addressee.") % {"phrase": phrase.phrase},
            )
            return redirect(phrase.import_record)
    except ValidationError as exc:
        _add_errors(new_form if action == "new" else map_form, exc)
    errors = bool(map_form.errors or new_form.errors)
    return render(
        request,
        "resolutions/imports/phrase.html",
        {"phrase": phrase, "map_form": map_form, "new_form": new_form},
        status=400 if errors else 200,
    )


# --- Texts in other official languages ----------------------------------------------------


@_editor_required
@require_http_methods(["GET", "POST"])
def translation_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Add (or correct) the French or Spanish text of a resolution: stored whole when
    every paragraph lines up with the English, refused with the reasons otherwise."""
    resolution = selectors.resolution_get(pk=pk)
    bound = request.method == "POST"
    form = TranslationForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.resolution_translation_import(
                resolution=resolution,
                language=data["language"],
                text=data["source_text"],
                source_name=data["source_name"],
                user=request.user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "text" in exc.error_dict:
                form.add_error(data["source_field"], exc.error_dict.pop("text"))
            if getattr(exc, "error_dict", None):
                _add_errors(form, exc)
        else:
            language = outcome.translation.get_language_display()
            messages.success(
                request,
                gettext(
                    "%(language)s text stored: %(created)s paragraphs added, %(changed)s "
                    "corrected, %(unchanged)s unchanged."
                )
                % {
                    "language": language,
                    "created": outcome.created,
                    "changed": outcome.changed,
                    "unchanged": outcome.unchanged,
                },
            )
            return redirect(resolution.get_absolute_url())
    return render(
        request,
        "resolutions/imports/translation.html",
        {
            "resolution": resolution,
            "form": form,
            "translations": selectors.resolution_translations(resolution=resolution),
        },
    )
