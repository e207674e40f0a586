"""Forms of the Secretariat's import pages. They check input; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from reporting.models import Meeting
from resolutions import vocabulary
from resolutions.documents import ACCEPTED_SUFFIXES, text_from_file
from resolutions.models import (
    Actor,
    ActorKind,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    TextLanguage,
)
from resolutions.parsing import ParseError

KIND_CHOICES = [("", _("Read it from the text")), *ResolutionKind.choices]
#: How strongly a verb binds, as shown beside it in the verb menu.
STRENGTH_WORDS = {
    "directive": pgettext_lazy("verb strength", "directive"),
    "exhortation": pgettext_lazy("verb strength", "exhortation"),
    "declaratory": pgettext_lazy("verb strength", "declaratory"),
}


class _Form(forms.Form):
    """Labels without a trailing colon, as on the rest of the site."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class _MeetingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return f"{obj.code} · {obj.title}" + (f", {obj.place}" if obj.place else "")


class _ResolutionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Resolution) -> str:
        return f"{obj.display_symbol}: {obj.title}"


def _meetings() -> Any:
    return Meeting.objects.order_by("body", "-number")


def _in_force() -> Any:
    return Resolution.objects.filter(status=ResolutionStatus.IN_FORCE).order_by("symbol")


class _SourceTextForm(_Form):
    """A text, uploaded as a file (PDF, Word, plain text) or pasted: `clean` puts it in
    `source_text`, with `source_name` and the field it came from in `source_field`."""

    file = forms.FileField(
        required=False,
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_SUFFIXES)}),
    )
    text = forms.CharField(
        required=False,
        label=_("Or paste the text"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        strip=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.IMPORT_MAX_BYTES)
        self.fields["file"].help_text = gettext(
            "PDF, Word (.docx) or plain text, at most %(limit)s."
        ) % {"limit": limit}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        text = data.get("text") or ""
        if upload and text.strip():
            self.add_error("text", gettext("Upload a file or paste a text, not both."))
        elif not upload and not text.strip():
            self.add_error("file", gettext("Choose a file, or paste the text below."))
        elif upload:
            limit = settings.IMPORT_MAX_BYTES
            try:
                if upload.size > limit:
                    raise ParseError(
                        gettext("the file is too large: %(size)s bytes; the limit is %(limit)s")
                        % {"size": f"{upload.size:,}", "limit": f"{limit:,}"}
                    )
                data["source_text"] = text_from_file(
                    upload.read(), name=upload.name, max_bytes=limit
                )
            except ParseError as exc:
                self.add_error("file", str(exc))
            data["source_name"] = upload.name
            data["source_field"] = "file"
        else:
            data["source_text"] = text
            data["source_name"] = ""
            data["source_field"] = "text"
        return data


class ImportForm(_SourceTextForm):
    """Step 1: a file or a pasted text, and the details known beforehand."""

    symbol = forms.CharField(
        required=False,
        max_length=64,
        label=_("Symbol"),
        help_text=_('As cited, e.g. "11.10 (Rev.COP15)". Blank: read from the text.'),
    )
    title = forms.CharField(
        required=False,
        max_length=300,
        label=_("Title"),
        help_text=_("Blank: read from the text."),
    )
    kind = forms.ChoiceField(
        choices=KIND_CHOICES, required=False, label=pgettext_lazy("kind of text", "Kind")
    )
    adopted_at = _MeetingChoice(
        queryset=_meetings(),
        required=False,
        label=_("Adopted at"),
        empty_label=_("Read it from the text"),
        help_text=_('Resolves deadlines such as "before the next meeting".'),
    )
    supersedes = _ResolutionChoice(
        queryset=_in_force(),
        required=False,
        label=_("Supersedes"),
        empty_label=_("None (a new text)"),
        help_text=_("The resolution in force this text revises."),
    )


class TranslationForm(_SourceTextForm):
    """The text of a resolution already imported, in another official language."""

    field_order = ["language", "file", "text"]

    language = forms.ChoiceField(label=_("Language"), choices=TextLanguage.choices)


class DetailsForm(_Form):
    """The details a draft is stored under, corrected in the preview."""

    symbol = forms.CharField(
        max_length=64, label=_("Symbol"), help_text=_('As cited, e.g. "11.10 (Rev.COP15)".')
    )
    title = forms.CharField(max_length=300, label=_("Title"))
    kind = forms.ChoiceField(
        choices=ResolutionKind.choices, label=pgettext_lazy("kind of text", "Kind")
    )
    adopted_at = _MeetingChoice(
        queryset=_meetings(),
        required=False,
        label=_("Adopted at"),
        empty_label=pgettext_lazy("adopting meeting", "Unknown"),
    )
    supersedes = _ResolutionChoice(
        queryset=_in_force(),
        required=False,
        label=_("Supersedes"),
        empty_label=_("None (a new text)"),
        help_text=_("Marked superseded on import; unchanged mandates keep their history."),
    )


def _strength_word(verb: str) -> str:
    strength = vocabulary.strength_of(verb)
    return str(STRENGTH_WORDS.get(strength, strength))


class DirectiveForm(_Form):
    """One directive of a draft: its verb and the actors it addresses."""

    verb = forms.ChoiceField(label=_("Verb"))
    actors = forms.MultipleChoiceField(
        required=False, label=_("Actors"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, current_verb: str, actors: list[Actor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        verbs = sorted({*vocabulary.TRACKED_VERBS, *vocabulary.DECLARATORY_VERBS, current_verb})
        self.fields["verb"].choices = [
            (v, f"{v.replace('_', ' ')} ({_strength_word(v)})") for v in verbs
        ]
        self.fields["actors"].choices = [(a.slug, a.name) for a in actors]


class MapPhraseForm(_Form):
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.order_by("order", "name"),
        to_field_name="slug",
        label=_("Existing actor"),
        empty_label=_("Choose an actor"),
    )


class NewActorForm(_Form):
    name = forms.CharField(max_length=200, label=_("Name of the new actor"))
    slug = forms.SlugField(
        max_length=64,
        required=False,
        label=_("Slug"),
        help_text=_("Short name for addresses; blank: from the name."),
    )
    kind = forms.ChoiceField(
        choices=ActorKind.choices, label=pgettext_lazy("kind of actor", "Kind")
    )
