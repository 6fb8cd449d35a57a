"""Every page each role can reach, for the checks that walk them all (no sideways scroll,
axe-core): the demo data with long content added, a login per role, and a walk that follows
the links of each page from the role's entry points, one page per kind.

A "kind" of page is its URL name with its shaping parameters (the section, the tab): the
walk opens the first of each kind it finds, plus the pages named in ``seeds`` (the document
with the 200-character name), so it stays short and still sees every template.
"""

import contextlib
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.urls import Resolver404, resolve
from django.utils import timezone

from connect.collaboration.document_requests.services import request_create
from connect.collaboration.messages.services import thread_create
from connect.collaboration.todos.services import task_create
from connect.documents import services
from connect.models import Document, Processing
from dossiers.members import dossier_roles_set, membership_set
from dossiers.models import Dossier, Firm, FirmLevel, Role
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.connect import samples
from users.models import User
from users.services import user_get_or_create

CLIENT = "client@boulangerie-demo.be"
ACCOUNTANT = "comptable@fiduciaire-demo.be"
LICENCE_ADMIN = "admin@fiduciaire-demo.be"
ROLES = {"client": CLIENT, "accountant": ACCOUNTANT, "licence admin": LICENCE_ADMIN}

#: One unbroken 200-character file name (no space to wrap at).
LONG_FILENAME = ("Facture_Boulangerie-Patisserie_Peeters-Vandenberghe_" * 4)[:196] + ".pdf"
LONG_DOSSIER_NAME = (
    "Boulangerie-Pâtisserie Artisanale Peeters-Vandenberghe & Fils, établissement principal "
    "de la Chaussée de Louvain à Saint-Josse-ten-Noode SRL"
)
LONG_FIRM_NAME = (
    "Fiduciaire Démo - Expertise comptable, fiscale et conseil aux entreprises de "
    "Bruxelles-Capitale et du Brabant wallon SRL"
)
LONG_NAMES = {
    CLIENT: ("Sophie-Charlotte Marie-Antoinette", "Peeters-Vandenberghe de la Kerckhove"),
    ACCOUNTANT: ("Marc-Emmanuel Jean-Baptiste", "Lambert-Vanderstraeten d'Outremeuse"),
    LICENCE_ADMIN: ("Anne-Catherine Marie-Christine", "Dupont-Van Caillie de Ghellinck"),
}
LONG_EMAIL = (
    "sophie-charlotte.peeters-vandenberghe.comptabilite-fournisseurs"
    "@boulangerie-patisserie-artisanale-demo.be"
)
#: A rejection reason as an accountant writes one, with an unbroken reference in it.
LONG_REASON = (
    "Cette facture de la meunerie est illisible en bas de page et le numéro de TVA du "
    "fournisseur manque ; merci de nous renvoyer l'original complet avec la référence "
    "FACT-2026-000123456789/BOULANGERIE-PATISSERIE-PEETERS-VANDENBERGHE-CHAUSSEE-DE-LOUVAIN "
    "et le bon de livraison signé du 14 octobre."
)
ANONYMOUS_START = ["/accounts/login/", "/accounts/password/reset/"]
START = [
    "/",
    "/hub/",
    "/connect/",
    "/connect/inbox/",
    "/connect/review/",
    "/connect/suppliers/",
    "/connect/messages/",
    "/view/",
    "/view/firm/",
    "/portal/",
    "/tokens/",
    "/accounts/2fa/",
    "/accounts/sessions/",
    "/accounts/password/change/",
]

#: Not pages: files, JSON, actions, the operator's admin.
NOT_PAGES = {
    "connect:attachment",
    "connect:thumbnail",
    "connect:download",
    "connect:payment_download",
    "portal:view_dossier_csv",
    "portal:view_dossier_data",
    "portal:dossier_reads_csv",
    "portal:dossier_connection_test",
    "portal:staff_search",
    "portal:language",
    "account_logout",
}
#: Query parameters that change what a page shows (by value, or by being there at all).
SHAPING_VALUES = {"tab", "all"}
SHAPING_PRESENCE = {"binder", "task", "status", "month"}


@dataclass(frozen=True)
class LongContent:
    dossier: Dossier
    document: Document
    users: dict[str, User] = field(default_factory=dict)
    #: Documents in the states a list shows apart: rejected (a card on the client's desk),
    #: and one whose preview could not be made.
    rejected: Document | None = None
    preview_failed: Document | None = None

    def seeds(self) -> list[str]:
        """The document pages the walk opens whatever it found first."""
        documents = (self.document, self.rejected, self.preview_failed)
        return [f"/connect/documents/{d.public_id}/" for d in documents if d is not None]


