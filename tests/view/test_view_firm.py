"""The accountant's firm dashboard: each figure against documents with known facts, another
firm's documents never counted, the days filter, a constant number of queries, and who may
open the page."""

import itertools
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connect.models import ConnectProfile, CreditUse, Document
from dossiers.models import (
    Cartouche,
    Dossier,
    DossierAccess,
    Firm,
    FirmLevel,
    FirmMembership,
    LicenceKind,
)
from tests.factories import DossierFactory, FirmFactory, MembershipFactory, UserFactory, grant
from users.models import User
from view.firm_dashboard import ROWS_SHOWN, credit_months, firm_dashboard_for

URL = reverse("portal:view_firm")
_numbers = itertools.count(1)


def doc(dossier: Dossier, *, age_days: float = 1, **fields: Any) -> Document:
    """A document with known facts; sent ``age_days`` ago (and uploaded just before)."""
    n = next(_numbers)
    now = timezone.now()
    fields.setdefault("status", "sent")
    fields.setdefault("source", "web")
    if fields["status"] != "draft":
        fields.setdefault("sent_at", now - timedelta(days=age_days))
    document = Document.objects.create(
        firm=dossier.firm,
        dossier=dossier,
        filename=fields.pop("filename", f"doc-{n}.pdf"),
        storage_name=f"test/firm/{n}.pdf",
        content_type="application/pdf",
        size=100 + n,
        sha256=f"{n:064x}",
        **fields,
    )
    # uploaded_at is set on creation: move it back to the facts of the test.
    uploaded = now - timedelta(days=age_days, minutes=5)
    Document.objects.filter(pk=document.pk).update(uploaded_at=uploaded)
    document.uploaded_at = uploaded
    return document


def ready(**fields: Any) -> dict[str, Any]:
    return {"ready_at": timezone.now(), **fields}


def pre_validation(dossier: Dossier) -> None:
    ConnectProfile.objects.update_or_create(dossier=dossier, defaults={"pre_validation": True})


def rows_by_code(response) -> dict[str, Any]:
    return {row.dossier.code: row for row in response.context["dashboard"].dossiers}


# --- figures --------------------------------------------------------------------------------


@pytest.fixture
def second(firm: Firm, accountant: User) -> Dossier:
    """A second dossier of the accountant, which asks for validation before processing."""
    created = DossierFactory(firm=firm, code="ALPHA2", name="Alpha Deux SRL", accountant=accountant)
    grant(accountant, created, "connect.accountant")
    pre_validation(created)
    return created


def test_each_dossier_counts_new_to_validate_and_to_review(
    dossier: Dossier, second: Dossier, accountant: User, auth_client
) -> None:
    # ALPHA1 (no pre-validation): 3 new (2 sent, 1 validated, all ready), 1 to review.
    doc(dossier, age_days=2, **ready())
    doc(dossier, age_days=3, **ready())
    doc(dossier, age_days=4, **ready(status="validated"))
    review = doc(dossier, age_days=10, recognition="review", filename="to-review.pdf")
    # Not waiting for the firm: being read, shared back, retrieved, booked, rejected, draft.
    doc(dossier, age_days=20, recognition="pending")
    doc(dossier, age_days=25, **ready(source="shared"))
    doc(dossier, age_days=30, **ready(status="retrieved"))
    doc(dossier, age_days=31, status="booked")
    doc(dossier, age_days=32, status="rejected")
    doc(dossier, age_days=33, status="draft")
    # ALPHA2 (pre-validation): 2 to validate, 1 new; a validated one being read waits for no one.
    oldest = doc(second, age_days=15, filename="validate-me.pdf")
    doc(second, age_days=1)
    doc(second, age_days=5, **ready(status="validated"))
    doc(second, age_days=40, status="validated", recognition="pending")

    response = auth_client(accountant).get(URL)

    assert response.status_code == HTTPStatus.OK
    rows = rows_by_code(response)
    one, two = rows["ALPHA1"], rows["ALPHA2"]
    assert (one.new, one.to_validate, one.to_review) == (3, 0, 1)
    assert (two.new, two.to_validate, two.to_review) == (1, 2, 0)
    assert one.oldest.public_id == review.public_id
    assert two.oldest.public_id == oldest.public_id
    assert response.context["totals"] == {"new": 4, "to_validate": 2, "to_review": 1}
    # The longest wait first; each row opens the dossier's inbox and its oldest document.
    assert [r.dossier.code for r in response.context["dashboard"].dossiers] == ["ALPHA2", "ALPHA1"]
    body = response.content.decode()
    assert f"{reverse('connect:inbox')}?dossier={dossier.public_id}" in body
    assert reverse("connect:document", args=[review.public_id]) in body
    assert "validate-me.pdf" in body


