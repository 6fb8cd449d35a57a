"""Writes on firms and dossiers."""

import logging
import re
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.be import vat
from stdnum.exceptions import ValidationError as StdnumError

from core.audit import audit_changes, audit_record
from core.errors import ServiceError
from core.models import AuditAction
from core.queue import enqueue_on_commit
from dossiers.access import dossier_users, is_firm_staff
from dossiers.members import dossier_role_add
from dossiers.models import (
    LIGHT_MODES,
    Cartouche,
    ConnectionTest,
    Dossier,
    DossierAccess,
    Firm,
    FirmMembership,
    LicenceKind,
    ProcessingMode,
    Role,
)
from users.models import Language, User, normalize_winbooks_id
from users.services import language_clean

#: The connection test's Celery task (``dossiers.tasks.connection_test_run``), run after commit.
CONNECTION_TEST_TASK = "dossiers.tasks.connection_test_run"

logger = logging.getLogger(__name__)

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


def modes_held(firm: Firm) -> list[str]:
    """The processing modes the firm's licence may use, in the product's order."""
    held = set(firm.cartouches.values_list("mode", flat=True))
    return [
        mode
        for mode in ProcessingMode.values
        if mode in held and (not firm.is_light or mode in LIGHT_MODES)
    ]


def processing_mode_check(firm: Firm, mode: str, field: str = "default_processing_mode") -> None:
    """Refuse a mode the firm's licence does not allow (light licence: Transport only)."""
    _check_processing_mode(firm, mode, field)


def _check_processing_mode(firm: Firm, mode: str, field: str = "default_processing_mode") -> None:
    held = set(firm.cartouches.values_list("mode", flat=True))
    if firm.is_light and mode not in LIGHT_MODES:
        raise ServiceError(
            _("With a light licence only the Transport mode can be chosen."),
            code="light_licence",
            field=field,
        )
    if mode not in held:
        raise ServiceError(
            _("The firm's licence does not hold this cartouche."),
            code="cartouche_not_held",
            field=field,
        )


def _check_accountant(firm: Firm, accountant: User | None) -> None:
    if accountant is not None and not is_firm_staff(user=accountant, firm_id=firm.pk):
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


def _code_free(firm: Firm, code: str, exclude: Dossier | None = None) -> None:
    same_code = Dossier.objects.filter(firm=firm, code=code)
    if exclude is not None:
        same_code = same_code.exclude(pk=exclude.pk)
    if same_code.exists():
        raise ServiceError(
            _("The firm already has a dossier with the code %(code)s.") % {"code": code},
            code="dossier_code_taken",
            field="code",
        )


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
    default_processing_mode: str | None = None,
) -> Dossier:
    """Create a dossier in ``firm``. ``actor`` must be staff of the firm (None: the system,
    e.g. demo data or the platform operator). Without a mode, the first cartouche the
    licence holds (Transport first) is the default."""
    if default_processing_mode is None:
        held = set(firm.cartouches.values_list("mode", flat=True))
        default_processing_mode = next(
            (mode for mode in ProcessingMode.values if mode in held), ProcessingMode.TRANSPORT
        )
    if actor is not None and not is_firm_staff(user=actor, firm_id=firm.pk):
        raise ServiceError(_("You cannot create dossiers in this firm."), code="forbidden")
    code = dossier_code_clean(code)
    name, number, language = _information_clean(
        firm=firm, name=name, enterprise_number=enterprise_number, language=language
    )
    _check_processing_mode(firm, default_processing_mode)
    _check_accountant(firm, accountant)
    _code_free(firm, code)
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                firm=firm,
                code=code,
                name=name,
                enterprise_number=number,
                language=language,
                connect_enabled=connect_enabled,
                accountant=accountant,
                default_processing_mode=default_processing_mode,
            )
            audit_record(
                firm=firm,
                actor=actor,
                action=AuditAction.DOSSIER_CREATED,
                dossier=dossier,
                after=_information_of(dossier),
            )
            return dossier
    except IntegrityError:
        # Lost a race with a concurrent creation of the same code or number.
        raise ServiceError(
            _("The firm already has a dossier with this code or enterprise number."),
            code="dossier_taken",
        ) from None


