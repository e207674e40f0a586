"""`python manage.py compile_report MEETING_CODE [--sync]`."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reporting.models import ProgressReport
from tests.test_newcomer import _embedded_env, _manage


@pytest.mark.django_db
def test_unknown_meeting_exits_2_naming_it(seed):
    with pytest.raises(CommandError) as exc:
        call_command("compile_report", "COP99")
    assert exc.value.returncode == 2
    assert "COP99" in str(exc.value) and "COP15" in str(exc.value)
    assert not ProgressReport.objects.exists()


@pytest.mark.django_db
def test_queues_a_report_for_a_worker(seed, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("compile_report", "cop15")
    report = ProgressReport.objects.get()
    assert (report.state, report.source, len(callbacks)) == ("pending", "command", 1)
    assert "Queued UNEP/CMS/COP15/Doc.X version 1" in capsys.readouterr().out


@pytest.mark.django_db
def test_sync_compiles_in_the_foreground_and_prints_the_paths(seed, media, capsys):
    call_command("compile_report", "StC53", "--sync")
    out = capsys.readouterr().out
    report = ProgressReport.objects.get()
    assert report.state == "done"
    assert out.startswith("Compiled UNEP/CMS/StC53/Doc.X version 1")
    paths = dict(line.strip().split(": ", 1) for line in out.splitlines()[1:])
    assert set(paths) == {"docx", "pdf", "html", "csv", "json"}
    for path in paths.values():
        assert Path(path).is_file() and Path(path).is_relative_to(media)


def test_without_a_broker_the_command_compiles_in_process(tmp_path):
    """The embedded default of `make run`: SQLite, no REDIS_URL, tasks run in-process."""
    env = _embedded_env(tmp_path)
    for step in (["migrate", "--noinput"], ["load_seed"]):
        assert _manage(env, *step).returncode == 0
    done = _manage(env, "compile_report", "COP15")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Compiled UNEP/CMS/COP15/Doc.X version 1")
    assert (tmp_path / "media/reports/COP15/v1/UNEP-CMS-COP15-Doc.X-v1.pdf").is_file()