def test_a_dossier_without_waiting_documents_shows_zeros(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    doc(dossier, status="booked")
    row = rows_by_code(auth_client(accountant).get(URL))["ALPHA1"]
    assert (row.new, row.to_validate, row.to_review, row.oldest) == (0, 0, 0, None)


def test_another_firms_documents_are_never_counted(
    firm: Firm,
    dossier: Dossier,
    accountant: User,
    other_firm: Firm,
    other_dossier: Dossier,
    other_staff: User,
    auth_client,
) -> None:
    doc(dossier, **ready())
    # The accountant once worked for the other firm: the role is still there, the membership
    # is not.
    MembershipFactory(user=accountant, firm=other_firm, level=FirmLevel.POWER_USER, is_active=False)
    grant(accountant, other_dossier, "connect.accountant")
    for _ in range(5):
        doc(other_dossier, filename="canary-beta.pdf", **ready())
    doc(other_dossier, filename="canary-beta.pdf", recognition="review")
    doc(other_dossier, age_days=400, status="booked")
    # A dossier of the same firm where someone else is the accountant.
    neighbour = DossierFactory(firm=firm, code="ALPHA9", name="Neighbour Canary SRL")
    doc(neighbour, filename="canary-alpha9.pdf", **ready())
    # Credits of the other firm.
    used = doc(other_dossier, status="booked")
    CreditUse.objects.create(firm=other_firm, mode="premium", document=used, dossier=other_dossier)

    response = auth_client(accountant).get(URL)

    assert set(rows_by_code(response)) == {"ALPHA1"}
    assert response.context["totals"] == {"new": 1, "to_validate": 0, "to_review": 0}
    assert [c.firm for c in response.context["dashboard"].credits] == [firm]
    assert all(m.total == 0 for m in response.context["dashboard"].credits[0].months)
    assert b"anary" not in response.content  # Canary, canary
    assert b"Beta" not in response.content


def test_credits_used_per_month_and_mode_and_credits_left(
    firm: Firm, dossier: Dossier, accountant: User, other_firm: Firm, other_dossier, auth_client
) -> None:
    Cartouche.objects.filter(firm=firm, mode="premium").update(credits=7)
    Cartouche.objects.filter(firm=firm, mode="optimum").update(credits=0)
    months = credit_months(timezone.localdate())

    def use(mode: str, month_index: int, firm: Firm = firm, dossier: Dossier = dossier) -> None:
        when = months[month_index] if month_index < len(months) else None
        if when is None:  # older than the 12 months shown
            when = months[-1] - timedelta(days=20)
        moment = timezone.make_aware(datetime.combine(when, datetime.min.time())) + timedelta(
            hours=1  # 01:00 local on the 1st: still that month, in any time zone of the test
        )
        row = CreditUse.objects.create(
            firm=firm, mode=mode, document=doc(dossier, status="booked"), dossier=dossier
        )
        CreditUse.objects.filter(pk=row.pk).update(created_at=moment)

    use("premium", 0)
    use("premium", 0)
    use("optimum", 0)
    use("premium", 1)
    use("premium", 11)
    use("premium", 12)  # 13 months ago: not shown
    use("premium", 0, firm=other_firm, dossier=other_dossier)

    response = auth_client(accountant).get(URL)

    (credits,) = response.context["dashboard"].credits
    assert [mode for mode, _label in credits.modes] == ["premium", "optimum"]
    table = {m.month: (m.counts, m.total) for m in credits.months}
    assert len(table) == 12
    assert table[months[0]] == ([2, 1], 3)
    assert table[months[1]] == ([1, 0], 1)
    assert table[months[11]] == ([1, 0], 1)
    assert all(table[m] == ([0, 0], 0) for m in months[2:11])
    assert credits.total == 5
    assert credits.remaining == [("Premium", 7), ("Optimum", 0)]
    assert "7 crédits restants" in response.content.decode() or "7 credits left" in (
        response.content.decode()
    )


def test_credits_are_shown_to_the_firms_staff_only(dossier: Dossier, auth_client) -> None:
    """An accountant of level user (not staff) sees their dossiers, not the licence's
    credits."""
    helper = UserFactory()
    grant(helper, dossier, "connect.accountant")
    dashboard = firm_dashboard_for(actor=helper)
    assert [r.dossier for r in dashboard.dossiers] == [dossier]
    assert dashboard.credits == []
    assert auth_client(helper).get(URL).status_code == HTTPStatus.OK


def test_a_light_licence_has_no_credit_table(db: None, auth_client) -> None:
    light = FirmFactory(name="Cabinet Léger", licence_kind=LicenceKind.LIGHT)
    admin = MembershipFactory(firm=light, level=FirmLevel.LICENCE_ADMIN).user
    response = auth_client(admin).get(URL)
    (credits,) = response.context["dashboard"].credits
    assert (credits.modes, credits.remaining, credits.total) == ([], [], 0)
    assert "Credits used per month" not in response.content.decode()


def test_each_firm_of_the_staff_gets_its_credits_even_one_without_cartouches(
    db: None, auth_client
) -> None:
    held = FirmFactory(name="Zeta Fiduciaire")
    bare = FirmFactory(name="Alpha Comptables")
    Cartouche.objects.filter(firm=bare).delete()
    Cartouche.objects.filter(firm=held, mode="premium").update(credits=12)
    person = MembershipFactory(firm=held, level=FirmLevel.POWER_USER).user
    MembershipFactory(firm=bare, user=person, level=FirmLevel.LICENCE_ADMIN)

    response = auth_client(person).get(URL)

    alpha, zeta = response.context["dashboard"].credits
    assert (alpha.firm, zeta.firm) == (bare, held)  # by name
    assert (alpha.modes, alpha.remaining, alpha.total) == ([], [], 0)
    assert ("Premium", 12) in zeta.remaining
    page = response.content.decode()
    assert reverse("portal:credits", kwargs={"firm_id": bare.public_id}) in page
    assert reverse("portal:credits", kwargs={"firm_id": held.public_id}) in page


def test_staff_without_a_dossier_get_a_friendly_page(licence_admin: User, auth_client) -> None:
    response = auth_client(licence_admin).get(URL)
    assert response.status_code == HTTPStatus.OK
    assert response.context["dashboard"].dossiers == []
    assert response.context["dashboard"].credits  # their firm's credits
    assert b'class="empty"' in response.content


def _dossiers(firm: Firm, accountant: User, prefix: str, count: int) -> list[Dossier]:
    created = [
        DossierFactory(firm=firm, code=f"{prefix}{i:03d}", accountant=accountant)
        for i in range(count)
    ]
    for each in created:
        grant(accountant, each, "connect.accountant")
    return created


def test_the_longest_waits_are_shown_first_and_every_dossier_on_demand(
    firm: Firm, accountant: User, auth_client
) -> None:
    accountant.language = "en"
    accountant.save()
    dossiers = _dossiers(firm, accountant, "W", ROWS_SHOWN + 5)
    # W000 waits 1 day, W001 2 days, ... W027 28 days; W028 and W029 have nothing waiting.
    for i, each in enumerate(dossiers[: ROWS_SHOWN + 3]):
        doc(each, age_days=i + 1, **ready())
    doc(dossiers[-1], status="booked")
    longest_first = [f"W{i:03d}" for i in reversed(range(ROWS_SHOWN + 3))]
    client = auth_client(accountant)

    response = client.get(URL)

    dashboard = response.context["dashboard"]
    assert [r.dossier.code for r in dashboard.dossiers] == longest_first[:ROWS_SHOWN]
    assert dashboard.dossier_count == ROWS_SHOWN + 5
    # The tiles count the documents of every dossier, shown or not.
    assert response.context["totals"] == {"new": ROWS_SHOWN + 3, "to_validate": 0, "to_review": 0}
    body = response.content.decode()
    assert f"{ROWS_SHOWN} of {ROWS_SHOWN + 5} dossiers shown, the longest wait first." in body
    assert f'<a href="?all=1">Show all {ROWS_SHOWN + 5} dossiers</a>' in body
    assert "W000" not in body

    everything = client.get(URL, {"all": "1"})

    rows = everything.context["dashboard"].dossiers
    assert [r.dossier.code for r in rows] == [*longest_first, "W028", "W029"]
    assert everything.context["totals"] == response.context["totals"]
    assert "Show all" not in everything.content.decode()
    assert 'name="all" value="1"' in everything.content.decode()  # kept by the days filter


def test_the_longest_silences_are_shown_first_and_every_quiet_dossier_on_demand(
    firm: Firm, accountant: User, auth_client
) -> None:
    accountant.language = "en"
    accountant.save()
    dossiers = _dossiers(firm, accountant, "S", ROWS_SHOWN + 4)
    # S000 never sent anything; S001 sent 41 days ago, S002 42 days ago, ...; S028 sent today.
    for i, each in enumerate(dossiers[1:-1], start=1):
        doc(each, age_days=40 + i, status="booked")
    doc(dossiers[-1], age_days=0.1, status="booked")
    quiet_first = ["S000", *(f"S{i:03d}" for i in reversed(range(1, ROWS_SHOWN + 3)))]
    client = auth_client(accountant)

    response = client.get(URL, {"days": "30"})

    dashboard = response.context["dashboard"]
    assert [r.dossier.code for r in dashboard.quiet] == quiet_first[:ROWS_SHOWN]
    assert dashboard.quiet_count == ROWS_SHOWN + 3
    assert dashboard.quiet[0].last_upload is None
    body = response.content.decode()
    assert f"{ROWS_SHOWN} of {ROWS_SHOWN + 3} dossiers shown, the longest silence first." in body
    assert (
        f'<a href="?days=30&amp;all=1">Show all {ROWS_SHOWN + 3} dossiers with no upload</a>'
        in body
    )

    everything = client.get(URL, {"days": "30", "all": "1"})

    assert [r.dossier.code for r in everything.context["dashboard"].quiet] == quiet_first
    assert "Show all" not in everything.content.decode()


# --- dossiers with no upload for N days -----------------------------------------------------


@pytest.fixture
def quiet_setup(firm: Firm, dossier: Dossier, accountant: User) -> dict[str, Dossier]:
    dossiers = {"ALPHA1": dossier}
    for code in ("QUIET2", "QUIET3", "QUIET4"):
        dossiers[code] = DossierFactory(firm=firm, code=code, accountant=accountant)
        grant(accountant, dossiers[code], "connect.accountant")
    doc(dossier, age_days=40, status="booked")  # ALPHA1: last received 40 days ago
    doc(dossiers["QUIET2"], age_days=5, status="retrieved")  # QUIET2: 5 days ago
    # QUIET3: nothing ever. QUIET4: only the client's draft and the firm's own share.
    doc(dossiers["QUIET4"], age_days=0.1, status="draft")
    doc(dossiers["QUIET4"], age_days=0.1, status="shared", source="shared")
    return dossiers


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (None, ["QUIET3", "QUIET4", "ALPHA1"]),  # default 30: never first, then the longest
        ("30", ["QUIET3", "QUIET4", "ALPHA1"]),
        ("3", ["QUIET3", "QUIET4", "ALPHA1", "QUIET2"]),
        ("60", ["QUIET3", "QUIET4"]),
        ("365", ["QUIET3", "QUIET4"]),
        ("1", ["QUIET3", "QUIET4", "ALPHA1", "QUIET2"]),
    ],
)
def test_dossiers_with_no_upload_for_n_days(
    quiet_setup: dict[str, Dossier],
    accountant: User,
    auth_client,
    days: str | None,
    expected: list[str],
) -> None:
    response = auth_client(accountant).get(URL, {"days": days} if days else {})
    assert response.status_code == HTTPStatus.OK
    quiet = response.context["dashboard"].quiet
    assert [row.dossier.code for row in quiet] == expected
    assert response.context["dashboard"].quiet_days == int(days or 30)
    last = {row.dossier.code: row.last_upload for row in quiet}
    if "ALPHA1" in last:
        assert timezone.now() - last["ALPHA1"] > timedelta(days=40)
        assert timezone.now() - last["ALPHA1"] < timedelta(days=41)
    assert last.get("QUIET3", "absent") is None
    body = response.content.decode()
    for code in expected:
        target = quiet_setup[code].public_id
        assert f'href="{reverse("connect:inbox")}?dossier={target}"' in body


