import pytest
from django.utils import translation

from core.errors import ServiceError
from dossiers.models import Dossier, Firm, FirmLevel, LicenceKind
from dossiers.services import dossier_create, dossier_update, firm_create
from tests.factories import FirmFactory, MembershipFactory, UserFactory
from users.models import User


def create(firm: Firm, actor: User | None = None, **fields: object) -> Dossier:
    values = {"code": "ACME", "name": "Acme SRL", "enterprise_number": "", **fields}
    return dossier_create(actor=actor, firm=firm, **values)  # type: ignore[arg-type]


def test_codes_are_unique_per_firm_not_across_firms(firm: Firm, other_firm: Firm) -> None:
    create(firm, code="acme")
    with pytest.raises(ServiceError) as excinfo:
        create(firm, code="ACME", name="Another")
    assert excinfo.value.field == "code"
    assert Dossier.objects.filter(firm=firm).count() == 1
    assert create(other_firm, code="ACME").firm == other_firm


@pytest.mark.parametrize("code", ["", " ", "a b", "-START", "X" * 21, "ÉCOLE", "A/B"])
def test_invalid_codes_are_refused(firm: Firm, code: str) -> None:
    with pytest.raises(ServiceError) as excinfo:
        create(firm, code=code)
    assert excinfo.value.field == "code"
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("number", ["0403.170.701", "BE 0403 170 701", "BE0403170701", "403170701"])
def test_valid_enterprise_numbers_are_stored_compact(firm: Firm, number: str) -> None:
    assert create(firm, enterprise_number=number).enterprise_number == "0403170701"


@pytest.mark.parametrize("number", ["0403.170.702", "12345", "BE1234567890", "abc"])
def test_invalid_enterprise_numbers_are_refused_with_a_translated_message(
    firm: Firm, number: str
) -> None:
    with translation.override("nl"), pytest.raises(ServiceError) as excinfo:
        create(firm, enterprise_number=number)
    assert excinfo.value.field == "enterprise_number"
    with translation.override("nl"):
        assert "ondernemingsnummer" in str(excinfo.value.message)
    assert not Dossier.objects.exists()


def test_an_enterprise_number_is_unique_per_firm(firm: Firm, other_firm: Firm) -> None:
    create(firm, code="A", enterprise_number="0403.170.701")
    with pytest.raises(ServiceError) as excinfo:
        create(firm, code="B", enterprise_number="BE0403170701")
    assert excinfo.value.field == "enterprise_number"
    create(other_firm, code="A", enterprise_number="0403.170.701")
    # Dossiers without a number do not clash with each other.
    create(firm, code="C")
    create(firm, code="D")


@pytest.mark.django_db
def test_a_light_licence_only_uses_transport() -> None:
    light = firm_create(name="Light", licence_kind=LicenceKind.LIGHT)
    with pytest.raises(ServiceError) as excinfo:
        create(light, default_processing_mode="premium")
    assert excinfo.value.field == "default_processing_mode"
    assert create(light, default_processing_mode="transport").default_processing_mode == "transport"
    with pytest.raises(ServiceError):
        firm_create(name="Light 2", licence_kind=LicenceKind.LIGHT, cartouches={"optimum": 5})
    assert not Firm.objects.filter(name="Light 2").exists()


@pytest.mark.django_db
def test_a_mode_whose_cartouche_the_firm_lacks_is_refused() -> None:
    firm = FirmFactory(cartouches={"transport": 1, "premium": 1})
    with pytest.raises(ServiceError):
        create(firm, default_processing_mode="optimum")


def test_the_accountant_must_be_staff_of_the_firm(firm: Firm, other_staff: User) -> None:
    client = MembershipFactory(firm=firm, level=FirmLevel.USER).user
    for wrong in (client, other_staff, UserFactory()):
        with pytest.raises(ServiceError) as excinfo:
            create(firm, accountant=wrong)
        assert excinfo.value.field == "accountant"


def test_only_staff_of_the_firm_create_or_change_dossiers(
    firm: Firm, licence_admin: User, client_user: User, other_staff: User, dossier: Dossier
) -> None:
    assert create(firm, actor=licence_admin).firm == firm
    for actor in (client_user, other_staff):
        with pytest.raises(ServiceError):
            create(firm, actor=actor, code="NOPE")
        with pytest.raises(ServiceError):
            dossier_update(
                actor=actor,
                dossier=dossier,
                code=dossier.code,
                name="Hacked",
                enterprise_number="",
                language="fr",
                default_processing_mode="transport",
            )
    dossier.refresh_from_db()
    assert dossier.name == "Alpha Un SRL"


def test_update_checks_the_enterprise_number(firm: Firm, licence_admin: User) -> None:
    first = create(firm, code="A", enterprise_number="0403.170.701")
    second = create(firm, code="B")
    with pytest.raises(ServiceError):
        dossier_update(
            actor=licence_admin,
            dossier=second,
            code="B",
            name="B",
            language="nl",
            enterprise_number="0403170701",
            default_processing_mode="transport",
        )
    dossier_update(
        actor=licence_admin,
        dossier=first,
        code="A",
        name="A bis",
        language="nl",
        enterprise_number="0403.170.701",
        default_processing_mode="transport",
    )
    first.refresh_from_db()
    assert (first.name, first.language) == ("A bis", "nl")
