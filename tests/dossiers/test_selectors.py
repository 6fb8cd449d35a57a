"""Every selector, for every kind of actor, never returns another firm's rows."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from core import db_scope
from dossiers import selectors
from dossiers.access import connect_roles_for
from dossiers.members import memberships_for, memberships_from_scope, roles_by_dossier_for
from dossiers.models import Dossier, Firm, FirmLevel, FirmMembership
from tests.factories import DossierFactory, FirmFactory, MembershipFactory, grant
from users.models import User

GETTERS = [
    selectors.dossier_get_for,
    selectors.dossier_staff_get_for,
    selectors.dossier_connect_get_for,
    selectors.dossier_connect_get_with_others_for,
    selectors.dossier_view_get_for,
]
LISTS = [
    selectors.dossier_list_for,
    selectors.dossier_connect_list_for,
    selectors.dossier_view_list_for,
]


@pytest.fixture
def actors(
    licence_admin: User,
    accountant: User,
    client_user: User,
    other_staff: User,
    other_dossier: Dossier,
) -> dict[str, User]:
    return {
        "licence_admin": licence_admin,
        "accountant": accountant,
        "client": client_user,
        "other_staff": other_staff,
    }


@pytest.mark.parametrize("actor_name", ["licence_admin", "accountant", "client"])
@pytest.mark.parametrize("getter", GETTERS)
def test_getters_answer_404_for_another_firms_dossier(
    actors: dict[str, User], other_dossier: Dossier, actor_name: str, getter
) -> None:
    with pytest.raises(Http404):
        getter(actor=actors[actor_name], public_id=other_dossier.public_id)


@pytest.mark.parametrize("getter", GETTERS)
@pytest.mark.parametrize("bad_id", [uuid.uuid4(), "not-a-uuid", None, 42])
def test_getters_answer_404_for_missing_or_malformed_ids(
    accountant: User, getter, bad_id: object
) -> None:
    with pytest.raises(Http404):
        getter(actor=accountant, public_id=bad_id)


def test_a_dossier_and_the_actors_other_dossiers_in_one_query(
    firm: Firm,
    dossier: Dossier,
    other_dossier: Dossier,
    accountant: User,
    django_assert_num_queries,
) -> None:
    second = DossierFactory(firm=firm, accountant=accountant, code="ZZ-2")
    grant(accountant, second, "connect.accountant")
    DossierFactory(firm=firm, accountant=accountant, code="ZZ-3")  # no role on it
    with django_assert_num_queries(1):
        current, others = selectors.dossier_connect_get_with_others_for(
            actor=accountant, public_id=str(dossier.public_id)
        )
        assert connect_roles_for(actor=accountant, dossier=current) == {"connect.accountant"}
    assert (current, others) == (dossier, [second])


@pytest.mark.parametrize("actor_name", ["licence_admin", "accountant", "client", "other_staff"])
@pytest.mark.parametrize("lister", LISTS)
def test_lists_stay_in_the_actors_firm(actors: dict[str, User], actor_name: str, lister) -> None:
    actor = actors[actor_name]
    firms = set(FirmMembership.objects.filter(user=actor).values_list("firm_id", flat=True))
    rows = list(lister(actor=actor))
    assert all(d.firm_id in firms for d in rows)


def test_staff_see_every_dossier_of_their_firm_users_only_their_roles(
    firm: Firm, dossier: Dossier, licence_admin: User, client_user: User
) -> None:
    second = DossierFactory(firm=firm, code="ALPHA2")
    assert set(selectors.dossier_list_for(actor=licence_admin)) == {dossier, second}
    assert set(selectors.dossier_list_for(actor=client_user)) == {dossier}
    with pytest.raises(Http404):
        selectors.dossier_get_for(actor=client_user, public_id=second.public_id)
    with pytest.raises(Http404):  # a client is not staff: no Portal dossier page
        selectors.dossier_staff_get_for(actor=client_user, public_id=dossier.public_id)


def test_connect_and_view_lists_follow_roles_and_the_connect_switch(
    dossier: Dossier, client_user: User, licence_admin: User
) -> None:
    assert list(selectors.dossier_connect_list_for(actor=client_user)) == [dossier]
    assert list(selectors.dossier_view_list_for(actor=client_user)) == [dossier]
    # Staff without a role do not get Connect or View on a dossier.
    assert not selectors.dossier_connect_list_for(actor=licence_admin).exists()
    dossier.connect_enabled = False
    dossier.save()
    assert not selectors.dossier_connect_list_for(actor=client_user).exists()
    assert list(selectors.dossier_view_list_for(actor=client_user)) == [dossier]


def test_a_role_in_a_firm_the_user_left_gives_nothing(dossier: Dossier, client_user: User) -> None:
    FirmMembership.objects.filter(user=client_user).delete()
    for lister in LISTS:
        assert not lister(actor=client_user).exists()
    assert roles_by_dossier_for(actor=client_user) == {}


def test_a_role_planted_on_a_foreign_dossier_gives_nothing(
    client_user: User, other_dossier: Dossier
) -> None:
    # Written around the services (which refuse it): the selectors still do not follow it.
    from dossiers.models import DossierAccess

    DossierAccess.objects.create(user=client_user, dossier=other_dossier, role="view.user")
    for lister in LISTS:
        assert other_dossier not in lister(actor=client_user)
    assert other_dossier.pk not in roles_by_dossier_for(actor=client_user)


def test_deactivated_and_anonymous_users_see_nothing(
    dossier: Dossier, client_user: User, licence_admin: User
) -> None:
    for user in (client_user, licence_admin):
        user.is_active = False
        user.save()
        for lister in LISTS:
            assert not lister(actor=user).exists()
        assert not selectors.firm_list_for(actor=user).exists()
    anonymous = AnonymousUser()
    for lister in LISTS:
        assert not lister(actor=anonymous).exists()  # type: ignore[arg-type]
    assert memberships_for(actor=anonymous) == []  # type: ignore[arg-type]


def test_firm_selectors(
    firm: Firm, other_firm: Firm, licence_admin: User, client_user: User, other_staff: User
) -> None:
    assert list(selectors.firm_list_for(actor=client_user)) == [firm]
    assert list(selectors.firm_staff_list_for(actor=client_user)) == []
    assert list(selectors.firm_staff_list_for(actor=licence_admin)) == [firm]
    assert selectors.firm_staff_get_for(actor=licence_admin, public_id=firm.public_id) == firm
    with pytest.raises(Http404):
        selectors.firm_staff_get_for(actor=licence_admin, public_id=other_firm.public_id)
    with pytest.raises(Http404):
        selectors.firm_staff_get_for(actor=client_user, public_id=firm.public_id)
    assert [m.firm for m in memberships_for(actor=other_staff)] == [other_firm]


def test_roles_by_dossier(dossier: Dossier, client_user: User, firm: Firm) -> None:
    second = DossierFactory(firm=firm)
    grant(client_user, second, "view.user")
    assert roles_by_dossier_for(actor=client_user) == {
        dossier.pk: {"connect.entrepreneur", "view.user"},
        second.pk: {"view.user"},
    }


def test_dossier_search_stays_in_the_actors_staff_firms(
    firm: Firm,
    other_firm: Firm,
    dossier: Dossier,
    other_dossier: Dossier,
    licence_admin: User,
    client_user: User,
) -> None:
    assert list(selectors.dossier_search_for(actor=licence_admin, firm=firm)) == [dossier]
    assert list(selectors.dossier_search_for(actor=licence_admin, firm=firm, query="alpha un")) == [
        dossier
    ]
    assert not selectors.dossier_search_for(actor=licence_admin, firm=firm, query="zz").exists()
    # A foreign firm passed in gives nothing, and so does a client of the firm.
    assert not selectors.dossier_search_for(actor=licence_admin, firm=other_firm).exists()
    assert not selectors.dossier_search_for(actor=client_user, firm=firm).exists()


def _as_read(membership: FirmMembership) -> tuple[object, ...]:
    firm = membership.firm
    return (
        *(getattr(membership, f.attname) for f in FirmMembership._meta.concrete_fields),
        *(getattr(firm, f.attname) for f in Firm._meta.concrete_fields),
    )


def test_the_memberships_read_with_the_scope_are_those_of_memberships_for(
    firm: Firm, other_firm: Firm
) -> None:
    """A request's scope statement returns the user's memberships (portal/0012): the same
    active memberships, every column of them and of their firms, as ``memberships_for``."""
    user = MembershipFactory(firm=firm, level=FirmLevel.POWER_USER, display_label="Comptable").user
    MembershipFactory(firm=other_firm, user=user, level=FirmLevel.USER, is_active=False)
    third = FirmFactory(mfa_required_for_staff=True)
    MembershipFactory(firm=third, user=user, level=FirmLevel.LICENCE_ADMIN)
    db_scope.activate(db_scope.for_user(user), fresh=True)
    try:
        read = db_scope.apply_now()
    finally:
        db_scope.activate(db_scope.process_default(), fresh=True)
    assert read is not None
    from_scope = memberships_from_scope(read)
    expected = sorted(memberships_for(actor=user), key=lambda m: m.pk)
    assert [_as_read(m) for m in from_scope] == [_as_read(m) for m in expected]
    assert {m.firm for m in from_scope} == {firm, third}
    assert [m.firm.mfa_required_for_staff for m in from_scope] == [False, True]