def _information_of(dossier: Dossier) -> dict[str, str]:
    return {
        "code": dossier.code,
        "name": dossier.name,
        "enterprise_number": dossier.enterprise_number_display,
        "language": dossier.language,
    }


def dossier_update(
    *,
    actor: User,
    dossier: Dossier,
    code: str,
    name: str,
    enterprise_number: str,
    language: str,
    default_processing_mode: str,
) -> Dossier:
    """Change a dossier's information and default processing mode (staff of its firm). A mode
    whose cartouche the licence lacks, or any mode but Transport on a light licence, is refused
    here whatever the form offered."""
    firm = dossier.firm
    if not is_firm_staff(user=actor, firm_id=firm.pk):
        raise ServiceError(_("You cannot change this dossier."), code="forbidden")
    code = dossier_code_clean(code)
    name, number, language = _information_clean(
        firm=firm,
        name=name,
        enterprise_number=enterprise_number,
        language=language,
        exclude=dossier,
    )
    _check_processing_mode(firm, default_processing_mode)
    _code_free(firm, code, exclude=dossier)
    before = _information_of(dossier)
    mode_before = dossier.default_processing_mode
    dossier.code, dossier.name, dossier.enterprise_number, dossier.language = (
        code,
        name,
        number,
        language,
    )
    dossier.default_processing_mode = default_processing_mode
    after = _information_of(dossier)
    try:
        with transaction.atomic():
            dossier.save(
                update_fields=[
                    "code",
                    "name",
                    "enterprise_number",
                    "language",
                    "default_processing_mode",
                ]
            )
            audit_changes(
                firm=firm,
                actor=actor,
                action=AuditAction.DOSSIER_CHANGED,
                dossier=dossier,
                before=before,
                after=after,
            )
            audit_changes(
                firm=firm,
                actor=actor,
                action=AuditAction.MODE_CHANGED,
                dossier=dossier,
                before={"default_processing_mode": mode_before},
                after={"default_processing_mode": default_processing_mode},
            )
    except IntegrityError:
        raise ServiceError(
            _("The firm already has a dossier with this code or enterprise number."),
            code="dossier_taken",
        ) from None
    return dossier


# --- Connect settings and the connection test -----------------------------------------------


def dossier_connect_update(
    *, actor: User, dossier: Dossier, connect_enabled: bool, accountant_email: str
) -> ConnectionTest | None:
    """Switch Connect and name the accountant (an active staff member of the firm, given
    ``connect.accountant`` on the dossier if they lack it). Switching Connect on starts the
    connection test, returned."""
    firm = dossier.firm
    if not is_firm_staff(user=actor, firm_id=firm.pk):
        raise ServiceError(_("You cannot change this dossier."), code="forbidden")
    accountant: User | None = None
    if accountant_email.strip():
        accountant = User.objects.filter(
            email=normalize_winbooks_id(accountant_email),
            id__in=FirmMembership.objects.staff().filter(firm=firm).values("user_id"),
        ).first()
        if accountant is None:
            raise ServiceError(
                _("No active staff member of the firm has this WinBooksID."),
                code="accountant_not_staff",
                field="accountant",
            )
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("accountant")
            .get(pk=dossier.pk)
        )
        was_enabled = dossier.connect_enabled
        audit_changes(
            firm=firm,
            actor=actor,
            action=AuditAction.ACCOUNTANT_CHANGED,
            dossier=dossier,
            before={"accountant": dossier.accountant.email if dossier.accountant else None},
            after={"accountant": accountant.email if accountant else None},
        )
        audit_changes(
            firm=firm,
            actor=actor,
            action=AuditAction.CONNECT_SWITCHED,
            dossier=dossier,
            before={"connect_enabled": was_enabled},
            after={"connect_enabled": connect_enabled},
        )
        dossier.accountant, dossier.connect_enabled = accountant, connect_enabled
        dossier.save(update_fields=["accountant", "connect_enabled"])
        if accountant is not None:
            dossier_role_add(
                actor=actor, dossier=dossier, user=accountant, role=Role.CONNECT_ACCOUNTANT
            )
        test = None
        if connect_enabled and not was_enabled:
            test = connection_test_start(actor=actor, dossier=dossier)
    return test


