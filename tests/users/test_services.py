import pytest

from core.errors import ServiceError
from dossiers.members import dossier_roles_set, membership_set
from dossiers.models import Dossier, DossierAccess, Firm, FirmLevel, FirmMembership
from tests.factories import UserFactory
from users.models import User
from users.services import user_get_or_create, user_language_set


@pytest.mark.django_db
def test_an_existing_winbooks_id_is_linked_never_duplicated() -> None:
    first, created = user_get_or_create(email="jan@example.be", first_name="Jan", language="nl")
    again, created_again = user_get_or_create(email="JAN@example.be", first_name="Other")
    assert created and not created_again
    assert again.pk == first.pk
    assert again.first_name == "Jan"
    assert User.objects.filter(email="jan@example.be").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x@@example.be"])
def test_an_invalid_winbooks_id_is_refused(email: str) -> None:
    with pytest.raises(ServiceError) as excinfo:
        user_get_or_create(email=email)
    assert excinfo.value.field == "email"
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_a_password_given_at_creation_must_pass_the_rules() -> None:
    with pytest.raises(ServiceError):
        user_get_or_create(email="weak@example.be", password="short")
    assert not User.objects.filter(email="weak@example.be").exists()
    user, _ = user_get_or_create(email="strong@example.be", password="Correct-Horse-42")
    assert user.check_password("Correct-Horse-42")


def test_roles_are_set_exactly(dossier: Dossier, client_user: User) -> None:
    dossier_roles_set(dossier=dossier, user=client_user, roles={"view.user", "view.admin"})
    roles = set(
        DossierAccess.objects.filter(user=client_user, dossier=dossier).values_list(
            "role", flat=True
        )
    )
    assert roles == {"view.user", "view.admin"}


def test_roles_need_membership_of_the_dossiers_firm(other_dossier: Dossier) -> None:
    stranger = UserFactory()
    with pytest.raises(ServiceError):
        dossier_roles_set(dossier=other_dossier, user=stranger, roles={"view.user"})
    assert not DossierAccess.objects.filter(user=stranger).exists()


def test_unknown_roles_and_levels_are_refused(
    dossier: Dossier, client_user: User, firm: Firm
) -> None:
    with pytest.raises(ServiceError):
        dossier_roles_set(dossier=dossier, user=client_user, roles={"connect.god"})
    with pytest.raises(ServiceError):
        membership_set(firm=firm, user=client_user, level="owner")
    assert FirmMembership.objects.get(user=client_user, firm=firm).level == FirmLevel.USER


@pytest.mark.django_db
def test_language_is_saved_and_checked() -> None:
    user = UserFactory(language="fr")
    user_language_set(user=user, language="de")
    user.refresh_from_db()
    assert user.language == "de"
    with pytest.raises(ServiceError):
        user_language_set(user=user, language="xx")
