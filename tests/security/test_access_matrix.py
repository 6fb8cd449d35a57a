"""The access matrix (QUALITY.md, Access control), generated: every route of Django's URL
resolver and every operation of the API schema, with GET and POST (and the schema's other
methods), for every actor QUALITY.md lists, with ids filled from rows the actor must not
reach. Expected: the login page (anonymous, web), 401 (anonymous, API) or 404; no canary
string of a foreign row in any answer; no foreign row changed.

It runs twice: with the application's own scoping, and with it switched off
(``PORTAL_APP_SCOPING = False``), when PostgreSQL's row-level security alone must hold. A
control run without either wall shows that the matrix does see a leak.

A route without a rule in ``RULES`` fails ``test_every_route_has_a_rule``."""

import datetime
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dossiers.models import Dossier, DossierAccess, Firm, FirmLevel, FirmMembership
from tests.conftest import APP_ROLE
from tests.factories import DossierFactory, FirmFactory, MembershipFactory, grant
from users.models import User

# --- the rule table ----------------------------------------------------------------------------

#: "tenant": takes ids of tenant rows — refused to whoever must not reach them.
#: "own": the actor's own pages or lists (no foreign id) — any answer but a 5xx, no canary.
#: "public": open by design (login, health, schema, a secret link) — no 5xx, no canary.
RULES: dict[str, str] = {
    # Portal
    "portal:home": "own",
    "portal:hub": "own",
    "portal:language": "own",
    "portal:portal": "own",
    "portal:view": "own",
    "portal:view_firm": "own",
    "portal:api_tokens": "own",
    "portal:api_token_revoke": "tenant",
    "portal:firm_api_tokens": "tenant",
    "portal:firm_api_token_revoke": "tenant",
    "portal:firm": "tenant",
    "portal:dossier_create": "tenant",
    "portal:users": "tenant",
    "portal:credits": "tenant",
    "portal:user_create": "tenant",
    "portal:staff_search": "tenant",
    "portal:user": "tenant",
    "portal:user_invitation_send": "tenant",
    "portal:user_invitation_revoke": "tenant",
    "portal:dossier": "tenant",
    "portal:dossier_connect": "tenant",
    "portal:dossier_connection_test": "tenant",
    "portal:dossier_connection_test_run": "tenant",
    "portal:dossier_reads": "tenant",
    "portal:dossier_reads_csv": "tenant",
    "portal:view_dossier": "tenant",
    "portal:view_dossier_data": "tenant",
    "portal:view_dossier_csv": "tenant",
    "portal:view_reports": "tenant",
    "portal:view_firm_reports": "tenant",
    # Connect
    "connect:home": "own",
    "connect:inbox": "own",
    "connect:review_queue": "own",
    "connect:supplier_memories": "own",
    "connect:supplier_memory_forget": "tenant",
    "connect:inbox_messages": "own",
    "connect:dossier": "tenant",
    "connect:upload": "tenant",
    "connect:send": "tenant",
    "connect:send_desk": "tenant",
    "connect:document_delete": "tenant",
    "connect:document_replace": "tenant",
    "connect:inbox_bulk": "own",
    "connect:page": "tenant",
    "connect:preview_retry": "tenant",
    "connect:binder_create": "tenant",
    "connect:section": "tenant",
    "connect:document": "tenant",
    "connect:document_facts": "tenant",
    "connect:thumbnail": "tenant",
    "connect:download": "tenant",
    "connect:document_action": "tenant",
    "connect:share": "tenant",
    "connect:profile": "tenant",
    "connect:inbound_address": "tenant",
    "connect:attachment": "tenant",
    "connect:tasks": "tenant",
    "connect:task_calendar": "tenant",
    "connect:task_create": "tenant",
    "connect:task_deadlines": "tenant",
    "connect:task": "tenant",
    "connect:task_done": "tenant",
    "connect:task_reopen": "tenant",
    "connect:task_delete": "tenant",
    "connect:request_list": "tenant",
    "connect:request_create": "tenant",
    "connect:request_detail": "tenant",
    "connect:request_upload": "tenant",
    "connect:request_accept": "tenant",
    "connect:request_more_needed": "tenant",
    "connect:thread": "tenant",
    "connect:threads": "tenant",
    "connect:document_thread": "tenant",
    "connect:payments": "tenant",
    "connect:paying_accounts": "tenant",
    "connect:payment_batch": "tenant",
    "connect:payment_download": "tenant",
    "connect:supplier_account_confirm": "tenant",
    # API v1 (the schema walk covers its methods)
    "api:me": "own",
    "api:dossiers": "own",
    "api:dossier_documents": "tenant",
    "api:dossier_documents_zip": "tenant",
    "api:document": "tenant",
    "api:document_content": "tenant",
    "api:document_retrieved": "tenant",
    "api:schema": "public",
    "api:not_found": "public",
    # Accounts (allauth): the actor's own
    "account_login": "public",
    "account_logout": "own",
    "account_profile": "own",
    "account_inactive": "public",
    "account_reauthenticate": "own",
    "account_change_password": "own",
    "account_set_password": "own",
    "account_reset_password": "public",
    "account_reset_password_done": "public",
    "account_reset_password_from_key": "public",
    "account_reset_password_from_key_done": "public",
    "mfa_index": "own",
    "mfa_authenticate": "public",
    "mfa_reauthenticate": "own",
    "mfa_activate_totp": "own",
    "mfa_deactivate_totp": "own",
    "mfa_view_recovery_codes": "own",
    "mfa_generate_recovery_codes": "own",
    "mfa_download_recovery_codes": "own",
    "mfa_list_webauthn": "own",
    "mfa_add_webauthn": "own",
    "mfa_reauthenticate_webauthn": "own",
    "mfa_signup_webauthn": "public",
    "mfa_login_webauthn": "public",
    "mfa_remove_webauthn": "tenant",
    "mfa_edit_webauthn": "tenant",
    "usersessions_list": "own",
    "invitation_accept": "public",
    "inbound_postmark": "public",  # HTTP basic auth with the provider's own secret
    "health": "public",
    "health_db": "public",
    "health_redis": "public",
    "health_worker": "public",
    # The Django admin's own login and logout (its other routes: ADMIN_PREFIX)
    "admin:login": "public",
    "admin:logout": "own",
}
#: The Django admin: its own guard (superusers only) sends every actor here to a login page.
ADMIN_PREFIX = "admin:"


