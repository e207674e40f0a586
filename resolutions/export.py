"""The links export: every paragraph with the conventions, organisations, GBF targets and
SDGs its mandates are linked to, as JSON-LD that InforMEA-style harvesters can read.

Each paragraph has a stable URI (`/paragraphs/<id>/`, which leads to its place on the
resolution page); GBF targets and SDGs carry the CBD thesaurus identifiers InforMEA uses
(GBF-TARGET-21, SUSTAINABLE-DEVELOPMENT-GOAL-17). Suggested links are exported with
`"state": "suggested"`, never merged with confirmed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from resolutions.models import LinkKind, MandateLink

CONTEXT = {
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "title": "dcterms:title",
    "identifier": "dcterms:identifier",
    "isPartOf": "dcterms:isPartOf",
    "text": "dcterms:description",
    "links": "dcterms:relation",
    "thesaurus": "skos:notation",
    "uri": {"@id": "skos:exactMatch", "@type": "@id"},
}


def _target(link: MandateLink) -> dict[str, Any]:
    if link.kind == LinkKind.ORGANISATION:
        org = link.organisation
        return {
            "kind": "organisation",
            "key": org.slug,
            "title": org.name,
            "acronym": org.acronym,
            "uri": org.url or None,
        }
    if link.kind == LinkKind.GBF_TARGET:
        target = link.gbf_target
        return {
            "kind": "gbf_target",
            "key": target.code,
            "title": target.title,
            "thesaurus": f"GBF-TARGET-{target.number:02d}",
            "uri": target.url or None,
        }
    goal = link.sdg
    return {
        "kind": "sdg",
        "key": str(goal.number),
        "title": goal.title,
        "thesaurus": f"SUSTAINABLE-DEVELOPMENT-GOAL-{goal.number:02d}",
        "uri": f"https://sdgs.un.org/goals/goal{goal.number}",
    }


def links_document(
    *, links: Iterable[MandateLink], absolute: Callable[[str], str]
) -> dict[str, Any]:
    """The export as a dict: `@graph` holds one node per paragraph with at least one
    link, in document order; per paragraph one entry per (target, state) listing the
    mandates so linked. `absolute` turns a path into an absolute URI."""
    paragraphs: dict[int, dict[str, Any]] = {}
    entries: dict[tuple[int, str, str, str], dict[str, Any]] = {}
    for link in links:
        mandate = link.mandate
        paragraph = mandate.paragraph
        resolution = mandate.resolution
        node = paragraphs.get(paragraph.pk)
        if node is None:
            label = paragraph.label or paragraph.get_part_display().lower()
            node = paragraphs[paragraph.pk] = {
                "@id": absolute(reverse("paragraph-uri", args=[paragraph.pk])),
                "@type": "Paragraph",
                "identifier": f"{resolution.convention} {resolution.display_symbol}, "
                f"paragraph {label}",
                "number": paragraph.label,
                "text": paragraph.text,
                "isPartOf": {
                    "@id": absolute(resolution.get_absolute_url()),
                    "@type": "Decision",
                    "treaty": resolution.convention.lower(),
                    "kind": resolution.kind,
                    "symbol": resolution.symbol,
                    "title": resolution.title,
                    "status": resolution.status,
                    "adopted_at": resolution.adopted_at.code if resolution.adopted_at else None,
                },
                "links": [],
            }
        target = _target(link)
        key = (paragraph.pk, target["kind"], target["key"], link.state)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = {**target, "state": link.state, "mandates": []}
            node["links"].append(entry)
        entry["mandates"].append(
            {
                "@id": absolute(mandate.get_absolute_url()),
                "actor": mandate.actor.slug,
                "verb": mandate.verb,
            }
        )
    return {
        "@context": CONTEXT,
        "generated_at": timezone.now().isoformat(),
        "@graph": list(paragraphs.values()),
    }
