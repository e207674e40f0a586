"""`python manage.py generate_scale_data --scale cms|mea`: deterministic synthetic data for
benchmarks (see resolutions/scale.py). Running it again when the data is there changes
nothing. `--factor` scales from `cms` instead (0.001 in the test suite, 2 for twice cms)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from resolutions.scale import SCALES, generate_scale_data


class Command(BaseCommand):
    help = "Add deterministic benchmark data: --scale cms (10,000 mandates) or mea (10x)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="cms")
        parser.add_argument(
            "--factor", type=float, default=None, help="Scale from cms by this factor instead."
        )
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (texts).")

    def handle(self, *args, scale: str, factor: float | None, seed: int, **options) -> None:
        factor = SCALES[scale] if factor is None else factor
        if factor <= 0:
            raise CommandError("--factor must be positive.")
        if factor > 1 and connection.vendor != "postgresql":
            raise CommandError(
                "Beyond the cms scale the data needs PostgreSQL (COPY): set DATABASE_URL."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                f"The database {connection.settings_dict['NAME']!r} is not migrated: "
                "run `python manage.py migrate` first."
            )
        started = time.perf_counter()
        outcome = generate_scale_data(
            factor=factor, seed=seed, log=lambda line: self.stdout.write(f"  {line}")
        )
        if not outcome.created:
            self.stdout.write("Scale data already present: nothing written.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale data written (factor {factor:g}) in {time.perf_counter() - started:.0f} s."
            )
        )