def resolver_routes() -> dict[str, str]:
    """Route name -> path pattern, for every named route."""
    routes: dict[str, str] = {}

    def walk(patterns: list, namespace: str = "", prefix: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                routes[f"{namespace}{pattern.name}"] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns)
    return routes


def test_every_route_has_a_rule() -> None:
    missing = {name for name in resolver_routes() if not name.startswith(ADMIN_PREFIX)} - set(RULES)
    assert not missing, f"routes without a rule in RULES: {sorted(missing)}"


# --- the world: two firms, three dossiers, a row of every kind in each ---------------------


@dataclass
class Tenant:
    """A dossier and one row of every kind in it, each carrying the dossier's canary."""

    firm: Firm
    dossier: Dossier
    canary: str
    client: User
    colleague: User
    ids: dict[str, Any] = field(default_factory=dict)


def tenant_build(firm: Firm, code: str, staff: User) -> Tenant:
    from allauth.mfa.models import Authenticator

    from connect.documents.services import document_receive, documents_send
    from connect.documents.services.processing import document_process
    from connect.models import (
        DocumentRequest,
        Message,
        PayingAccount,
        PaymentBatch,
        RememberedFact,
        SupplierMemory,
        Task,
        Thread,
    )
    from tests.connect.samples import pdf
    from users.services import api_token_create

    canary = f"canary{code.lower()}{uuid.uuid4().hex[:8]}"
    dossier = DossierFactory(firm=firm, code=code, name=f"{canary} SRL", accountant=staff)
    grant(staff, dossier, "connect.accountant", "view.admin")
    client = MembershipFactory(
        firm=firm, level=FirmLevel.USER, user__email=f"client-{code.lower()}@example.be"
    ).user
    grant(client, dossier, "connect.entrepreneur", "view.user")
    sent = document_receive(
        dossier=dossier,
        actor=client,
        filename=f"{canary}-sent.pdf",
        chunks=[pdf(text=canary)],
        source="web",
    ).document
    document_process(document_id=sent.pk)
    sent.refresh_from_db()
    documents_send(actor=client, dossier=dossier, documents=[sent])
    draft = document_receive(
        dossier=dossier,
        actor=client,
        filename=f"{canary}-draft.pdf",
        chunks=[pdf(text=f"{canary} draft")],
        source="web",
    ).document
    today = datetime.date(2026, 11, 28)
    task = Task.objects.create(
        dossier=dossier, title=f"{canary} task", due_date=today, created_by=staff
    )
    request = DocumentRequest.objects.create(
        dossier=dossier, description=f"{canary} request", due_date=today, created_by=staff
    )
    thread = Thread.objects.create(
        dossier=dossier, subject=f"{canary} thread", created_by=client, document=sent
    )
    Message.objects.create(thread=thread, author=client, body=f"{canary} message")
    account = PayingAccount.objects.create(
        dossier=dossier, name=f"{canary} account", iban="BE68539007547034"
    )
    batch = PaymentBatch.objects.create(
        dossier=dossier,
        account=account,
        message_id=f"MSG{uuid.uuid4().hex[:20]}",
        pain_version="pain.001.001.03",
        storage_name=f"payments/{canary}.xml",
        total=Decimal("10.00"),
        count=1,
        created_by=staff,
    )
    # The firm's supplier memory: a supplier named after the dossier's canary.
    memory = SupplierMemory.objects.create(
        firm=firm, key=f"name:{canary}", name=f"{canary} supplier", vat=f"BE{canary[-8:]}"
    )
    RememberedFact.objects.create(
        memory=memory,
        fact="invoice_number",
        label=f"{canary} label",
        relation="right",
        dx0=0.1,
        dx1=0.2,
        dy=0,
    )
    # Another client of the dossier owns a token and an authenticator (an actor's own rows are
    # theirs to see).
    colleague = MembershipFactory(
        firm=firm, level=FirmLevel.USER, user__email=f"colleague-{code.lower()}@example.be"
    ).user
    grant(colleague, dossier, "connect.entrepreneur")
    token, _raw = api_token_create(actor=colleague, name=f"{canary} token")
    authenticator = Authenticator.objects.create(
        user=colleague, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    return Tenant(
        firm=firm,
        dossier=dossier,
        canary=canary,
        client=client,
        colleague=colleague,
        ids={
            "firm_id": firm.public_id,
            "dossier_id": dossier.public_id,
            "document_id": sent.public_id,
            "draft_id": draft.public_id,
            "attachment_id": sent.public_id,
            "task_id": task.public_id,
            "request_id": request.public_id,
            "thread_id": thread.public_id,
            "batch_id": batch.public_id,
            "memory_id": memory.public_id,
            "user_id": colleague.public_id,
            "token_id": token.public_id,
            "pk": authenticator.pk,
        },
    )


@dataclass
class World:
    a: Tenant  # firm 1, dossier A
    b: Tenant  # firm 1, dossier B
    c: Tenant  # firm 2, dossier C
    licence_admin: User  # firm 1
    accountant: User  # firm 1 (power user, accountant of A and B)
    other_staff: User  # firm 2

    def tenants(self) -> list[Tenant]:
        return [self.a, self.b, self.c]


@pytest.fixture
def world(db: None, settings, tmp_path) -> World:
    return world_build(settings, tmp_path)


@pytest.fixture
def committed_world(transactional_db: None, settings, tmp_path) -> World:
    """The same rows, committed: another connection (the app's login role) can read them."""
    return world_build(settings, tmp_path)


def world_build(settings, tmp_path) -> World:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    firm1 = FirmFactory(name="Fiduciaire Alpha")
    firm2 = FirmFactory(name="Cabinet Beta")
    licence_admin = MembershipFactory(
        firm=firm1, level=FirmLevel.LICENCE_ADMIN, user__email="admin@alpha.be"
    ).user
    accountant = MembershipFactory(
        firm=firm1, level=FirmLevel.POWER_USER, user__email="accountant@alpha.be"
    ).user
    other_staff = MembershipFactory(
        firm=firm2, level=FirmLevel.LICENCE_ADMIN, user__email="admin@beta.be"
    ).user
    return World(
        a=tenant_build(firm1, "AAA", accountant),
        b=tenant_build(firm1, "BBB", accountant),
        c=tenant_build(firm2, "CCC", other_staff),
        licence_admin=licence_admin,
        accountant=accountant,
        other_staff=other_staff,
    )


# --- actors ----------------------------------------------------------------------------------

ACTORS = [
    "anonymous",
    "entrepreneur_a",
    "entrepreneur_b",
    "accountant_firm1",
    "licence_admin_firm1",
    "staff_firm2",
    "deactivated",
    "role_removed",
    "token_firm2",
    "token_expired",
    "token_read_only",
    "token_firm1_on_firm2",
]


@dataclass
class Actor:
    name: str
    user: User | None
    targets: list[Tenant]  # the dossiers whose rows the actor must not reach
    session: bool  # logged in through the web session
    token: str = ""  # a Bearer token of the actor (API)
    #: Dossiers the actor may read but not write: only their writes are tried (a read-only
    #: token on its own dossier).
    write_only: list[Tenant] = field(default_factory=list)


def actor_make(name: str, world: World) -> Actor:
    from dossiers.members import identity_active_sync
    from users.models import ApiToken, TokenScope
    from users.services import api_token_create

    if name == "anonymous":
        return Actor(name, None, [world.a, world.c], session=False)
    user, targets, session = {
        "entrepreneur_a": (world.a.client, [world.b, world.c], True),
        "entrepreneur_b": (world.b.client, [world.a, world.c], True),
        "accountant_firm1": (world.accountant, [world.c], True),
        "licence_admin_firm1": (world.licence_admin, [world.c], True),
        "staff_firm2": (world.other_staff, [world.a, world.b], True),
        "deactivated": (world.a.client, [world.a, world.b, world.c], True),
        "role_removed": (world.a.client, [world.a, world.b, world.c], True),
        "token_firm2": (world.other_staff, [world.a, world.b], False),
        # Its own dossier too: an expired token opens nothing.
        "token_expired": (world.a.client, [world.a, world.b, world.c], False),
        "token_read_only": (world.a.client, [world.b, world.c], False),
        # A person of both firms, with a token restricted to firm 1, on firm 2's dossier.
        "token_firm1_on_firm2": (world.accountant, [world.c], False),
    }[name]
    if name == "token_firm1_on_firm2":
        MembershipFactory(user=user, firm=world.c.firm, level=FirmLevel.USER)
        grant(user, world.c.dossier, "connect.entrepreneur")
    token, raw = api_token_create(
        actor=user,
        name="matrix",
        scope=TokenScope.READ if name == "token_read_only" else TokenScope.READ_UPLOAD_ACKNOWLEDGE,
        firm=world.a.firm if name == "token_firm1_on_firm2" else None,
    )
    if name == "token_expired":
        expired = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(minutes=1)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=expired)
    if name == "token_read_only":
        return Actor(name, user, targets, session=session, token=raw, write_only=[world.a])
    if name == "deactivated":  # as the firm deactivates a member: the identity follows
        FirmMembership.objects.filter(user=user).update(is_active=False)
        identity_active_sync(user)
    elif name == "role_removed":
        DossierAccess.objects.filter(user=user).delete()
    return Actor(name, user, targets, session=session, token=raw)


