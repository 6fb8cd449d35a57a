"""The tenancy door (dossiers/access.py): each helper against another firm's rows, a removed
membership, a role on a dossier without Connect, a deactivated user, a staff member without a
role, an anonymous visitor."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from connect.models import Document
from core.errors import ServiceError
from dossiers.access import (
    carry_connect_roles,
    connect_dossiers,
    connect_roles_for,
    dossier_users,
    dossier_users_by_role,
    firm_staff_membership,
    in_connect_reach,
    is_firm_staff,
    require_connect_role,
    with_connect_roles,
)
from dossiers.models import (
    CONNECT_ROLES,
    ConnectionTest,
    Dossier,
    DossierAccess,
    Firm,
    FirmLevel,
    FirmMembership,
    Role,
)
from tests.factories import DossierFactory, MembershipFactory, UserFactory, grant
from users.models import User

ENTREPRENEUR = Role.CONNECT_ENTREPRENEUR
ACCOUNTANT = Role.CONNECT_ACCOUNTANT


def membership_end(user: User, firm: Firm) -> None:
    FirmMembership.objects.filter(user=user, firm=firm).update(is_active=False)


def identity_end(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()


# --- the firm's staff -----------------------------------------------------------------------


def test_staff_of_the_firm_is_staff_there_and_nowhere_else(
    firm: Firm, other_firm: Firm, licence_admin: User, accountant: User, other_staff: User
) -> None:
    assert is_firm_staff(user=licence_admin, firm_id=firm.pk)
    assert is_firm_staff(user=accountant, firm_id=firm.pk)  # a power user
    assert not is_firm_staff(user=licence_admin, firm_id=other_firm.pk)
    assert not is_firm_staff(user=other_staff, firm_id=firm.pk)
    membership = firm_staff_membership(user=licence_admin, firm_id=firm.pk)
    assert membership is not None and membership.level == FirmLevel.LICENCE_ADMIN
    assert firm_staff_membership(user=other_staff, firm_id=firm.pk) is None


def test_a_client_member_is_not_staff(firm: Firm, client_user: User) -> None:
    assert FirmMembership.objects.filter(user=client_user, firm=firm).exists()
    assert not is_firm_staff(user=client_user, firm_id=firm.pk)


def test_an_ended_membership_or_identity_is_not_staff(
    firm: Firm, licence_admin: User, accountant: User
) -> None:
    membership_end(licence_admin, firm)
    identity_end(accountant)
    for user in (licence_admin, accountant):
        assert not is_firm_staff(user=user, firm_id=firm.pk)
        assert firm_staff_membership(user=user, firm_id=firm.pk) is None


def test_an_anonymous_visitor_is_nobodys_staff_without_a_query(
    firm: Firm, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        assert not is_firm_staff(user=AnonymousUser(), firm_id=firm.pk)  # type: ignore[arg-type]
        assert firm_staff_membership(user=AnonymousUser(), firm_id=firm.pk) is None  # type: ignore[arg-type]


# --- Connect's reach ------------------------------------------------------------------------


@pytest.fixture
def reach(dossier: Dossier, other_dossier: Dossier) -> Callable[[User], set[Dossier]]:
    """The dossiers of the two firms in the user's Connect reach, through both helpers."""

    def of(user: User) -> set[Dossier]:
        direct = set(connect_dossiers(user))
        tests = {t.dossier for t in in_connect_reach(ConnectionTest.objects.all(), user)}
        assert tests == direct
        return direct

    ConnectionTest.objects.create(dossier=dossier)
    ConnectionTest.objects.create(dossier=other_dossier)
    return of


def test_the_reach_is_the_connect_roles_dossiers_of_the_actors_firms(
    reach, dossier: Dossier, client_user: User, accountant: User, other_staff: User
) -> None:
    assert reach(client_user) == {dossier}
    assert reach(accountant) == {dossier}
    assert reach(other_staff) == set()  # staff of the other firm, no role anywhere


def test_staff_without_a_connect_role_and_a_view_role_reach_nothing(
    reach, dossier: Dossier, licence_admin: User
) -> None:
    viewer = UserFactory()
    grant(viewer, dossier, Role.VIEW_USER)
    assert reach(licence_admin) == set()
    assert reach(viewer) == set()


def test_a_role_planted_on_another_firms_dossier_reaches_nothing(
    reach, client_user: User, other_dossier: Dossier, dossier: Dossier
) -> None:
    DossierAccess.objects.create(user=client_user, dossier=other_dossier, role=ENTREPRENEUR)
    assert reach(client_user) == {dossier}


def test_a_removed_membership_a_deactivated_user_and_connect_off_reach_nothing(
    reach, firm: Firm, dossier: Dossier, client_user: User, accountant: User
) -> None:
    membership_end(client_user, firm)
    identity_end(accountant)
    assert reach(client_user) == set()
    assert reach(accountant) == set()
    colleague = UserFactory()
    grant(colleague, dossier, ENTREPRENEUR)
    assert reach(colleague) == {dossier}
    Dossier.objects.filter(pk=dossier.pk).update(connect_enabled=False)
    assert reach(colleague) == set()