def long_content_load() -> LongContent:
    """The demo data, with the long things real firms have: a 200-character file name, a long
    dossier, firm and user names, a long WinBooksID; and one of each thing a page lists
    (documents sent and on the desk, an e-invoice, a task, a request, a conversation), and
    the states that show apart: a document rejected with a long reason (the client's "action
    required" card) and one whose preview failed (stored as the processing's failure is)."""
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    users = {email: User.objects.get(email=email) for email in ROLES.values()}
    for email, (first, last) in LONG_NAMES.items():
        User.objects.filter(email=email).update(first_name=first, last_name=last)
        users[email].refresh_from_db()
    firm = Firm.objects.get(name="Fiduciaire Démo")
    dossier = Dossier.objects.get(firm=firm, code="BOULANGERIE")
    Dossier.objects.filter(pk=dossier.pk).update(
        name=LONG_DOSSIER_NAME, default_processing_mode="transport"
    )
    dossier.refresh_from_db()
    long_email, _created = user_get_or_create(
        email=LONG_EMAIL, first_name="Sophie-Charlotte", last_name="Peeters-Vandenberghe"
    )
    membership_set(firm=firm, user=long_email, level=FirmLevel.USER)
    dossier_roles_set(dossier=dossier, user=long_email, roles={Role.CONNECT_ENTREPRENEUR})

    client = users[CLIENT]
    accountant = users[ACCOUNTANT]
    long_one = _receive(dossier, client, LONG_FILENAME, samples.pdf(text="Meunerie"))
    einvoice = _receive(dossier, client, "facture-peppol.xml", samples.ubl())
    rejected = _receive(dossier, client, LONG_FILENAME, samples.pdf(text="Farine"))
    preview_failed = _receive(dossier, client, "scan-meunerie.pdf", samples.pdf(text="Scan"))
    services.documents_send(
        actor=client, dossier=dossier, documents=[long_one, einvoice, rejected, preview_failed]
    )
    long_one.refresh_from_db()
    rejected = services.document_reject(actor=accountant, document=rejected, reason=LONG_REASON)
    Document.objects.filter(pk=preview_failed.pk).update(
        processing=Processing.FAILED, processing_error="pdftoppm: time limit", thumbnail_name=""
    )
    preview_failed.refresh_from_db()
    _receive(dossier, client, "ticket-de-caisse.pdf", samples.pdf(text="Ticket"))  # on the desk
    soon = timezone.localdate() + timedelta(days=7)
    task_create(
        actor=accountant,
        dossier=dossier,
        title="Rentrer les extraits de compte du troisième trimestre",
        due_date=soon,
    )
    request_create(
        actor=accountant,
        dossier=dossier,
        description="Les extraits de compte d'octobre et les factures de la meunerie",
        period="Octobre 2026",
        due_date=soon,
    )
    thread_create(
        actor=client,
        dossier=dossier,
        subject="Question sur la facture de la meunerie",
        body="Bonjour, " + LONG_FILENAME,
        document=long_one,
    )
    Firm.objects.filter(pk=firm.pk).update(name=LONG_FIRM_NAME)
    return LongContent(
        dossier=dossier,
        document=long_one,
        users=users,
        rejected=rejected,
        preview_failed=preview_failed,
    )


def _receive(dossier: Dossier, user: User, filename: str, data: bytes) -> Document:
    return services.document_receive(
        dossier=dossier, actor=user, filename=filename, chunks=[data], source="web"
    ).document


def log_in(page: Any, email: str) -> None:
    """Log in through the form; a client with one dossier lands in Connect, others on the hub."""
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(hub|connect/dossiers/.+)/$"))


