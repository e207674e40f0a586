"""Browser forms of the Secretariat workspace. They parse what the browser sends; every
rule about what may be written lives in the services, whose field errors the views put
back beside the fields here (`errors_from_service`)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from resolutions.evidence import allowed_extensions, max_evidence_bytes
from resolutions.models import MandateStatus
from resolutions.services import MAX_EVIDENCE_LINKS, MAX_NARRATIVE_CHARS

#: Service error keys that have a differently named form field.
SERVICE_FIELD_NAMES = {"evidence_links": "evidence", "evidence_files": "files"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; cleans to a list (empty when none was chosen)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class WorkspaceForm(forms.Form):
    """Labels without a trailing colon, as on the rest of the site."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError (a dict by field) beside the form's fields."""
        for key, messages in error.message_dict.items():
            name = SERVICE_FIELD_NAMES.get(key, key)
            self.add_error(name if name in self.fields else None, messages)


def _today_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _narrative_field(help_text: str, *, rows: int) -> forms.CharField:
    return forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=MAX_NARRATIVE_CHARS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class EvidenceFilesForm(WorkspaceForm):
    """A form with a `files` input for evidence, its help text and `accept` list taken
    from the evidence settings."""

    files = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text="",  # set in __init__ from the evidence settings
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = ", ".join(ext.lstrip(".").upper() for ext in allowed_extensions())
        limit = max_evidence_bytes() // (1024 * 1024)
        self.fields["files"].help_text = gettext("%(types)s; up to %(limit)s MB each.") % {
            "types": types,
            "limit": limit,
        }
        self.fields["files"].widget.attrs["accept"] = ",".join(allowed_extensions())


class MandateStatusForm(EvidenceFilesForm):
    """The Secretariat's status update on one mandate."""

    status = forms.ChoiceField(label=_("Status"), choices=MandateStatus.choices)
    progress = forms.IntegerField(
        label=_("Progress"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Percent done, 0 to 100; leave empty when it does not apply."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    narrative = _narrative_field(_("What was done, by whom, and what comes next."), rows=5)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        help_text=format_lazy(
            _(
                "Links to documents or web pages (https://...), one per line, at most "
                "{limit}. Attach files below."
            ),
            limit=MAX_EVIDENCE_LINKS,
        ),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    as_of = forms.DateField(
        label=pgettext_lazy("date a status holds for", "As of"),
        required=False,
        help_text=_("The date the status holds for; today when left empty."),
        widget=_today_input(),
    )
    # The mandate version the form was opened at: a save based on an older version is
    # refused (see mandate_status_update).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    @classmethod
    def for_mandate(cls, mandate) -> MandateStatusForm:
        """An unbound form opened at the mandate's current state."""
        return cls(
            initial={
                "status": mandate.status,
                "progress": mandate.progress,
                "as_of": timezone.localdate(),
                "version": mandate.version,
            }
        )

    def clean_evidence(self) -> list[str]:
        return [line for line in re.split(r"\s+", self.cleaned_data["evidence"]) if line]


class MandateVersionsField(forms.Field):
    """Repeated "<mandate id>:<version>" values, cleaned to {mandate id: version}."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> dict[int, int]:
        versions: dict[int, int] = {}
        for item in value or []:
            match = re.fullmatch(r"(\d{1,18}):(\d{1,9})", item)
            if match is None:
                raise ValidationError(_("The selection could not be read; reload the list."))
            versions[int(match[1])] = int(match[2])
        return versions


class BulkStatusForm(WorkspaceForm):
    """One status and one narrative for the mandates ticked on the list page. Each tick
    sends "<mandate id>:<version the list showed>"."""

    mandates = MandateVersionsField(label=_("Mandates"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Choose a status")), *MandateStatus.choices]
    )
    narrative = _narrative_field(_("Recorded in the history of every selected mandate."), rows=2)
    as_of = forms.DateField(
        label=pgettext_lazy("date a status holds for", "As of"),
        required=False,
        widget=_today_input(),
    )
    # The list's query string, to come back to the same filtered page.
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