def test_the_reach_narrows_any_dossier_key_in_one_query(
    dossier: Dossier, other_dossier: Dossier, client_user: User, django_assert_num_queries
) -> None:
    grant(UserFactory(), other_dossier, ENTREPRENEUR)
    accesses = DossierAccess.objects.filter(role=ENTREPRENEUR)
    with django_assert_num_queries(1):
        rows = list(in_connect_reach(accesses, client_user, field="dossier_id"))
    assert {a.dossier_id for a in rows} == {dossier.pk}
    with django_assert_num_queries(1):
        assert list(in_connect_reach(Dossier.objects.all(), client_user, field="id")) == [dossier]


def test_an_anonymous_visitor_reaches_nothing_without_a_query(
    dossier: Dossier, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        assert list(in_connect_reach(ConnectionTest.objects.all(), AnonymousUser())) == []  # type: ignore[arg-type]
        assert connect_roles_for(actor=AnonymousUser(), dossier=dossier) is None  # type: ignore[arg-type]


# --- the actor's Connect roles on one dossier -------------------------------------------------


def test_connect_roles_are_the_actors_own_in_one_query(
    dossier: Dossier, client_user: User, accountant: User, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        assert connect_roles_for(actor=client_user, dossier=dossier) == {ENTREPRENEUR}
    grant(accountant, dossier, ENTREPRENEUR)
    assert connect_roles_for(actor=accountant, dossier=dossier) == set(CONNECT_ROLES)
    # View roles are not Connect roles: the client's view.user is left out.
    assert Role.VIEW_USER not in (connect_roles_for(actor=client_user, dossier=dossier) or ())


def test_connect_roles_are_none_out_of_reach(
    firm: Firm,
    dossier: Dossier,
    other_dossier: Dossier,
    client_user: User,
    accountant: User,
    licence_admin: User,
) -> None:
    DossierAccess.objects.create(user=client_user, dossier=other_dossier, role=ENTREPRENEUR)
    assert connect_roles_for(actor=client_user, dossier=other_dossier) is None  # planted
    assert connect_roles_for(actor=licence_admin, dossier=dossier) is None  # staff, no role
    identity_end(accountant)
    assert connect_roles_for(actor=accountant, dossier=dossier) is None
    membership_end(client_user, firm)
    assert connect_roles_for(actor=client_user, dossier=dossier) is None
    colleague = UserFactory()
    grant(colleague, dossier, ENTREPRENEUR)
    Dossier.objects.filter(pk=dossier.pk).update(connect_enabled=False)
    assert connect_roles_for(actor=colleague, dossier=dossier) is None


def test_the_guard_keeps_the_callers_message_and_answers_forbidden(
    dossier: Dossier, other_dossier: Dossier, client_user: User, accountant: User
) -> None:
    message = _("Only the dossier's accountant can do this.")
    assert require_connect_role(actor=accountant, dossier=dossier, message=message) == {ACCOUNTANT}
    assert require_connect_role(
        actor=client_user, dossier=dossier, message=message, roles=CONNECT_ROLES
    ) == {ENTREPRENEUR}
    for actor, target, roles in (
        (client_user, dossier, (ACCOUNTANT,)),  # in reach, without the role
        (accountant, other_dossier, ()),  # another firm's dossier
        (accountant, other_dossier, (ACCOUNTANT,)),
    ):
        with pytest.raises(ServiceError) as refused:
            require_connect_role(actor=actor, dossier=target, message=message, roles=roles)
        assert refused.value.code == "forbidden"
        assert refused.value.message == message


def test_without_the_applications_scoping_the_roles_still_count(
    settings, dossier: Dossier, licence_admin: User, client_user: User
) -> None:
    """``PORTAL_APP_SCOPING = False`` (the second wall alone, tests/security): every dossier
    with Connect on is in reach, as ``with_role`` says, but a role is still needed."""
    settings.PORTAL_APP_SCOPING = False
    assert connect_roles_for(actor=licence_admin, dossier=dossier) == frozenset()
    assert connect_roles_for(actor=client_user, dossier=dossier) == {ENTREPRENEUR}
    with pytest.raises(ServiceError):
        require_connect_role(
            actor=licence_admin, dossier=dossier, message="no", roles=(ACCOUNTANT,)
        )


@pytest.mark.parametrize("scoping", [True, False])
def test_roles_read_with_the_fetch_are_the_roles_asked_without_a_query(
    settings,
    scoping: bool,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    licence_admin: User,
    django_assert_num_queries,
) -> None:
    """A dossier or a document fetched ``with_connect_roles`` answers ``connect_roles_for``
    as the query would (member, roles, Connect on, the scoping switch), with no query."""
    settings.PORTAL_APP_SCOPING = scoping
    left, off = UserFactory.create_batch(2)
    grant(left, dossier, ENTREPRENEUR)
    membership_end(left, firm)
    grant(off, dossier, ENTREPRENEUR)
    document = Document.objects.create(
        firm=firm, dossier=dossier, filename="a.pdf", storage_name="x/a.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, source="web", status="sent",
    )  # fmt: skip
    for actor in (client_user, accountant, licence_admin, left, off):
        expected = connect_roles_for(actor=actor, dossier=dossier)
        fetched = with_connect_roles(Dossier.objects.all(), actor).get(pk=dossier.pk)
        row = with_connect_roles(Document.objects.select_related("dossier"), actor, "dossier").get(
            pk=document.pk
        )
        carry_connect_roles(row, row.dossier)
        with django_assert_num_queries(0):
            assert connect_roles_for(actor=actor, dossier=fetched) == expected
            assert connect_roles_for(actor=actor, dossier=row.dossier) == expected
    Dossier.objects.filter(pk=dossier.pk).update(connect_enabled=False)
    fetched = with_connect_roles(Dossier.objects.all(), client_user).get(pk=dossier.pk)
    with django_assert_num_queries(0):
        assert connect_roles_for(actor=client_user, dossier=fetched) is None


def test_roles_read_for_one_actor_are_not_anothers(
    dossier: Dossier, client_user: User, accountant: User, django_assert_num_queries
) -> None:
    fetched = with_connect_roles(Dossier.objects.all(), client_user).get(pk=dossier.pk)
    with django_assert_num_queries(1):
        assert connect_roles_for(actor=accountant, dossier=fetched) == {ACCOUNTANT}


def test_the_guard_asks_again_after_the_fetch(dossier: Dossier, accountant: User) -> None:
    """A role removed after the dossier was fetched with its roles: the services' guard
    refuses (it does not trust what the fetch read)."""
    fetched = with_connect_roles(Dossier.objects.all(), accountant).get(pk=dossier.pk)
    DossierAccess.objects.filter(user=accountant, dossier=dossier).delete()
    with pytest.raises(ServiceError):
        require_connect_role(actor=accountant, dossier=fetched, message="no")
    assert connect_roles_for(actor=accountant, dossier=fetched, fresh=True) is None


# --- who is in a dossier ----------------------------------------------------------------------


def test_the_dossiers_users_are_its_active_members_holding_a_role(
    firm: Firm,
    dossier: Dossier,
    other_dossier: Dossier,
    client_user: User,
    accountant: User,
    licence_admin: User,
) -> None:
    viewer, left, off, planted, elsewhere = UserFactory.create_batch(5)
    grant(viewer, dossier, Role.VIEW_USER)
    grant(left, dossier, ENTREPRENEUR)
    membership_end(left, firm)
    grant(off, dossier, ENTREPRENEUR)
    identity_end(off)
    DossierAccess.objects.create(user=planted, dossier=dossier, role=ENTREPRENEUR)  # no member
    grant(elsewhere, other_dossier, ENTREPRENEUR)
    assert set(dossier_users(dossier=dossier)) == {client_user, accountant}
    assert set(dossier_users(dossier=dossier, roles=(ENTREPRENEUR,))) == {client_user}
    assert set(dossier_users(dossier=dossier, roles=(Role.VIEW_USER,))) == {client_user, viewer}
    assert licence_admin not in dossier_users(dossier=dossier, roles=tuple(Role.values))
    assert set(dossier_users(dossier=other_dossier)) == {elsewhere}


def test_the_dossiers_users_by_role_in_one_query(
    firm: Firm, dossier: Dossier, client_user: User, accountant: User, django_assert_num_queries
) -> None:
    second = MembershipFactory(firm=firm, user__email="a-second@alpha-un.be").user
    grant(second, dossier, ENTREPRENEUR)
    left = UserFactory()
    grant(left, dossier, ENTREPRENEUR)
    membership_end(left, firm)
    with django_assert_num_queries(1):
        by_role = dossier_users_by_role(dossier=dossier)
    assert by_role == {
        ACCOUNTANT: [accountant],
        ENTREPRENEUR: [second, client_user],  # by WinBooksID
        Role.VIEW_ADMIN: [accountant],
        Role.VIEW_USER: [client_user],
    }
    assert dossier_users_by_role(dossier=dossier, roles=(ACCOUNTANT,)) == {ACCOUNTANT: [accountant]}


def test_another_firms_dossier_has_none_of_this_firms_users(
    other_dossier: Dossier, client_user: User, accountant: User
) -> None:
    assert dossier_users_by_role(dossier=other_dossier) == {}
    fresh = DossierFactory(firm=other_dossier.firm)
    assert list(dossier_users(dossier=fresh, roles=tuple(Role.values))) == []
