"""Dossier › Settings › Connect, the connection test, and the default processing mode."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from core.errors import ServiceError
from core.models import AuditAction, AuditEvent
from dossiers.models import ConnectionTest, Dossier, DossierAccess, Firm, FirmLevel, LicenceKind
from dossiers.services import connection_test_run, dossier_connect_update, dossier_update
from tests.factories import DossierFactory, FirmFactory, MembershipFactory, grant
from users.models import User


@pytest.fixture
def garage(firm: Firm) -> Dossier:
    return DossierFactory(firm=firm, code="GARAGE", connect_enabled=False, accountant=None)


def connect_url(dossier: Dossier) -> str:
    return reverse("portal:dossier_connect", args=[dossier.public_id])


def results(test: ConnectionTest) -> dict[str, bool]:
    return {r["check"]: r["ok"] for r in test.results}


def test_switching_connect_on_starts_the_test_which_reports_each_check(
    garage: Dossier,
    licence_admin: User,
    accountant: User,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        test = dossier_connect_update(
            actor=licence_admin,
            dossier=garage,
            connect_enabled=True,
            accountant_email="COMPTABLE@alpha.be",
        )
    assert test is not None
    test.refresh_from_db()
    assert test.status == ConnectionTest.Status.DONE
    # The accountant was given connect.accountant; no client yet.
    assert results(test) == {
        "accountant": True,
        "inbound_email": True,
        "storage": True,
        "entrepreneur": False,
    }
    garage.refresh_from_db()
    assert garage.connect_enabled and garage.accountant == accountant
    actions = set(AuditEvent.objects.filter(dossier=garage).values_list("action", flat=True))
    assert {
        AuditAction.CONNECT_SWITCHED,
        AuditAction.ACCOUNTANT_CHANGED,
        AuditAction.ROLES_CHANGED,
    } <= actions


def test_the_test_fails_each_check_it_should(
    garage: Dossier, licence_admin: User, settings
) -> None:
    settings.INBOUND_EMAIL_DOMAIN = ""
    settings.MEDIA_ROOT = "/proc/portal-cannot-write-here"  # even root cannot write there
    test = ConnectionTest.objects.create(dossier=garage)
    connection_test_run(test_id=test.pk)
    test.refresh_from_db()
    assert results(test) == {
        "accountant": False,
        "inbound_email": False,
        "storage": False,
        "entrepreneur": False,
    }
    assert not test.passed


def test_an_accountant_without_the_role_fails_the_test(
    dossier: Dossier, accountant: User, client_user: User
) -> None:
    DossierAccess.objects.filter(user=accountant, dossier=dossier).delete()
    test = ConnectionTest.objects.create(dossier=dossier)
    connection_test_run(test_id=test.pk)
    test.refresh_from_db()
    assert results(test)["accountant"] is False
    assert results(test)["entrepreneur"] is True
    # Running a finished test again changes nothing.
    connection_test_run(test_id=test.pk)
    assert ConnectionTest.objects.get(pk=test.pk).results == test.results


@pytest.mark.parametrize("email", ["client@alpha-un.be", "admin@beta.be", "nobody@x.be"])
def test_the_accountant_must_be_active_staff_of_the_firm(
    garage: Dossier, licence_admin: User, client_user: User, other_staff: User, email: str
) -> None:
    with pytest.raises(ServiceError) as excinfo:
        dossier_connect_update(
            actor=licence_admin, dossier=garage, connect_enabled=True, accountant_email=email
        )
    assert excinfo.value.field == "accountant"
    garage.refresh_from_db()
    assert not garage.connect_enabled and garage.accountant is None
    assert not ConnectionTest.objects.exists()


def test_the_page_shows_the_result_and_the_fragment_polls_until_done(
    garage: Dossier,
    licence_admin: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    client = auth_client(licence_admin)
    page = client.get(connect_url(garage)).content.decode()
    assert "Activer WinBooks Connect pour ce dossier" in page
    assert 'for="id_connect_enabled"' in page and 'for="id_accountant"' in page
    pending = ConnectionTest.objects.create(dossier=garage)
    fragment_url = reverse("portal:dossier_connection_test", args=[garage.public_id])
    assert 'hx-trigger="every 1s"' in client.get(fragment_url).content.decode()
    connection_test_run(test_id=pending.pk)
    done = client.get(fragment_url).content.decode()
    assert "hx-trigger" not in done
    assert "Test de connexion échoué." in done
    assert "Aucun comptable n'est désigné pour ce dossier." in done


def test_the_form_switches_connect_and_runs_the_test(
    garage: Dossier,
    licence_admin: User,
    accountant: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    client = auth_client(licence_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            connect_url(garage), {"connect_enabled": "on", "accountant": accountant.email}
        )
    assert response["Location"] == connect_url(garage)
    page = client.get(connect_url(garage)).content.decode()
    assert "Le comptable comptable@alpha.be est un collaborateur actif" in page
    refused = client.post(
        connect_url(garage), {"connect_enabled": "on", "accountant": "client@nowhere.be"}
    )
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Aucun collaborateur actif de la fiduciaire" in refused.content.decode().replace(
        "&#x27;", "'"
    )


@pytest.mark.parametrize("actor_name", ["client_user", "other_staff"])
def test_connect_routes_are_404_for_others(
    request: pytest.FixtureRequest, garage: Dossier, actor_name: str, auth_client
) -> None:
    client = auth_client(request.getfixturevalue(actor_name))
    for url in (
        connect_url(garage),
        reverse("portal:dossier_connection_test", args=[garage.public_id]),
    ):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(connect_url(garage), {"connect_enabled": "on"}).status_code == 404
    run = reverse("portal:dossier_connection_test_run", args=[garage.public_id])
    assert client.post(run).status_code == HTTPStatus.NOT_FOUND
    garage.refresh_from_db()
    assert not garage.connect_enabled
    assert not ConnectionTest.objects.exists()


def test_the_plus_link_prefills_the_new_user_form(
    garage: Dossier, licence_admin: User, auth_client
) -> None:
    page = auth_client(licence_admin).get(connect_url(garage)).content.decode()
    assert f"dossier={garage.public_id}" in page
    assert "role=connect.entrepreneur" in page


# --- default processing mode -----------------------------------------------------------------


def info_data(dossier: Dossier, mode: str) -> dict[str, str]:
    return {
        "code": dossier.code,
        "name": dossier.name,
        "enterprise_number": "",
        "language": "fr",
        "default_processing_mode": mode,
    }


def test_the_mode_is_chosen_among_held_cartouches_with_credits(
    garage: Dossier, licence_admin: User, auth_client
) -> None:
    client = auth_client(licence_admin)
    url = reverse("portal:dossier", args=[garage.public_id])
    choices = dict(client.get(url).context["form"].fields["default_processing_mode"].choices)
    assert list(choices) == ["transport", "premium", "optimum"]
    assert "10 crédits restants" in choices["premium"]
    assert client.post(url, info_data(garage, "premium")).status_code == HTTPStatus.FOUND
    garage.refresh_from_db()
    assert garage.default_processing_mode == "premium"
    event = AuditEvent.objects.get(action=AuditAction.MODE_CHANGED, dossier=garage)
    assert (event.before, event.after) == (
        {"default_processing_mode": "transport"},
        {"default_processing_mode": "premium"},
    )


@pytest.mark.django_db
def test_a_light_licence_offers_only_transport_and_refuses_a_forged_premium(
    auth_client,
) -> None:
    light = FirmFactory(licence_kind=LicenceKind.LIGHT)
    admin = MembershipFactory(firm=light, level=FirmLevel.LICENCE_ADMIN).user
    fleuriste = DossierFactory(firm=light, accountant=admin)
    grant(admin, fleuriste, "connect.accountant")
    client = auth_client(admin)
    url = reverse("portal:dossier", args=[fleuriste.public_id])
    field = client.get(url).context["form"].fields["default_processing_mode"]
    assert [value for value, _label in field.choices] == ["transport"]
    forged = client.post(url, info_data(fleuriste, "premium"))
    assert forged.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "seul le mode Transport" in forged.content.decode()
    fleuriste.refresh_from_db()
    assert fleuriste.default_processing_mode == "transport"
    # The service refuses it too, whatever the form.
    with pytest.raises(ServiceError) as excinfo:
        dossier_update(
            actor=admin,
            dossier=fleuriste,
            code=fleuriste.code,
            name="x",
            enterprise_number="",
            language="fr",
            default_processing_mode="premium",
        )
    assert excinfo.value.code == "light_licence"


def test_a_lost_test_stops_polling_and_says_so(
    garage: Dossier, licence_admin: User, auth_client
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    test = ConnectionTest.objects.create(dossier=garage)
    ConnectionTest.objects.filter(pk=test.pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    fragment = (
        auth_client(licence_admin)
        .get(reverse("portal:dossier_connection_test", args=[garage.public_id]))
        .content.decode()
    )
    assert "hx-trigger" not in fragment
    assert "n'a pas abouti" in fragment


@pytest.mark.django_db
def test_a_new_dossier_defaults_to_a_mode_the_licence_holds() -> None:
    from dossiers.services import dossier_create

    firm = FirmFactory(cartouches={"premium": 5})
    dossier = dossier_create(actor=None, firm=firm, code="P", name="Premium only")
    assert dossier.default_processing_mode == "premium"
