"""The list of Parties: the shipped file, `import_parties`, `load_seed` and
`create_focal_point`."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from partners.models import FocalPoint, Party, Region
from partners.permissions import FOCAL_POINTS_GROUP
from partners.services import PARTIES_FILE, parties_read_csv

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_shipped_file_is_valid_and_holds_the_european_union():
    rows = parties_read_csv(PARTIES_FILE.read_text(encoding="utf-8"))
    by_code = {r.iso2: r for r in rows}
    assert len(rows) == len(by_code) == 123
    assert by_code["EU"].name == "European Union" and by_code["EU"].region == Region.EUROPE
    assert by_code["UZ"].region == Region.ASIA and by_code["UZ"].iso3 == "UZB"
    assert by_code["BR"].region == Region.SOUTH_CENTRAL_AMERICA_CARIBBEAN
    assert by_code["GB"].party_since.isoformat() == "1985-10-01"
    # Only dates read in a source are filled (partners/data/README.md).
    assert sum(r.party_since is not None for r in rows) == 9


def test_load_seed_loads_the_parties_once_and_keeps_corrections(db):
    out, _ = run("load_seed")
    assert "Parties: 123 created" in out
    assert Party.objects.count() == 123
    Party.objects.filter(iso2="UZ").update(name="Republic of Uzbekistan")
    out, _ = run("load_seed")
    assert "Parties: 0 created, 0 updated, 123 unchanged" in out
    assert "Seed already up to date." in out
    assert Party.objects.get(iso2="UZ").name == "Republic of Uzbekistan"


def test_import_parties_names_every_bad_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "parties.csv"
    bad.write_text(
        "iso2,name,region,party_since\n"
        "UZ,Uzbekistan,asia,\n"
        "XX,Nowhere,asia,\n"
        "KE,Kenya,atlantis,\n"
        "BR,Brazil,south_central_america_caribbean,2015-31-10\n"
        "UZ,Uzbekistan,asia,\n"
        "FR,France\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        call_command(
            "import_parties", str(bad), stdout=io.StringIO(), stderr=(err := io.StringIO())
        )
    assert error.value.returncode == 2
    messages = err.getvalue()
    assert "line 3: 'XX' is not an ISO 3166-1 alpha-2 code." in messages
    assert "line 4: 'atlantis' is not a CMS region" in messages
    assert "line 5: '2015-31-10' is not a date" in messages
    assert "line 6: UZ is already on line 2." in messages
    assert "line 7: expected 4 columns, got 2." in messages
    assert "line 2:" not in messages
    assert Party.objects.count() == 0


def test_import_parties_creates_updates_changed_fields_and_is_idempotent(tmp_path):
    path = tmp_path / "parties.csv"
    path.write_text(
        "iso2,name,region,party_since\nuz,,asia,1998-09-01\nEU,European Union,Europe,\n",
        encoding="utf-8",
    )
    out, _ = run("import_parties", str(path))
    assert "2 created, 0 updated, 0 unchanged" in out
    uz = Party.objects.get(iso2="UZ")
    assert (uz.name, uz.iso3, str(uz.party_since)) == ("Uzbekistan", "UZB", "1998-09-01")
    before = uz.updated_at
    out, _ = run("import_parties", str(path))
    assert "0 created, 0 updated, 2 unchanged" in out
    uz.refresh_from_db()
    assert uz.updated_at == before
    path.write_text("iso2,name,region,party_since\nUZ,Uzbekistan,asia,\n", encoding="utf-8")
    out, _ = run("import_parties", str(path))
    assert "0 created, 1 updated, 0 unchanged" in out and "updated UZ" in out
    uz.refresh_from_db()
    assert uz.party_since is None


def test_import_parties_refuses_a_missing_or_headerless_file(tmp_path):
    with pytest.raises(CommandError) as error:
        run("import_parties", str(tmp_path / "none.csv"))
    assert error.value.returncode == 2
    path = tmp_path / "p.csv"
    path.write_text("UZ,Uzbekistan,asia,\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command(
            "import_parties", str(path), stdout=io.StringIO(), stderr=(err := io.StringIO())
        )
    assert "line 1: the header must be iso2,name,region,party_since." in err.getvalue()


def test_create_focal_point_creates_links_and_prints_a_password_only_when_it_sets_one(
    cms_parties,
):
    out, _ = run("create_focal_point", "focal.ke", "ke")
    lines = out.strip().splitlines()
    assert lines[0] == "Created focal.ke, focal point for Kenya (KE)."
    user = get_user_model().objects.get(username="focal.ke")
    assert user.check_password(lines[-1])
    assert user.groups.filter(name=FOCAL_POINTS_GROUP).exists()
    assert FocalPoint.objects.get(user=user).party.iso2 == "KE"

    out, _ = run("create_focal_point", "focal.ke", "KE")
    assert "already a focal point for Kenya" in out and "Password" not in out
    assert user.check_password(lines[-1])

    get_user_model().objects.create_user("someone", password="kept-password-1")
    out, _ = run("create_focal_point", "someone", "UZ")
    assert "Linked someone as focal point for Uzbekistan (UZ)." in out
    assert "Password" not in out
    assert get_user_model().objects.get(username="someone").check_password("kept-password-1")


def test_create_focal_point_refuses_an_unknown_party(cms_parties):
    with pytest.raises(CommandError) as error:
        run("create_focal_point", "nobody", "ZZ")
    assert error.value.returncode == 2
    assert not get_user_model().objects.filter(username="nobody").exists()
