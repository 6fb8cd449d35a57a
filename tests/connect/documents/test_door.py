"""The documents' door: ``Document.objects.visible_to`` (the dossiers in the actor's Connect
reach, without the others' private drafts) and the features' reads built on it, which answer
404 for another firm's id as for a missing one."""

import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from connect.collaboration.document_requests.services import (
    request_documents_for,
    request_get_for,
    request_list_for,
)
from connect.collaboration.messages.selectors import thread_get_for, thread_list_for
from connect.collaboration.todos.services import task_get_for, task_list_for
from connect.documents.selectors import (
    binder_list_for,
    document_get_for,
    document_list_for,
    document_visible_to,
)
from connect.models import (
    Binder,
    Document,
    DocumentRequest,
    PayingAccount,
    PaymentBatch,
    Source,
    Status,
    Task,
    Thread,
)
from connect.payments.selectors import (
    paying_accounts_for,
    payment_batch_get_for,
    payment_batches_for,
)
from dossiers.models import Dossier, DossierAccess, Firm, FirmMembership, Role
from tests.factories import UserFactory, grant
from users.models import User


def document(
    dossier: Dossier,
    uploaded_by: User,
    status: str = Status.SENT,
    *,
    never_sent: bool = False,
    **fields: Any,
) -> Document:
    """A document row of ``dossier`` (no stored file: only who sees it is tested here)."""
    sent = status != Status.DRAFT and not never_sent
    return Document.objects.create(
        firm_id=dossier.firm_id,
        dossier=dossier,
        filename=f"{status}.pdf",
        storage_name=f"documents/{uuid.uuid4()}.pdf",
        content_type="application/pdf",
        size=100,
        sha256=uuid.uuid4().hex * 2,
        source=fields.pop("source", Source.WEB),
        status=status,
        uploaded_by=uploaded_by,
        sent_at=timezone.now() if sent else None,
        **fields,
    )


@pytest.fixture
def desk(dossier: Dossier, client_user: User, accountant: User) -> dict[str, Document]:
    """The documents of dossier A: sent, the client's draft, a draft the client replaced
    (withdrawn, never sent), one withdrawn after a rejection, the accountant's own upload."""
    return {
        "sent": document(dossier, client_user),
        "draft": document(dossier, client_user, Status.DRAFT),
        "replaced_draft": document(dossier, client_user, Status.WITHDRAWN, never_sent=True),
        "withdrawn_after_sending": document(dossier, client_user, Status.WITHDRAWN),
        "accountants_draft": document(dossier, accountant, Status.DRAFT),
        "shared": document(dossier, accountant, Status.SHARED, source=Source.SHARED),
    }


@pytest.fixture
def foreign(other_dossier: Dossier, other_staff: User) -> Document:
    grant(other_staff, other_dossier, Role.CONNECT_ACCOUNTANT)
    return document(other_dossier, other_staff)


def seen(user: Any) -> set[str]:
    return set(Document.objects.visible_to(user).values_list("filename", flat=True))


def names(desk: dict[str, Document], *keys: str) -> set[str]:
    return {desk[k].filename for k in keys}


def test_the_client_sees_the_whole_desk_of_their_dossier_and_nothing_else(
    desk: dict[str, Document], foreign: Document, client_user: User
) -> None:
    assert {d.pk for d in Document.objects.visible_to(client_user)} == {d.pk for d in desk.values()}


def test_another_entrepreneur_of_the_dossier_shares_the_desk(
    desk: dict[str, Document], dossier: Dossier
) -> None:
    colleague = UserFactory()
    grant(colleague, dossier, Role.CONNECT_ENTREPRENEUR)
    assert len(Document.objects.visible_to(colleague)) == len(desk)


def test_the_accountant_does_not_see_the_clients_private_drafts(
    desk: dict[str, Document], foreign: Document, accountant: User
) -> None:
    """Drafts, and a draft the client replaced before sending, are the client's; the
    accountant sees what was sent (withdrawn after a rejection too) and their own uploads."""
    visible = set(Document.objects.visible_to(accountant))
    assert visible == {
        desk["sent"],
        desk["withdrawn_after_sending"],
        desk["accountants_draft"],
        desk["shared"],
    }
    assert not document_visible_to(accountant, desk["draft"])
    assert document_visible_to(accountant, desk["sent"])
    with pytest.raises(Http404):
        document_get_for(actor=accountant, public_id=desk["replaced_draft"].public_id)


def test_nobody_of_the_firm_sees_another_firms_documents(
    desk: dict[str, Document],
    foreign: Document,
    client_user: User,
    accountant: User,
    licence_admin: User,
    other_dossier: Dossier,
) -> None:
    # A role planted on the other firm's dossier, without a membership there, opens nothing.
    DossierAccess.objects.create(
        user=client_user, dossier=other_dossier, role=Role.CONNECT_ENTREPRENEUR
    )
    for user in (client_user, accountant, licence_admin):
        assert foreign not in Document.objects.visible_to(user)
        assert not document_visible_to(user, foreign)
        with pytest.raises(Http404):
            document_get_for(actor=user, public_id=foreign.public_id)
    assert seen(licence_admin) == set()  # staff without a Connect role: nothing either


def test_a_removed_membership_a_deactivated_user_connect_off_and_anonymous_see_nothing(
    desk: dict[str, Document],
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    django_assert_num_queries,
) -> None:
    FirmMembership.objects.filter(user=client_user, firm=firm).update(is_active=False)
    User.objects.filter(pk=accountant.pk).update(is_active=False)
    accountant.refresh_from_db()
    assert seen(client_user) == set()
    assert seen(accountant) == set()
    colleague = UserFactory()
    grant(colleague, dossier, Role.CONNECT_ENTREPRENEUR)
    assert seen(colleague) == names(desk, *desk)
    Dossier.objects.filter(pk=dossier.pk).update(connect_enabled=False)
    assert seen(colleague) == set()
    with django_assert_num_queries(0):
        assert seen(AnonymousUser()) == set()