# --- one request, checked ----------------------------------------------------------------------


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def fill(pattern: str, tenant: Tenant) -> str:
    """The path of ``pattern`` with every parameter taken from ``tenant``'s rows."""
    path = re.sub(r"\^|\$|\\", "", pattern)
    constants = {
        "section": "invoices",
        "action": "reject",
        "report": "purchases_sales",
        "token": "not-a-real-invitation-token",
        "uidb36": "1",
        "key": "not-a-real-key",
        "path": "unknown",
        "app_label": "connect",
        "object_id": str(tenant.dossier.pk),
        "content_type_id": "1",
        "number": "1",
    }

    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in tenant.ids:
            return str(tenant.ids[name])
        if name in constants:
            return constants[name]
        raise AssertionError(f"no filler for the route parameter {name!r} in {pattern}")

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, path)
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, path)
    return "/" + path


def snapshot(tenants: list[Tenant], actor: User | None) -> dict[str, list[tuple]]:
    """Every row of the target dossiers, as tuples of all their values (not the actor's own
    identity and tokens: logging in touches them)."""
    from connect.models import (
        Binder,
        Document,
        DocumentRequest,
        Message,
        PayingAccount,
        PaymentBatch,
        RememberedFact,
        SupplierMemory,
        Task,
        Thread,
    )
    from users.models import ApiToken

    dossiers = [t.dossier.pk for t in tenants]
    firms = {t.firm.pk for t in tenants}
    users = [u.pk for t in tenants for u in (t.client, t.colleague) if u != actor]
    by_dossier = {
        "document": Document.objects.filter(dossier__in=dossiers),
        "binder": Binder.objects.filter(dossier__in=dossiers),
        "task": Task.objects.filter(dossier__in=dossiers),
        "request": DocumentRequest.objects.filter(dossier__in=dossiers),
        "thread": Thread.objects.filter(dossier__in=dossiers),
        "message": Message.objects.filter(thread__dossier__in=dossiers),
        "account": PayingAccount.objects.filter(dossier__in=dossiers),
        "batch": PaymentBatch.objects.filter(dossier__in=dossiers),
        "access": DossierAccess.objects.filter(dossier__in=dossiers),
        "dossier": Dossier.objects.filter(pk__in=dossiers),
        "firm": Firm.objects.filter(pk__in=firms),
        "supplier_memory": SupplierMemory.objects.filter(firm__in=firms),
        "remembered_fact": RememberedFact.objects.filter(memory__firm__in=firms),
        "membership": FirmMembership.objects.filter(firm__in=firms),
        "user": User.objects.filter(pk__in=users),
        "token": ApiToken.objects.filter(user__in=users).exclude(name="matrix"),
    }
    return {
        name: sorted(map(tuple, qs.order_by("pk").values_list())) for name, qs in by_dossier.items()
    }