def page_kind(url: str) -> tuple[Any, ...] | None:
    """What makes a page a different page to check; None when it is not one of our pages."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    name = match.view_name
    if name in NOT_PAGES or name.startswith(("admin:", "api:")) or "health" in name:
        return None
    query = parse_qsl(parts.query)
    values = tuple(sorted((k, v) for k, v in query if k in SHAPING_VALUES))
    present = tuple(sorted({k for k, _v in query if k in SHAPING_PRESENCE}))
    words = tuple(sorted((k, str(v)) for k, v in match.kwargs.items() if k in ("section",)))
    return (name, words, values, present)


@dataclass
class Walk:
    """The pages one role opened (final URL after redirects) and their URL names."""

    role: str
    urls: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


#: JavaScript that waits until htmx has nothing in flight (pages fill parts of themselves).
SETTLED = "() => !document.querySelector('.htmx-request')"


def walk(
    page: Any,
    role: str,
    check: Callable[[Any, str], None],
    *,
    origin: str,
    start: Iterable[str] = START,
    seeds: Iterable[str] = (),
    limit: int = 150,
) -> Walk:
    """Open each page the role reaches from ``start`` and ``seeds`` through links, once per
    kind, and call ``check(page, url)`` on it. Pages that answer 403 or 404 (not this role's)
    are noted, not checked."""
    done = Walk(role=role)
    origin = origin.rstrip("/")
    queue: deque[tuple[str, bool]] = deque([(url, True) for url in seeds])
    queue.extend((url, False) for url in start)
    kinds: set[tuple[Any, ...]] = set()

    def examine(kind: tuple[Any, ...]) -> None:
        with contextlib.suppress(Exception):  # a page still polling is checked as it is
            page.wait_for_function(SETTLED, timeout=3000)
        path = urlsplit(page.url)._replace(scheme="", netloc="", fragment="").geturl()
        done.urls.append(path)
        done.names.add(kind[0])
        done.seen.update(
            state for state, selector in MUST_SEE.items() if page.locator(selector).count()
        )
        check(page, path)
        for link in page.eval_on_selector_all(
            "a[href]:not([download]):not([target=_blank])", "els => els.map(e => e.href)"
        ):
            parts = urlsplit(link)
            if f"{parts.scheme}://{parts.netloc}" == origin:
                queue.append((parts._replace(fragment="").geturl(), False))

    landed = page_kind(page.url) if page.url.startswith(origin) else None
    if landed is not None:  # where the login landed, with its one-time message
        kinds.add(landed)
        examine(landed)
    while queue and len(done.urls) < limit:
        url, forced = queue.popleft()
        kind = page_kind(url)
        if kind is None or (kind in kinds and not forced):
            continue
        kinds.add(kind)
        response = page.goto(url)
        final_kind = page_kind(page.url)
        if response is None or response.status >= 400 or final_kind is None:
            done.refused.append(url)
            continue
        if final_kind != kind and final_kind in kinds and not forced:
            continue  # a redirect to a page already checked
        kinds.add(final_kind)
        examine(final_kind)
    return done


#: Pages the walks must reach between them (the walk is not checking less than it claims).
MUST_REACH = {
    "portal:hub",
    "connect:section",
    "connect:document",
    "connect:inbox",
    "connect:review_queue",
    "connect:tasks",
    "connect:task",
    "connect:request_list",
    "connect:request_detail",
    "connect:inbox_messages",
    "connect:thread",
    "connect:payments",
    "connect:supplier_memories",
    "portal:firm",
    "portal:users",
    "portal:user",
    "portal:dossier",
    "portal:view_dossier",
    "portal:api_tokens",
    "mfa_index",
    "usersessions_list",
}

#: States the walks must have met on some page (the long-content data makes each of them).
MUST_SEE = {
    "the client's rejection card": ".action-required .card-rejected",
    "a failed preview": ".preview-failed",
}


def walk_every_role(
    page_factory: Callable[..., Any],
    origin: str,
    check: Callable[[Any, str], None],
    data: LongContent,
    **options: Any,
) -> dict[str, Walk]:
    """The pages before login, then every page of each role, in one browser with one context
    per role; fails when the walks together missed a page of ``MUST_REACH`` or a state of
    ``MUST_SEE``."""
    walks = {}
    anonymous = page_factory(locale="fr-BE", **options)
    walks["anonymous"] = walk(anonymous, "anonymous", check, origin=origin, start=ANONYMOUS_START)
    seeds = data.seeds()
    for role, email in ROLES.items():
        page = page_factory(locale="fr-BE", **options)
        log_in(page, email)
        walks[role] = walk(page, role, check, origin=origin, seeds=seeds)
    reached = set().union(*(done.names for done in walks.values()))
    assert reached >= MUST_REACH, f"the walk missed: {sorted(MUST_REACH - reached)}"
    seen = set().union(*(done.seen for done in walks.values()))
    assert seen >= set(MUST_SEE), f"the walk never met: {sorted(set(MUST_SEE) - seen)}"
    return walks