def test_the_drafts_rule_holds_without_the_applications_scoping(
    settings, desk: dict[str, Document], accountant: User
) -> None:
    """``PORTAL_APP_SCOPING = False`` leaves the reach to the second wall (row-level
    security); the client's desk stays private to the accountant all the same."""
    settings.PORTAL_APP_SCOPING = False
    assert desk["draft"] not in Document.objects.visible_to(accountant)
    assert desk["sent"] in Document.objects.visible_to(accountant)


def test_a_tab_is_one_query_and_scoped_like_the_rest(
    desk: dict[str, Document],
    foreign: Document,
    dossier: Dossier,
    other_dossier: Dossier,
    client_user: User,
    accountant: User,
    django_assert_num_queries,
) -> None:
    with django_assert_num_queries(1):
        rows = list(
            document_list_for(actor=accountant, dossier=dossier, section="invoices", tab="desk")
        )
    assert rows == [desk["accountants_draft"]]  # not the client's draft
    assert (
        list(
            document_list_for(
                actor=client_user, dossier=other_dossier, section="invoices", tab="sent"
            )
        )
        == []
    )


# --- the features' reads on another firm's rows ---------------------------------------------


@pytest.fixture
def rows_of() -> Callable[[Dossier, User], dict[str, Any]]:
    """A task, a request, a thread, a paying account and a payment batch of a dossier."""

    def make(dossier: Dossier, author: User) -> dict[str, Any]:
        today = datetime.date(2026, 11, 28)
        account = PayingAccount.objects.create(
            dossier=dossier, name="Compte", iban="BE68539007547034"
        )
        return {
            "task": Task.objects.create(
                dossier=dossier, title="Tâche", due_date=today, created_by=author
            ),
            "request": DocumentRequest.objects.create(
                dossier=dossier, description="Relevés", due_date=today, created_by=author
            ),
            "thread": Thread.objects.create(dossier=dossier, subject="Sujet", created_by=author),
            "account": account,
            "batch": PaymentBatch.objects.create(
                dossier=dossier,
                account=account,
                message_id=f"MSG{uuid.uuid4().hex[:20]}",
                pain_version="pain.001.001.03",
                storage_name=f"payments/{uuid.uuid4()}.xml",
                total=Decimal("10.00"),
                count=1,
                created_by=author,
            ),
            "binder": Binder.objects.create(dossier=dossier, name="Classeur"),
        }

    return make


GETTERS = {
    "task": task_get_for,
    "request": request_get_for,
    "thread": thread_get_for,
    "batch": payment_batch_get_for,
}


@pytest.mark.parametrize("kind", GETTERS)
def test_each_features_getter_answers_404_for_another_firms_row(
    kind: str,
    rows_of,
    dossier: Dossier,
    other_dossier: Dossier,
    other_staff: User,
    client_user: User,
    accountant: User,
) -> None:
    grant(other_staff, other_dossier, Role.CONNECT_ACCOUNTANT)
    own = rows_of(dossier, accountant)[kind]
    theirs = rows_of(other_dossier, other_staff)[kind]
    getter = GETTERS[kind]
    for user in (client_user, accountant):
        assert getter(actor=user, public_id=own.public_id) == own
        with pytest.raises(Http404):
            getter(actor=user, public_id=theirs.public_id)
    with pytest.raises(Http404):
        getter(actor=other_staff, public_id=own.public_id)


def test_each_features_list_of_another_firms_dossier_is_empty(
    rows_of, dossier: Dossier, other_dossier: Dossier, other_staff: User, client_user: User
) -> None:
    grant(other_staff, other_dossier, Role.CONNECT_ACCOUNTANT)
    theirs = rows_of(other_dossier, other_staff)
    own = rows_of(dossier, client_user)
    lists: list[Callable[..., Any]] = [
        task_list_for,
        request_list_for,
        payment_batches_for,
        paying_accounts_for,
        binder_list_for,
    ]
    for selector in lists:
        assert list(selector(actor=client_user, dossier=other_dossier)) == []
        assert list(selector(actor=client_user, dossier=dossier)) != []
    assert list(thread_list_for(actor=client_user)) == [own["thread"]]
    assert theirs["thread"] not in thread_list_for(actor=client_user, dossier=other_dossier)


def test_a_requests_documents_follow_the_drafts_rule(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    request = DocumentRequest.objects.create(
        dossier=dossier,
        description="Relevés",
        due_date=datetime.date(2026, 11, 28),
        created_by=accountant,
    )
    sent = document(dossier, client_user, request=request)
    draft = document(dossier, client_user, Status.DRAFT, request=request)
    assert request_documents_for(actor=client_user, document_request=request) == [sent, draft]
    assert request_documents_for(actor=accountant, document_request=request) == [sent]


def test_a_thread_about_a_draft_follows_the_draft(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    sent = document(dossier, client_user)
    draft = document(dossier, client_user, Status.DRAFT)
    about_sent = Thread.objects.create(
        dossier=dossier, subject="a", created_by=client_user, document=sent
    )
    about_draft = Thread.objects.create(
        dossier=dossier, subject="b", created_by=client_user, document=draft
    )
    general = Thread.objects.create(dossier=dossier, subject="c", created_by=accountant)
    assert set(thread_list_for(actor=client_user)) == {about_sent, about_draft, general}
    assert set(thread_list_for(actor=accountant)) == {about_sent, general}
    with pytest.raises(Http404):
        thread_get_for(actor=accountant, public_id=about_draft.public_id)