@dataclass
class Tally:
    attempts: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        if len(self.failures) < 40:
            self.failures.append(message)


LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
#: Managing a second factor first asks for the password again: a refusal too.
REAUTH_PATHS = ("/accounts/reauthenticate/", "/accounts/2fa/reauthenticate/")
POST_DATA = {
    "name": "Intruder",
    "title": "Intruder",
    "description": "Intruder",
    "body": "Intruder",
    "filename": "hacked.pdf",
    "category": "other",
    "connect_enabled": "on",
    "due_date": "2026-12-31",
    "send": "true",
}


def check(
    tally: Tally,
    actor: Actor,
    client: Client,
    method: str,
    name: str,
    path: str,
    rule: str,
    canaries: list[str],
    *,
    api: bool,
    data: dict[str, Any],
) -> None:
    extra = {"HTTP_AUTHORIZATION": f"Bearer {actor.token}"} if api and actor.token else {}
    response = client.generic(
        method.upper(),
        path,
        data=urlencode(data, doseq=True) if method == "post" else "",
        content_type="application/x-www-form-urlencoded",
        **extra,
    )
    tally.attempts += 1
    status = response.status_code
    where = (
        f"{actor.name} {method.upper()} {name} {path} -> {status} {response.get('Location', '')}"
    )
    body = body_of(response)
    headers = " ".join(f"{k}: {v}" for k, v in response.items()).encode()
    for canary in canaries:
        if canary.encode() in body or canary.encode() in headers:
            tally.fail(f"{where}: foreign canary {canary} in the answer")
    if status >= 500:
        tally.fail(f"{where}: server error")
        return
    if rule != "tenant":
        return
    login = status == HTTPStatus.FOUND and response["Location"].startswith(LOGIN_PATHS)
    refused = {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}
    if name.startswith(ADMIN_PREFIX):
        ok = login or status == HTTPStatus.NOT_FOUND
    elif (api and not actor.token) or (api and actor.name == "token_expired"):
        ok = status == HTTPStatus.UNAUTHORIZED
    elif api and actor.name == "token_read_only":
        ok = status in refused or status == HTTPStatus.FORBIDDEN
    elif api:
        ok = status in refused or (
            actor.name == "deactivated" and status == HTTPStatus.UNAUTHORIZED
        )
    elif not actor.session:
        ok = login
    else:
        reauth = status == HTTPStatus.FOUND and response["Location"].startswith(REAUTH_PATHS)
        ok = status in refused or reauth or (actor.name == "deactivated" and login)
    if not ok:
        tally.fail(f"{where}: expected a refusal")


