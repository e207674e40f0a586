"""`manage.py` run in a process of its own, for what only a fresh start shows (settings
read from the environment, a command's exit status and messages)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(
    *args: str,
    env: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` from the project's root, with `base` (default this
    process's environment) changed by `env` (DJANGO_SETTINGS_MODULE left to manage.py);
    its output as text."""
    environment = {**(os.environ if base is None else base), **(env or {})}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
