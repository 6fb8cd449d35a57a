"""factory_boy factories. Sub-factories keep related rows in one firm: an access's user is made
a member of the dossier's firm; a dossier's accountant is staff of the dossier's firm."""

import factory
from factory.django import DjangoModelFactory

from dossiers.models import (
    Cartouche,
    Dossier,
    DossierAccess,
    Firm,
    FirmLevel,
    FirmMembership,
    LicenceKind,
    ProcessingMode,
)
from users.models import User

PASSWORD = "Correct-Horse-42"


class FirmFactory(DjangoModelFactory):
    class Meta:
        model = Firm
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Fiduciaire {n}")
    licence_kind = LicenceKind.FULL

    @factory.post_generation
    def cartouches(self, create: bool, extracted: dict | None, **kwargs: object) -> None:
        if not create:
            return
        modes = extracted
        if modes is None:
            modes = (
                {ProcessingMode.TRANSPORT: 10}
                if self.licence_kind == LicenceKind.LIGHT
                else dict.fromkeys(ProcessingMode.values, 10)
            )
        for mode, credits in modes.items():
            Cartouche.objects.create(firm=self, mode=mode, credits=credits)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.be")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    language = "fr"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = FirmMembership

    user = factory.SubFactory(UserFactory)
    firm = factory.SubFactory(FirmFactory)
    level = FirmLevel.USER


def staff_of(firm: Firm, level: str = FirmLevel.POWER_USER) -> User:
    return MembershipFactory(firm=firm, level=level).user


class DossierFactory(DjangoModelFactory):
    class Meta:
        model = Dossier

    firm = factory.SubFactory(FirmFactory)
    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"Société {n} SRL")
    connect_enabled = True
    accountant = factory.LazyAttribute(lambda o: staff_of(o.firm))
    default_processing_mode = ProcessingMode.TRANSPORT


class DossierAccessFactory(DjangoModelFactory):
    """A role on a dossier; the user is made a member of the dossier's firm if needed."""

    class Meta:
        model = DossierAccess
        skip_postgeneration_save = True

    dossier = factory.SubFactory(DossierFactory)
    user = factory.SubFactory(UserFactory)
    role = "connect.entrepreneur"

    @factory.post_generation
    def membership(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            FirmMembership.objects.get_or_create(
                user=self.user,
                firm=self.dossier.firm,
                defaults={"level": extracted or FirmLevel.USER},
            )


def grant(user: User, dossier: Dossier, *roles: str) -> None:
    for role in roles:
        DossierAccessFactory(user=user, dossier=dossier, role=role)
