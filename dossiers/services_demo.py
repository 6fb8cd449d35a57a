"""The demo data of DESIGN.md §4, created idempotently."""

from dataclasses import dataclass

from django.db import transaction

from dossiers.members import dossier_roles_set, membership_set
from dossiers.models import Cartouche, Dossier, Firm, FirmLevel, LicenceKind, ProcessingMode, Role
from dossiers.services import dossier_create, firm_create
from users.models import User
from users.services import user_get_or_create

DEFAULT_DEMO_PASSWORD = "demo-Connect-2026"  # noqa: S105 - documented demo password

# (name, licence kind, cartouches and their credits)
FIRMS: list[tuple[str, str, dict[str, int]]] = [
    (
        "Fiduciaire Démo",
        LicenceKind.FULL,
        {ProcessingMode.TRANSPORT: 100, ProcessingMode.PREMIUM: 100, ProcessingMode.OPTIMUM: 100},
    ),
    ("Cabinet Exemple", LicenceKind.LIGHT, {ProcessingMode.TRANSPORT: 100}),
]

# (email, first name, last name, firm, level)
USERS = [
    ("admin@fiduciaire-demo.be", "Anne", "Dupont", "Fiduciaire Démo", FirmLevel.LICENCE_ADMIN),
    ("comptable@fiduciaire-demo.be", "Marc", "Lambert", "Fiduciaire Démo", FirmLevel.POWER_USER),
    ("client@boulangerie-demo.be", "Sophie", "Peeters", "Fiduciaire Démo", FirmLevel.USER),
    ("admin@cabinet-exemple.be", "Luc", "Janssens", "Cabinet Exemple", FirmLevel.LICENCE_ADMIN),
    ("client@fleuriste-exemple.be", "Emma", "Leroy", "Cabinet Exemple", FirmLevel.USER),
]

# (firm, code, name, enterprise number, connect, accountant, mode)
DOSSIERS = [
    (
        "Fiduciaire Démo",
        "BOULANGERIE",
        "Boulangerie Démo SRL",
        "0403.170.701",
        True,
        "comptable@fiduciaire-demo.be",
        ProcessingMode.PREMIUM,
    ),
    (
        "Fiduciaire Démo",
        "GARAGE",
        "Garage Démo SA",
        "0477.472.701",
        False,
        "comptable@fiduciaire-demo.be",
        ProcessingMode.TRANSPORT,
    ),
    (
        "Cabinet Exemple",
        "FLEURISTE",
        "Fleuriste Exemple SRL",
        "0812.345.603",
        True,
        "admin@cabinet-exemple.be",
        ProcessingMode.TRANSPORT,
    ),
]

# (email, dossier code, roles)
ACCESSES = [
    ("comptable@fiduciaire-demo.be", "BOULANGERIE", {Role.CONNECT_ACCOUNTANT, Role.VIEW_ADMIN}),
    ("comptable@fiduciaire-demo.be", "GARAGE", {Role.CONNECT_ACCOUNTANT, Role.VIEW_ADMIN}),
    ("client@boulangerie-demo.be", "BOULANGERIE", {Role.CONNECT_ENTREPRENEUR, Role.VIEW_USER}),
    ("admin@cabinet-exemple.be", "FLEURISTE", {Role.CONNECT_ACCOUNTANT, Role.VIEW_ADMIN}),
    ("client@fleuriste-exemple.be", "FLEURISTE", {Role.CONNECT_ENTREPRENEUR, Role.VIEW_USER}),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    firm: str
    level: str


@transaction.atomic
def demo_data_load(*, password: str) -> list[DemoLogin]:
    """Create (or bring back to their documented state) the demo firms, users and dossiers.
    Running it again changes nothing but what drifted; every demo password is reset."""
    firms: dict[str, Firm] = {}
    for firm_name, licence_kind, cartouches in FIRMS:
        firm = Firm.objects.filter(name=firm_name).first()
        if firm is None:
            firm = firm_create(name=firm_name, licence_kind=licence_kind, cartouches=cartouches)
        else:
            for mode, credits in cartouches.items():
                Cartouche.objects.get_or_create(firm=firm, mode=mode, defaults={"credits": credits})
        firms[firm_name] = firm

    users: dict[str, User] = {}
    logins = []
    for email, first, last, firm_name, level in USERS:
        user, _created = user_get_or_create(
            email=email, first_name=first, last_name=last, language="fr"
        )
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        membership_set(firm=firms[firm_name], user=user, level=level)
        users[email] = user
        logins.append(DemoLogin(email=email, firm=firm_name, level=level))

    dossiers: dict[str, Dossier] = {}
    for firm_name, code, name, number, connect, accountant, mode in DOSSIERS:
        firm = firms[firm_name]
        dossier = Dossier.objects.filter(firm=firm, code=code).first()
        if dossier is None:
            dossier = dossier_create(
                actor=None,
                firm=firm,
                code=code,
                name=name,
                enterprise_number=number,
                language="fr",
                connect_enabled=connect,
                accountant=users[accountant],
                default_processing_mode=mode,
            )
        dossiers[code] = dossier

    for email, code, roles in ACCESSES:
        dossier_roles_set(dossier=dossiers[code], user=users[email], roles=roles)
    return logins
