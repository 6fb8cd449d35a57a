import pytest
from django.core.management import call_command

from dossiers.models import Cartouche, Dossier, DossierAccess, Firm, FirmMembership
from users.models import User

EXPECTED_ROLES = {
    ("comptable@fiduciaire-demo.be", "BOULANGERIE"): {"connect.accountant", "view.admin"},
    ("comptable@fiduciaire-demo.be", "GARAGE"): {"connect.accountant", "view.admin"},
    ("client@boulangerie-demo.be", "BOULANGERIE"): {"connect.entrepreneur", "view.user"},
    ("admin@cabinet-exemple.be", "FLEURISTE"): {"connect.accountant", "view.admin"},
    ("client@fleuriste-exemple.be", "FLEURISTE"): {"connect.entrepreneur", "view.user"},
}


def snapshot() -> tuple:
    return (
        Firm.objects.count(),
        User.objects.count(),
        Dossier.objects.count(),
        FirmMembership.objects.count(),
        DossierAccess.objects.count(),
        Cartouche.objects.count(),
    )


@pytest.mark.django_db
def test_demo_data_matches_the_contract_and_is_idempotent(capsys, monkeypatch) -> None:
    """The firms, users and dossiers (the year of activity is tests/connect/test_demo_activity.py:
    it uses premium credits)."""
    monkeypatch.setenv("DEMO_PASSWORD", "Another-Demo-Pass-1")
    call_command("demo_data", "--no-activity")
    first = snapshot()
    call_command("demo_data", "--no-activity")
    assert snapshot() == first == (2, 5, 3, 5, 10, 4)
    out = capsys.readouterr().out
    assert "client@boulangerie-demo.be" in out and "Another-Demo-Pass-1" in out

    for user in User.objects.all():
        assert user.check_password("Another-Demo-Pass-1")
        assert user.language == "fr"
    roles = {}
    for access in DossierAccess.objects.select_related("user", "dossier"):
        roles.setdefault((access.user.email, access.dossier.code), set()).add(access.role)
    assert roles == EXPECTED_ROLES

    demo = Firm.objects.get(name="Fiduciaire Démo")
    light = Firm.objects.get(name="Cabinet Exemple")
    assert demo.licence_kind == "full" and light.licence_kind == "light"
    assert dict(demo.cartouches.values_list("mode", "credits")) == {
        "transport": 100,
        "premium": 100,
        "optimum": 100,
    }
    assert set(light.cartouches.values_list("mode", flat=True)) == {"transport"}
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    assert boulangerie.connect_enabled and boulangerie.default_processing_mode == "premium"
    assert boulangerie.accountant.email == "comptable@fiduciaire-demo.be"
    garage = Dossier.objects.get(code="GARAGE")
    assert not garage.connect_enabled
    fleuriste = Dossier.objects.get(code="FLEURISTE")
    assert fleuriste.connect_enabled and fleuriste.default_processing_mode == "transport"
    assert fleuriste.accountant.email == "admin@cabinet-exemple.be"


@pytest.mark.django_db
def test_dry_run_changes_nothing() -> None:
    call_command("demo_data", "--dry-run", verbosity=0)
    assert snapshot() == (0, 0, 0, 0, 0, 0)
