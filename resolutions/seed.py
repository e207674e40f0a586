"""The seed content shipped with the application: the actor vocabulary, the known
meetings and the COP14 resolution "Synergies and Partnerships".

The seed resolution is imported from its text (`<name>.txt`) by the importer, as any
resolution is; its details (symbol, title, kind, adopting meeting) are editable data in
`<name>.meta.json` beside it.

`seed_load()` is idempotent: a second run writes nothing. A seed resolution that is
already present is left as it is, so edits made in the application are never undone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from reporting.models import Meeting
from reporting.services import meetings_sync
from resolutions.models import Resolution
from resolutions.parsing import parse_resolution
from resolutions.services import (
    actors_sync,
    import_record_confirm,
    import_record_create,
    mandate_links_suggest,
    synergy_vocabulary_sync,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED_DIR = DATA_DIR / "seed"
ACTORS_FILE = DATA_DIR / "actors.json"
MEETINGS_FILE = Path(__file__).resolve().parent.parent / "reporting" / "data" / "meetings.json"
ORGANISATIONS_FILE = (
    Path(__file__).resolve().parent.parent / "partners" / "data" / "organisations.json"
)
GBF_TARGETS_FILE = DATA_DIR / "gbf-targets.json"
SDGS_FILE = DATA_DIR / "sdgs.json"
#: Each seed resolution: its text `<name>.txt` and its details `<name>.meta.json`.
SEED_RESOLUTIONS = ["synergies-and-partnerships"]


@dataclass
class SeedReport:
    actors_written: int = 0
    meetings_written: int = 0
    synergy_vocabulary_written: int = 0
    links_suggested: int = 0
    resolutions_created: list[str] = field(default_factory=list)
    resolutions_present: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.actors_written
            or self.meetings_written
            or self.resolutions_created
            or self.synergy_vocabulary_written
            or self.links_suggested
        )


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def seed_details(name: str) -> dict[str, Any]:
    return read_json(SEED_DIR / f"{name}.meta.json")


def seed_text(name: str) -> str:
    return (SEED_DIR / seed_details(name).get("source_name", f"{name}.txt")).read_text(
        encoding="utf-8"
    )


def seed_reading(name: str) -> dict[str, Any]:
    """The importer's reading of a seed text with the shipped actor vocabulary."""
    vocabulary = {a["slug"]: [a["name"], *a.get("aliases", [])] for a in read_json(ACTORS_FILE)}
    return parse_resolution(
        seed_text(name), actors=vocabulary, adopted_at=seed_details(name).get("adopted_at")
    )


def gbf_target_records() -> list[dict[str, Any]]:
    """The GBF targets of the shipped data file (the CBD's short titles)."""
    return [
        {"code": t["code"], "number": t["number"], "title": t["short_title"], "url": t["url"]}
        for t in read_json(GBF_TARGETS_FILE)["targets"]
    ]


@transaction.atomic
def seed_load() -> SeedReport:
    report = SeedReport()
    report.actors_written = actors_sync(actors=read_json(ACTORS_FILE))
    report.meetings_written = meetings_sync(meetings=read_json(MEETINGS_FILE))
    report.synergy_vocabulary_written = synergy_vocabulary_sync(
        organisations=read_json(ORGANISATIONS_FILE),
        gbf_targets=gbf_target_records(),
        sdgs=read_json(SDGS_FILE),
    )
    for name in SEED_RESOLUTIONS:
        details = seed_details(name)
        convention = details.get("convention", "CMS")
        symbol = details["symbol"]
        present = Resolution.objects.filter(convention=convention, symbol=symbol).first()
        if present is not None:
            report.resolutions_present.append(symbol)
            # A database seeded before links existed gets its suggestions; links decided
            # since are left as they are.
            report.links_suggested += mandate_links_suggest(resolution=present)
            continue
        adopted_at = (
            Meeting.objects.get(code=details["adopted_at"]) if details.get("adopted_at") else None
        )
        record = import_record_create(
            user=None,
            text=seed_text(name),
            source_name=details.get("source_name", f"{name}.txt"),
            symbol=symbol,
            title=details.get("title", ""),
            kind=details.get("kind", ""),
            adopted_at=adopted_at,
            convention=convention,
        )
        import_record_confirm(record=record, user=None)
        report.resolutions_created.append(symbol)
    return report
