"""Writes on firms and dossiers."""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from stdnum.be import vat
from stdnum.exceptions import ValidationError as StdnumError

from dossiers.models import LIGHT_MODES, Cartouche, Dossier, Firm, LicenceKind, ProcessingMode
from portal.errors import ServiceError
from users.models import FirmMembership, Language, User
from users.services import language_clean

DOSSIER_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,19}$")


def enterprise_number_clean(value: str) -> str:
    """A Belgian enterprise number (KBO/BCE), compacted to its 10 digits, or ServiceError."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return str(vat.validate(value))
    except StdnumError:
        raise ServiceError(
            _("This is not a valid Belgian enterprise number (for example 0403.170.701)."),
            code="enterprise_number_invalid",
            field="enterprise_number",
        ) from None


def dossier_code_clean(value: str) -> str:
    code = (value or "").strip().upper()
    if not DOSSIER_CODE_RE.match(code):
        raise ServiceError(
            _(
                "A dossier code has 1 to 20 characters: letters, digits, dots, dashes or "
                "underscores, starting with a letter or a digit."
            ),
            code="dossier_code_invalid",
            field="code",
        )
    return code


def firm_create(
    *,
    name: str,
    licence_kind: str = LicenceKind.FULL,
    cartouches: dict[str, int] | None = None,
    accounting_url: str = "",
    onweb_url: str = "",
) -> Firm:
    """A firm with its licence; a light licence holds transport only."""
    cartouches = cartouches if cartouches is not None else {ProcessingMode.TRANSPORT: 0}
    if licence_kind == LicenceKind.LIGHT and any(m not in LIGHT_MODES for m in cartouches):
        raise ServiceError(
            _("A light licence holds the Transport cartouche only."), code="light_licence"
        )
    with transaction.atomic():
        firm = Firm.objects.create(
            name=name,
            licence_kind=licence_kind,
            accounting_url=accounting_url,
            onweb_url=onweb_url,
        )
        Cartouche.objects.bulk_create(
            Cartouche(firm=firm, mode=mode, credits=credits) for mode, credits in cartouches.items()
        )
    return firm


def actor_is_staff(*, actor: User, firm: Firm) -> bool:
    return FirmMembership.objects.staff().filter(user=actor, firm=firm).exists()


def _check_processing_mode(firm: Firm, mode: str) -> None:
    held = set(firm.cartouches.values_list("mode", flat=True))
    if firm.is_light and mode not in LIGHT_MODES:
        raise ServiceError(
            _("With a light licence only the Transport mode can be chosen."),
            code="light_licence",
            field="default_processing_mode",
        )
    if mode not in held:
        raise ServiceError(
            _("The firm's licence does not hold this cartouche."),
            code="cartouche_not_held",
            field="default_processing_mode",
        )


def _check_accountant(firm: Firm, accountant: User | None) -> None:
    if (
        accountant is not None
        and not FirmMembership.objects.staff().filter(user=accountant, firm=firm).exists()
    ):
        raise ServiceError(
            _("The accountant must be a staff member of the firm."),
            code="accountant_not_staff",
            field="accountant",
        )


def _information_clean(
    *, firm: Firm, name: str, enterprise_number: str, language: str, exclude: Dossier | None = None
) -> tuple[str, str, str]:
    """Name, enterprise number (valid, unused in the firm) and language of a dossier."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("The dossier needs a name."), code="name_required", field="name")
    language = language_clean(language)
    number = enterprise_number_clean(enterprise_number)
    if number:
        same_number = Dossier.objects.filter(firm=firm, enterprise_number=number)
        if exclude is not None:
            same_number = same_number.exclude(pk=exclude.pk)
        if same_number.exists():
            raise ServiceError(
                _("The firm already has a dossier with this enterprise number."),
                code="enterprise_number_taken",
                field="enterprise_number",
            )
    return name, number, language


def dossier_create(
    *,
    actor: User | None,
    firm: Firm,
    code: str,
    name: str,
    enterprise_number: str = "",
    language: str = Language.FR,
    connect_enabled: bool = False,
    accountant: User | None = None,
    default_processing_mode: str = ProcessingMode.TRANSPORT,
) -> Dossier:
    """Create a dossier in ``firm``. ``actor`` must be staff of the firm (None: the system,
    e.g. demo data or the platform operator)."""
    if actor is not None and not actor_is_staff(actor=actor, firm=firm):
        raise ServiceError(_("You cannot create dossiers in this firm."), code="forbidden")
    code = dossier_code_clean(code)
    name, number, language = _information_clean(
        firm=firm, name=name, enterprise_number=enterprise_number, language=language
    )
    _check_processing_mode(firm, default_processing_mode)
    _check_accountant(firm, accountant)
    if Dossier.objects.filter(firm=firm, code=code).exists():
        raise ServiceError(
            _("The firm already has a dossier with the code %(code)s.") % {"code": code},
            code="dossier_code_taken",
            field="code",
        )
    try:
        with transaction.atomic():
            return Dossier.objects.create(
                firm=firm,
                code=code,
                name=name,
                enterprise_number=number,
                language=language,
                connect_enabled=connect_enabled,
                accountant=accountant,
                default_processing_mode=default_processing_mode,
            )
    except IntegrityError:
        # Lost a race with a concurrent creation of the same code or number.
        raise ServiceError(
            _("The firm already has a dossier with this code or enterprise number."),
            code="dossier_taken",
        ) from None


def dossier_update(
    *,
    actor: User,
    dossier: Dossier,
    name: str,
    enterprise_number: str,
    language: str,
) -> Dossier:
    """Change a dossier's information (staff of its firm)."""
    if not actor_is_staff(actor=actor, firm=dossier.firm):
        raise ServiceError(_("You cannot change this dossier."), code="forbidden")
    name, number, language = _information_clean(
        firm=dossier.firm,
        name=name,
        enterprise_number=enterprise_number,
        language=language,
        exclude=dossier,
    )
    dossier.name = name
    dossier.enterprise_number = number
    dossier.language = language
    try:
        with transaction.atomic():
            dossier.save(update_fields=["name", "enterprise_number", "language"])
    except IntegrityError:
        raise ServiceError(
            _("The firm already has a dossier with this enterprise number."),
            code="enterprise_number_taken",
            field="enterprise_number",
        ) from None
    return dossier
