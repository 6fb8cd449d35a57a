"""core.prepared: a read compiled once gives the SQL, the parameters and the rows that Django's
own building of the queryset gives, for any arguments and time zone; a read it cannot prepare
is left to the ORM."""

from datetime import date, timedelta

import pytest
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connect.models import Document
from core.prepared import PreparedRead, _same
from dossiers import access
from dossiers.models import Dossier
from tests.factories import DossierFactory, MembershipFactory, UserFactory, grant
from tests.view.test_summaries import add, adds
from view import summaries
from view.period import Period
from view.queries import document_flow, purchases_sales, top_suppliers, unpaid, vat

READS = {
    "purchases_sales": purchases_sales._READ,
    "suppliers": top_suppliers._READ,
    "unpaid": unpaid._READ,
    "vat": vat._INNER,
    "flow": document_flow._READ,
}
ZONES = ("Europe/Brussels", "UTC", "America/New_York", "Asia/Kolkata")

periods = st.builds(
    lambda start, days: Period(start, start + timedelta(days=days)),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=0, max_value=800),
)


def same_params(a, b) -> bool:
    return len(a) == len(b) and all(map(_same, a, b))


def test_views_reads_are_prepared_on_postgresql(db) -> None:
    reads = {
        **READS,
        "keys of one document": summaries._ONE_DOCUMENT,
        "Connect roles": access._ROLES,
    }
    assert {name: read.prepared_on() for name, read in reads.items()} == dict.fromkeys(reads, True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(READS)),
    dossier_id=st.integers(min_value=1, max_value=2**31 - 1),
    period=periods,
    zone=st.sampled_from(ZONES),
)
def test_the_prepared_sql_is_djangos_for_any_arguments_and_zone(
    db, name, dossier_id, period, zone
) -> None:
    read = READS[name]
    with timezone.override(zone):
        assert read.prepared_on()  # not Django compared with itself
        sql, params = read.sql(dossier_id, period)
        django_sql, django_params = read.build(dossier_id, period).query.sql_with_params()
    assert sql == django_sql
    assert same_params(params, tuple(django_params))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(adds, min_size=1, max_size=25),
    period=st.builds(
        lambda start, days: Period(start, start + timedelta(days=days)),
        st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 1, 31)),
        st.integers(min_value=0, max_value=400),
    ),
    zone=st.sampled_from(ZONES),
)
def test_the_prepared_rows_are_djangos(db, steps, period, zone) -> None:
    dossier = DossierFactory()
    for step in steps:
        add(dossier, step)
    with timezone.override(zone):
        for name, read in READS.items():
            assert read.prepared_on(), name
            assert read.rows(dossier.pk, period) == list(read.build(dossier.pk, period)), name
        one = summaries._ONE_DOCUMENT  # its months depend on the zone too
        assert one.prepared_on()
        for pk in Document.objects.filter(dossier=dossier).values_list("pk", flat=True):
            assert one.rows(pk) == list(one.build(pk))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    actor_id=st.integers(min_value=1, max_value=2**31 - 1),
    key=st.integers(min_value=1, max_value=2**31 - 1),
    scoping=st.booleans(),
    zone=st.sampled_from(ZONES),
)
def test_the_prepared_sql_of_the_roles_and_the_keys_is_djangos(
    db, actor_id, key, scoping, zone
) -> None:
    with override_settings(PORTAL_APP_SCOPING=scoping), timezone.override(zone):
        for read, args in ((access._ROLES, (actor_id, key)), (summaries._ONE_DOCUMENT, (key,))):
            assert read.prepared_on()
            sql, params = read.sql(*args)
            django_sql, django_params = read.build(*args).query.sql_with_params()
            assert sql == django_sql
            assert same_params(params, tuple(django_params))


@pytest.mark.parametrize("scoping", [True, False])
def test_the_prepared_roles_are_djangos(db, scoping) -> None:
    dossier = DossierFactory(connect_enabled=True)
    other = DossierFactory(firm=dossier.firm, connect_enabled=True)
    holder, stranger = UserFactory(), UserFactory()
    MembershipFactory(user=holder, firm=dossier.firm)
    grant(holder, dossier, "connect.accountant")
    grant(holder, dossier, "connect.entrepreneur")
    with override_settings(PORTAL_APP_SCOPING=scoping):
        assert access._ROLES.prepared_on()
        for actor in (holder, stranger):
            for target in (dossier, other):
                args = (actor.pk, target.pk)
                assert access._ROLES.rows(*args) == list(access._ROLES.build(*args))
        assert access._ROLES.rows(holder.pk, dossier.pk)  # the case that has a row


def _by_ids(ids: list[int]):
    return Dossier.objects.filter(pk__in=ids).values("id").annotate(n=Count("id"))


def test_a_read_whose_sql_changes_with_its_arguments_is_left_to_the_orm(db) -> None:
    dossiers = DossierFactory.create_batch(3)
    read = PreparedRead(Dossier, _by_ids, lambda ids: (ids,), (([10**9],), ([10**9, 2],), ([5],)))
    assert not read.prepared_on()
    ids = [d.pk for d in dossiers[:2]]
    assert sorted(row["id"] for row in read.rows(ids)) == sorted(ids)


def _by_pk_and_code(pk: int, code: str):
    return Dossier.objects.filter(pk=pk, code__gte=code).values("id", "code")


SAMPLES = ((10**9, "A"), (10**9 + 1, "B"), (10**9 + 2, "C"))


def test_a_read_whose_argument_reaches_the_sql_unannounced_is_left_to_the_orm(db) -> None:
    dossier = DossierFactory(code="M100")
    read = PreparedRead(Dossier, _by_pk_and_code, lambda pk, code: (pk,), SAMPLES)
    assert not read.prepared_on()
    assert read.rows(dossier.pk, "M") == [{"id": dossier.pk, "code": "M100"}]
    assert read.rows(dossier.pk, "N") == []


def test_a_read_with_every_argument_announced_is_prepared_and_reads_each_calls_values(db) -> None:
    dossier = DossierFactory(code="M100")
    read = PreparedRead(Dossier, _by_pk_and_code, lambda pk, code: (pk, code), SAMPLES)
    assert read.prepared_on()
    assert read.rows(dossier.pk, "M") == [{"id": dossier.pk, "code": "M100"}]
    assert read.rows(dossier.pk, "N") == []
    with timezone.override("UTC"):  # another zone: its own plan, the same answer
        assert read.rows(dossier.pk, "M100") == [{"id": dossier.pk, "code": "M100"}]


def test_samples_that_share_a_value_are_refused(db) -> None:
    read = PreparedRead(
        Dossier,
        lambda pk: Dossier.objects.filter(pk=pk).values("id"),
        lambda pk: (pk,),
        ((7,), (7,), (8,)),
    )
    with pytest.raises(ValueError, match="differ"):
        read.prepared_on()


def test_only_a_values_queryset_is_prepared(db) -> None:
    read = PreparedRead(
        Dossier,
        lambda pk: Dossier.objects.filter(pk=pk),
        lambda pk: (pk,),
        ((7,), (8,), (9,)),
    )
    with pytest.raises(TypeError):
        read.prepared_on()