@pytest.mark.parametrize("days", ["0", "366", "-4", "abc", "1.5", "9" * 30])
def test_an_invalid_number_of_days_is_refused_with_a_message(
    quiet_setup: dict[str, Dossier], accountant: User, auth_client, days: str
) -> None:
    accountant.language = "nl"  # the message is in the user's language
    accountant.save()
    response = auth_client(accountant).get(URL, {"days": days})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    expected = "Vul een geheel aantal dagen tussen 1 en 365 in."
    assert response.context["form"].errors["days"] == [expected]
    assert expected in response.content.decode()
    # The page still answers, with the default.
    assert response.context["dashboard"].quiet_days == 30


# --- speed ----------------------------------------------------------------------------------


def _populate(firm: Firm, accountant: User, count: int, start: int) -> None:
    for i in range(start, start + count):
        created = DossierFactory(firm=firm, code=f"Q{i:03d}", accountant=accountant)
        grant(accountant, created, "connect.accountant")
        if i % 2:
            pre_validation(created)
        doc(created, age_days=i % 50 + 1, **ready())
        doc(created, age_days=i % 7 + 2)
        doc(created, age_days=3, recognition="review")
        doc(created, age_days=60, status="booked")
        used = doc(created, age_days=i % 300 + 1, status="booked")
        CreditUse.objects.create(firm=firm, mode="premium", document=used, dossier=created)


