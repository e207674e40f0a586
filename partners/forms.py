"""The focal point's report form. It parses what the browser sends; the rules about what
may be written live in `services.party_status_record`, whose field errors are put back
beside the fields (`add_service_errors`)."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partners.models import PartyImplementation
from resolutions.forms import EvidenceFilesForm
from resolutions.services import MAX_EVIDENCE_LINKS, MAX_NARRATIVE_CHARS


class PartyStatusForm(EvidenceFilesForm):
    status = forms.ChoiceField(label=_("Status"), choices=PartyImplementation.choices)
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=MAX_NARRATIVE_CHARS,
        help_text=_("What your country has done, by whom, and what comes next."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        help_text=format_lazy(
            _(
                "Links to documents or web pages (https://...), one per line, at most {n}. "
                "Attach files below."
            ),
            n=MAX_EVIDENCE_LINKS,
        ),
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        help_text=_("The date the status holds for; today when left empty."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # The version of the Party's status the form was opened at (0 before any report): a
    # save based on an older version is refused (see party_status_record).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    @classmethod
    def for_mandate(cls, mandate) -> PartyStatusForm:
        """Opened at the Party's latest status (`party_obligations` annotations)."""
        return cls(
            initial={
                "status": mandate.party_status,
                "as_of": timezone.localdate(),
                "version": mandate.party_version,
            }
        )

    def clean_evidence(self) -> list[str]:
        return [line for line in re.split(r"\s+", self.cleaned_data["evidence"]) if line]