def connection_test_start(*, actor: User, dossier: Dossier) -> ConnectionTest:
    """Record a connection test and run it in the worker once the transaction commits."""
    if not is_firm_staff(user=actor, firm_id=dossier.firm_id):
        raise ServiceError(_("You cannot change this dossier."), code="forbidden")
    test = ConnectionTest.objects.create(dossier=dossier, requested_by=actor)
    enqueue_on_commit(CONNECTION_TEST_TASK, test.pk)
    return test


def inbound_email_address(dossier: Dossier) -> str:
    domain = settings.INBOUND_EMAIL_DOMAIN
    return (
        f"{dossier.inbound_email_token}@{domain}" if domain and dossier.inbound_email_token else ""
    )


def _check_accountant_ready(dossier: Dossier) -> dict[str, Any]:
    accountant = dossier.accountant
    if accountant is None:
        return {"check": "accountant", "ok": False, "detail": "missing"}
    if not is_firm_staff(user=accountant, firm_id=dossier.firm_id):
        return {
            "check": "accountant",
            "ok": False,
            "detail": "not_staff",
            "value": accountant.email,
        }
    if not DossierAccess.objects.filter(
        user=accountant, dossier=dossier, role=Role.CONNECT_ACCOUNTANT
    ).exists():
        return {"check": "accountant", "ok": False, "detail": "no_role", "value": accountant.email}
    return {"check": "accountant", "ok": True, "detail": "ok", "value": accountant.email}


def _check_inbound_email(dossier: Dossier) -> dict[str, Any]:
    address = inbound_email_address(dossier)
    if not address:
        return {"check": "inbound_email", "ok": False, "detail": "not_configured"}
    return {"check": "inbound_email", "ok": True, "detail": "ok", "value": address}


def _check_storage(dossier: Dossier) -> dict[str, Any]:
    probe = f"healthchecks/{dossier.public_id}/{uuid.uuid4().hex}.txt"
    content = secrets.token_bytes(64)
    try:
        name = default_storage.save(probe, ContentFile(content))
        try:
            with default_storage.open(name, "rb") as handle:
                read_back = handle.read()
        finally:
            default_storage.delete(name)
    except Exception as exc:  # any storage failure is this check's answer, not a crash
        logger.warning("connection test: storage check failed: %s", exc)
        return {"check": "storage", "ok": False, "detail": "error", "value": type(exc).__name__}
    if read_back != content:
        return {"check": "storage", "ok": False, "detail": "mismatch"}
    return {"check": "storage", "ok": True, "detail": "ok"}


def _check_entrepreneur(dossier: Dossier) -> dict[str, Any]:
    count = dossier_users(dossier=dossier, roles=(Role.CONNECT_ENTREPRENEUR,)).count()
    return {
        "check": "entrepreneur",
        "ok": count > 0,
        "detail": "ok" if count else "none",
        "value": count,
    }


def connection_test_run(*, test_id: int) -> ConnectionTest | None:
    """Run the checks of one connection test and store their results (idempotent: a test
    already done is left as it is)."""
    test = (
        ConnectionTest.objects.select_related("dossier__firm", "dossier__accountant")
        .filter(pk=test_id)
        .first()
    )
    if test is None or test.status == ConnectionTest.Status.DONE:
        return test
    dossier = test.dossier
    test.results = [
        _check_accountant_ready(dossier),
        _check_inbound_email(dossier),
        _check_storage(dossier),
        _check_entrepreneur(dossier),
    ]
    test.status = ConnectionTest.Status.DONE
    test.finished_at = timezone.now()
    test.save(update_fields=["results", "status", "finished_at"])
    return test