def _count(client: Client, **params: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"days": "20", **params})
    assert response.status_code == HTTPStatus.OK
    return len(queries), len(response.context["dashboard"].dossiers)


def test_the_number_of_queries_does_not_grow_with_dossiers_and_documents(
    firm: Firm, accountant: User, auth_client
) -> None:
    client = auth_client(accountant)
    _populate(firm, accountant, 3, 0)
    client.get(URL)  # warm the session and the header's caches
    few, listed = _count(client)
    assert listed == 3
    _populate(firm, accountant, 37, 3)
    many, listed = _count(client)
    assert listed == ROWS_SHOWN
    every, listed = _count(client, all="1")
    assert listed == 40
    assert few == many == every
    # Session, user, scope; the dossiers with what their rows show, the waiting counts, the
    # oldest waiting documents; the firms with their cartouches, the credits used per month.
    assert many <= 8


# --- access ---------------------------------------------------------------------------------


@pytest.fixture
def canary(dossier: Dossier) -> Document:
    Dossier.objects.filter(pk=dossier.pk).update(name="Canary Dossier SRL")
    return doc(dossier, filename="canary-document.pdf", **ready())


@pytest.mark.parametrize(
    ("actor_name", "expected"),
    [
        ("anonymous", HTTPStatus.FOUND),
        ("client_user", HTTPStatus.NOT_FOUND),  # a client: no firm dashboard
        ("neighbour", HTTPStatus.NOT_FOUND),  # a client of another dossier of the firm
        ("deactivated", HTTPStatus.NOT_FOUND),  # the accountant, deactivated by the firm
        ("other_staff", HTTPStatus.OK),  # their own (other) firm's page, nothing of ours
        ("role_removed", HTTPStatus.OK),  # staff still, no dossier of ours any more
        ("licence_admin", HTTPStatus.OK),  # staff holding no accountant role: credits only
    ],
)
def test_who_reaches_the_firm_dashboard_and_what_they_see(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    accountant: User,
    client_user: User,
    canary: Document,
    actor_name: str,
    expected: HTTPStatus,
) -> None:
    client = Client()
    if actor_name == "neighbour":
        neighbour = UserFactory()
        grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur", "view.admin")
        client.force_login(neighbour)
    elif actor_name == "deactivated":
        FirmMembership.objects.filter(user=accountant).update(is_active=False)
        client.force_login(accountant)
    elif actor_name == "role_removed":
        DossierAccess.objects.filter(user=accountant).delete()
        client.force_login(accountant)
    elif actor_name != "anonymous":
        client.force_login(request.getfixturevalue(actor_name))
    before = list(Document.objects.values_list("pk", "status", "retrieved_at"))
    response = client.get(URL)
    assert response.status_code == expected
    if actor_name == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    assert b"anary" not in response.content
    posted = client.post(URL, {"days": "3"})
    assert posted.status_code == (
        HTTPStatus.FOUND if actor_name == "anonymous" else HTTPStatus.METHOD_NOT_ALLOWED
    )
    assert b"anary" not in posted.content
    assert list(Document.objects.values_list("pk", "status", "retrieved_at")) == before


def test_the_accountant_sees_their_dossier(
    dossier: Dossier, accountant: User, canary: Document, auth_client
) -> None:
    response = auth_client(accountant).get(URL)
    assert response.status_code == HTTPStatus.OK
    assert b"Canary Dossier SRL" in response.content
    assert b"canary-document.pdf" in response.content