def api_operations() -> list[tuple[str, str, str]]:
    """(method, path template, operation id) of every operation in the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operations.append((method, path, operation.get("operationId", path)))
    return operations


def walk(actor: Actor, *, with_admin: bool) -> Tally:
    tally = Tally()
    client = Client()
    if actor.session and actor.user is not None:
        client.force_login(actor.user)
    canaries = [t.canary for t in actor.targets]
    routes = resolver_routes()
    # 1. Every route of the resolver, GET and POST, ids from each target dossier.
    for name, pattern in sorted(routes.items()):
        if name.startswith(ADMIN_PREFIX):
            if not with_admin:
                continue
            rule = RULES.get(name, "tenant")
        else:
            rule = RULES[name]
        api = name.startswith("api:")
        targets = actor.targets if "<" in pattern or "(?P<" in pattern else actor.targets[:1]
        for tenant in targets:
            path = fill(pattern, tenant)
            data = {
                **POST_DATA,
                "documents": [str(tenant.ids["document_id"])],
                "document": str(tenant.ids["document_id"]),
                "dossier": str(tenant.ids["dossier_id"]),
                "task": str(tenant.ids["task_id"]),
            }
            for method in ("get", "post"):
                check(tally, actor, client, method, name, path, rule, canaries, api=api, data=data)
                if actor.session and actor.user is not None and rule != "tenant":
                    # An own route may end the session (log out): the next request is the
                    # actor's again.
                    client.force_login(actor.user)
    # 2. Every operation of the API schema, with its own method (and every write on the
    # dossiers the actor may only read).
    for method, template, operation in api_operations():
        has_ids = "{" in template
        tenants = actor.targets if has_ids else actor.targets[:1]
        if has_ids and method != "get":
            tenants = [*tenants, *actor.write_only]
        for tenant in tenants:
            path = re.sub(
                r"\{(\w+)\}",
                lambda m, t=tenant: str(t.ids.get(m.group(1), "x")),
                template,
            )
            rule = "tenant" if has_ids else "own"
            check(
                tally,
                actor,
                client,
                method,
                operation,
                path,
                rule,
                canaries,
                api=True,
                data=POST_DATA,
            )
    return tally


# --- the tests ----------------------------------------------------------------------------------


@pytest.fixture
def without_app_scoping(settings) -> Iterator[None]:
    settings.PORTAL_APP_SCOPING = False
    yield


def _run(world: World, actor_name: str, *, with_admin: bool) -> Tally:
    actor = actor_make(actor_name, world)
    before = snapshot(actor.targets + actor.write_only, actor.user)
    tally = walk(actor, with_admin=with_admin)
    after = snapshot(actor.targets + actor.write_only, actor.user)
    for table in before:
        if before[table] != after[table]:
            tally.fail(f"{actor_name}: rows of {table} changed")
    print(f"\naccess matrix: {actor_name}: {tally.attempts} attempts")  # noqa: T201
    return tally


@pytest.mark.parametrize("actor_name", ACTORS)
def test_no_actor_reaches_what_is_not_theirs(world: World, actor_name: str) -> None:
    tally = _run(world, actor_name, with_admin=True)
    assert tally.attempts > 150
    assert not tally.failures, "\n".join(tally.failures)


@pytest.fixture
def as_app_login(settings) -> Iterator[None]:
    """The deployment's shape (docker-compose.yml): the application logs in as its own role,
    which owns nothing and has no BYPASSRLS — not the owner doing ``SET ROLE``."""
    owner = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = APP_ROLE
    settings.DATABASE_APP_ROLE = ""
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = owner


@pytest.mark.parametrize("actor_name", ACTORS)
def test_row_level_security_alone_holds(
    committed_world: World, as_app_login: None, without_app_scoping: None, actor_name: str
) -> None:
    """The application's tenant filters switched off, the application logged in as its own
    role: PostgreSQL's policies alone refuse."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_user, current_user, rolbypassrls, rolsuper FROM pg_roles"
            " WHERE rolname = current_user"
        )
        session_role, role, bypass, superuser = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user"
        )
        (owned,) = cursor.fetchone()
    assert session_role == role == APP_ROLE and not bypass and not superuser and owned == 0
    tally = _run(committed_world, actor_name, with_admin=False)
    assert tally.attempts > 150
    assert not tally.failures, "\n".join(tally.failures)


def test_without_either_wall_the_matrix_sees_the_leak(
    world: World, without_app_scoping: None
) -> None:
    """The control: the owner's connection (row security bypassed) and no app scoping —
    the client of A then reads dossier B's page, and the matrix says so."""
    actor = actor_make("entrepreneur_a", world)
    client = Client()
    assert actor.user is not None
    client.force_login(actor.user)
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    try:
        tally = Tally()
        path = fill(resolver_routes()["connect:section"], world.b)
        check(
            tally,
            actor,
            client,
            "get",
            "connect:section",
            path,
            "tenant",
            [world.b.canary],
            api=False,
            data={},
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {APP_ROLE}")
    assert any("canary" in failure for failure in tally.failures), tally.failures
