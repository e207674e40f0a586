"""A resolution's text in French and Spanish: read and lined up paragraph by paragraph with
the English, stored whole or not at all, shown on the page and in the API in the language
asked for, never instead of a paragraph it does not hold."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from resolutions import alignment, services
from resolutions.models import ParagraphPart, ParagraphTranslation, ResolutionTranslation

FRENCH_DECISION = """\
UNEP/CMS/COP14/Doc.X
SYNERGIES ET PARTENARIATS

Adoptée par la Conférence des Parties à sa 14e réunion (Samarkand, février 2024)

Rappelant la Résolution 7.9 Coopération avec d'autres organes et proces-
sus,

Notant que la responsabilité de la mise en œuvre de la Convention
incombe aux Parties,

La Conférence des Parties à la
Convention sur la conservation des espèces migratrices appartenant à la faune sauvage

1. Prie le Secrétariat de renforcer la coopération :
  a) avec le Groupe de liaison sur la biodiversité ;
  b) avec les secrétariats :
    i) de la CDB ;
    ii) de Ramsar ;
2
2. Encourage les Parties à faire rapport
à chaque réunion de la Conférence des Parties.

ANNEXE
MANDAT DU GROUPE DE TRAVAIL
Le groupe se réunit une fois par an.
"""


def test_a_translation_is_cut_like_the_english_text():
    reading = alignment.read_translation(FRENCH_DECISION)
    assert reading.title == "SYNERGIES ET PARTENARIATS"
    units = [(u.part, u.key, u.text) for u in reading.units]
    assert units[:2] == [
        (
            "preamble",
            "1",
            "Rappelant la Résolution 7.9 Coopération avec d'autres organes et processus,",
        ),
        (
            "preamble",
            "2",
            "Notant que la responsabilité de la mise en œuvre de la Convention incombe aux "
            "Parties,",
        ),
    ]
    assert [(p, k) for p, k, _ in units[2:]] == [
        ("operative", "1"),
        ("operative", "1/a"),
        ("operative", "1/b"),
        ("operative", "1/b/i"),
        ("operative", "1/b/ii"),
        ("operative", "2"),
        ("annex", "1"),
    ]
    # A page number between two paragraphs is dropped; a paragraph's lines are joined.
    assert units[7][2] == (
        "Encourage les Parties à faire rapport à chaque réunion de la Conférence des Parties."
    )
    annex = reading.units[-1]
    assert annex.heading == "ANNEXE MANDAT DU GROUPE DE TRAVAIL"
    assert annex.text == "Le groupe se réunit une fois par an."


@pytest.mark.parametrize("text", ["", "   \n", "a\x00b"])
def test_an_unreadable_translation_is_refused(text):
    with pytest.raises(alignment.AlignmentError):
        alignment.read_translation(text)


def _translation_of(resolution, *, prefix: str = "[fr]", drop: str | None = None) -> str:
    """A text laid out as the official translations are (title, preamble, enacting
    formula, numbered paragraphs, page headers), each paragraph marked with `prefix`."""
    lines = ["UNEP/CMS/Résolution 11.10 (Rev.COP14)", "", f"{prefix} SYNERGIES", ""]
    lines += ["Adoptée par la Conférence des Parties à sa 14e réunion", ""]
    paragraphs = list(resolution.paragraphs.order_by("order"))
    for p in paragraphs:
        if p.part == ParagraphPart.PREAMBLE:
            lines += [f"{prefix} {p.text}", ""]
    lines += ["La Conférence des Parties à la Convention", ""]
    for n, p in enumerate(q for q in paragraphs if q.part == ParagraphPart.OPERATIVE):
        if p.number == drop:
            continue
        lines += [f"{p.number}. {prefix} {p.text}", ""]
        if n % 10 == 9:
            lines += [str(n // 10 + 2), "UNEP/CMS/Résolution 11.10 (Rev.COP14)", ""]
    return "\n".join(lines)


def test_the_french_text_is_stored_paragraph_by_paragraph(seed, secretariat_user):
    outcome = services.resolution_translation_import(
        resolution=seed,
        language="fr",
        text=_translation_of(seed),
        user=secretariat_user,
        source_name="fr.txt",
    )
    assert (outcome.created, outcome.changed, outcome.unchanged) == (55, 0, 0)
    assert ResolutionTranslation.objects.get(resolution=seed, language="fr").title == (
        "[fr] SYNERGIES"
    )
    for p in seed.paragraphs.all():
        assert p.translations.get(language="fr").text == f"[fr] {p.text}"

    # The same text again changes nothing; a corrected paragraph only that one.
    again = services.resolution_translation_import(
        resolution=seed, language="fr", text=_translation_of(seed), user=secretariat_user
    )
    assert (again.created, again.changed, again.unchanged) == (0, 0, 55)
    corrected = _translation_of(seed).replace("\n7. [fr]", "\n7. [fr] (corrigé)")
    third = services.resolution_translation_import(
        resolution=seed, language="fr", text=corrected, user=secretariat_user
    )
    assert (third.created, third.changed, third.unchanged) == (0, 1, 54)
    assert seed.paragraphs.get(number="7").translations.get().text.startswith("[fr] (corrigé)")


def test_a_translation_that_does_not_line_up_is_refused_whole(seed, secretariat_user):
    with pytest.raises(ValidationError) as refused:
        services.resolution_translation_import(
            resolution=seed, language="es", text=_translation_of(seed, drop="12"), user=None
        )
    problems = refused.value.message_dict["text"]
    assert "The English text has 33 operative paragraph(s), the translation 32." in problems
    assert "Operative paragraph 12 is missing from the translation." in problems
    assert not ParagraphTranslation.objects.exists()
    assert not ResolutionTranslation.objects.exists()


def test_only_the_secretariat_imports_translations(seed, reader_user, focal_point_user):
    for user in (reader_user, focal_point_user):
        with pytest.raises(PermissionDenied):
            services.resolution_translation_import(
                resolution=seed, language="fr", text=_translation_of(seed), user=user
            )
    with pytest.raises(ValidationError) as bad:
        services.resolution_translation_import(
            resolution=seed, language="de", text=_translation_of(seed), user=None
        )
    assert "language" in bad.value.message_dict
    assert not ParagraphTranslation.objects.exists()


def test_the_page_and_the_api_show_the_language_asked_for(seed, client, secretariat_user):
    services.resolution_translation_import(
        resolution=seed, language="fr", text=_translation_of(seed), user=secretariat_user
    )
    french = client.get(seed.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    html = french.content.decode()
    assert '<html lang="fr">' in html
    assert "Résolutions" in html  # the interface
    p10 = seed.paragraphs.get(number="10")
    assert f'<div class="text" lang="fr">[fr] {p10.text[:40]}' in html
    # No Spanish text: the English, marked as such, in a Spanish interface.
    spanish = client.get(seed.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in spanish and "Resoluciones" in spanish
    assert f'<div class="text" lang="en">{p10.text[:40]}' in spanish

    api = client.get(f"/api/v1/paragraphs/{p10.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert api.status_code == 200
    assert (api.json()["language"], api.json()["text"]) == ("fr", f"[fr] {p10.text}")
    assert api["Content-Language"] == "fr"
    assert "Accept-Language" in api["Vary"]
    english = client.get(f"/api/v1/paragraphs/{p10.pk}/")
    assert (english.json()["language"], english.json()["text"]) == ("en", p10.text)
    assert english["ETag"] != api["ETag"]


def test_the_paragraph_list_stays_at_a_fixed_number_of_queries_in_french(
    seed, client, secretariat_user, django_assert_num_queries
):
    services.resolution_translation_import(
        resolution=seed, language="fr", text=_translation_of(seed), user=secretariat_user
    )
    with django_assert_num_queries(3):
        response = client.get("/api/v1/paragraphs/?page_size=5", HTTP_ACCEPT_LANGUAGE="fr")
    assert {row["language"] for row in response.json()["results"]} == {"fr"}
    with django_assert_num_queries(3):
        client.get("/api/v1/paragraphs/?page_size=100", HTTP_ACCEPT_LANGUAGE="fr")


def test_the_secretariat_imports_a_translation_in_the_browser_form(seed, client, secretariat_user):
    url = f"/resolutions/{seed.pk}/translations/new/"
    client.force_login(secretariat_user)
    bad = client.post(url, {"language": "fr", "text": _translation_of(seed, drop="3")})
    assert bad.status_code == 200
    assert "Operative paragraph 3 is missing from the translation." in bad.content.decode()
    assert not ParagraphTranslation.objects.exists()
    good = client.post(url, {"language": "fr", "text": _translation_of(seed)})
    assert good.status_code == 302 and good["Location"] == seed.get_absolute_url()
    assert ParagraphTranslation.objects.filter(language="fr").count() == 55


def test_others_may_not_open_the_translation_form(seed, client, reader_user):
    url = f"/resolutions/{seed.pk}/translations/new/"
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(reader_user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"language": "fr", "text": _translation_of(seed)}).status_code == 403
    assert not ParagraphTranslation.objects.exists()


def test_the_command_imports_and_refuses_with_exit_status_2(seed, tmp_path):
    good = tmp_path / "fr.txt"
    good.write_text(_translation_of(seed), encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import_translation", str(good), "--resolution", seed.symbol, "--language", "fr", stdout=out
    )
    assert "55 paragraphs added" in out.getvalue()
    bad = tmp_path / "es.txt"
    bad.write_text(_translation_of(seed, drop="30"), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_translation", str(bad), "--resolution", str(seed.pk), "--language", "es"
        )
    assert refused.value.returncode == 2
    assert "Operative paragraph 30 is missing" in str(refused.value)
    assert not ParagraphTranslation.objects.filter(language="es").exists()
