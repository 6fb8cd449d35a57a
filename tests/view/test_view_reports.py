"""Report switches: a dossier's view.admin or its firm's staff hide reports for the dossier; the
firm's staff hide them for every dossier; each change is in the audit trail; nobody else
reaches the pages."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.errors import ServiceError
from core.models import AuditAction, AuditEvent
from dossiers.models import Dossier, DossierAccess, Firm, FirmMembership
from tests.factories import DossierFactory, UserFactory, grant
from users.models import User
from view.models import ReportSwitch
from view.reports import REPORT_KEYS, REPORTS, enabled_reports, sections_of
from view.services import reports_switch

ALL = sorted(REPORT_KEYS)
ALL_IN_ORDER = [r.key for r in REPORTS]


def dossier_url(dossier: Dossier) -> str:
    return reverse("portal:view_reports", args=[dossier.public_id])


def firm_url(firm: Firm) -> str:
    return reverse("portal:view_firm_reports", args=[firm.public_id])


def ticked(*off: str) -> dict[str, str]:
    """The form as a browser posts it: a ticked box for every report shown."""
    return {key: "on" for key in ALL if key not in off}


def keys(dossier: Dossier) -> list[str]:
    return [report.key for report in enabled_reports(dossier)]


@pytest.fixture
def view_admin(dossier: Dossier) -> User:
    """The client's manager: view.admin of ALPHA1, not staff of the firm."""
    user = UserFactory(email="manager@alpha-un.be")
    grant(user, dossier, "view.admin")
    return user


# --- switching off and on -------------------------------------------------------------------


def test_a_view_admin_hides_reports_of_their_dossier(
    dossier: Dossier, view_admin: User, auth_client
) -> None:
    client = auth_client(view_admin)
    page = client.get(dossier_url(dossier))
    assert page.status_code == HTTPStatus.OK
    assert all(f'name="{key}"' in page.content.decode() for key in ALL)
    assert page.content.decode().count("checked") == len(ALL)  # all shown to start with

    response = client.post(dossier_url(dossier), ticked("vat", "top_suppliers"))

    assert response.status_code == HTTPStatus.FOUND
    assert set(ReportSwitch.objects.filter(dossier=dossier).values_list("report", flat=True)) == {
        "vat",
        "top_suppliers",
    }
    assert ReportSwitch.objects.get(dossier=dossier, report="vat").switched_by == view_admin
    assert keys(dossier) == ["purchases_sales", "unpaid", "documents", "waiting"]
    # The VAT section holds one report only: it disappears.
    assert "vat" not in [key for key, _title, _reports in sections_of(enabled_reports(dossier))]
    (event,) = AuditEvent.objects.filter(action=AuditAction.REPORT_SWITCHED)
    assert (event.firm, event.dossier, event.actor) == (dossier.firm, dossier, view_admin)
    assert event.before == {"off": []}
    assert event.after == {"off": ["top_suppliers", "vat"]}
    # The page shows the new state and the change in its history.
    again = client.get(dossier_url(dossier))
    assert again.context["form"]["vat"].value() is False
    assert again.context["form"]["unpaid"].value() is True
    with translation.override("fr"):
        label = str(AuditAction.REPORT_SWITCHED.label)
    assert label in again.content.decode()


def test_switching_back_on_and_saving_unchanged(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    client = auth_client(accountant)  # staff and view.admin
    client.post(dossier_url(dossier), ticked("vat", "unpaid"))
    client.post(dossier_url(dossier), ticked("unpaid"))
    client.post(dossier_url(dossier), ticked("unpaid"))  # no change: no event

    assert keys(dossier) == [r.key for r in REPORTS if r.key != "unpaid"]
    events = list(
        AuditEvent.objects.filter(action=AuditAction.REPORT_SWITCHED).order_by("created_at", "id")
    )
    assert [(e.before, e.after) for e in events] == [
        ({"off": []}, {"off": ["unpaid", "vat"]}),
        ({"off": ["unpaid", "vat"]}, {"off": ["unpaid"]}),
    ]
    client.post(dossier_url(dossier), ticked())
    assert keys(dossier) == ALL_IN_ORDER
    assert not ReportSwitch.objects.exists()


def test_the_firms_staff_hide_reports_for_every_dossier(
    firm: Firm,
    dossier: Dossier,
    licence_admin: User,
    other_dossier: Dossier,
    auth_client,
) -> None:
    sibling = DossierFactory(firm=firm)
    client = auth_client(licence_admin)
    assert client.get(firm_url(firm)).status_code == HTTPStatus.OK

    response = client.post(firm_url(firm), ticked("waiting", "documents"))

    assert response.status_code == HTTPStatus.FOUND
    switch = ReportSwitch.objects.get(report="waiting")
    assert (switch.firm, switch.dossier) == (firm, None)
    expected = ["purchases_sales", "top_suppliers", "unpaid", "vat"]
    assert keys(dossier) == expected
    assert keys(sibling) == expected
    assert keys(other_dossier) == ALL_IN_ORDER  # another firm: untouched
    sections = [key for key, _title, _reports in sections_of(enabled_reports(dossier))]
    assert sections == ["activity", "payables", "vat"]
    (event,) = AuditEvent.objects.filter(action=AuditAction.REPORT_SWITCHED)
    assert (event.firm, event.dossier, event.actor) == (firm, None, licence_admin)
    assert (event.before, event.after) == ({"off": []}, {"off": ["documents", "waiting"]})
    assert "portal/view_reports.html" in [t.name for t in client.get(firm_url(firm)).templates]


def test_the_dossier_page_keeps_the_firms_choice_and_its_own(
    firm: Firm, dossier: Dossier, licence_admin: User, view_admin: User, auth_client
) -> None:
    reports_switch(actor=view_admin, dossier=dossier, off={"vat"})
    reports_switch(actor=licence_admin, firm=firm, off={"vat", "unpaid"})
    User.objects.filter(pk=view_admin.pk).update(language="en")  # the words checked below
    client = auth_client(view_admin)
    page = client.get(dossier_url(dossier))
    body = page.content.decode()
    # Reports hidden for the whole firm are no checkboxes here, and say so.
    assert 'name="vat"' not in body and 'name="unpaid"' not in body
    assert "hidden for every dossier of the firm" in body
    assert reverse("portal:view_firm_reports", args=[firm.public_id]) not in body  # not staff

    client.post(dossier_url(dossier), ticked("documents", "vat", "unpaid"))

    # The dossier's own switch of "vat" stays; "unpaid" stays the firm's alone.
    assert set(ReportSwitch.objects.filter(dossier=dossier).values_list("report", flat=True)) == {
        "vat",
        "documents",
    }
    assert set(
        ReportSwitch.objects.filter(firm=firm, dossier=None).values_list("report", flat=True)
    ) == {"vat", "unpaid"}
    reports_switch(actor=licence_admin, firm=firm, off=set())
    assert keys(dossier) == ["purchases_sales", "top_suppliers", "unpaid", "waiting"]


def test_the_firms_page_lists_dossiers_with_their_own_switches(
    firm: Firm, dossier: Dossier, licence_admin: User, auth_client
) -> None:
    reports_switch(actor=licence_admin, dossier=dossier, off={"top_suppliers"})
    body = auth_client(licence_admin).get(firm_url(firm)).content.decode()
    assert dossier_url(dossier) in body
    assert "ALPHA1" in body


def test_an_unknown_report_is_refused(
    firm: Firm, dossier: Dossier, licence_admin: User, auth_client
) -> None:
    with pytest.raises(ServiceError) as refused:
        reports_switch(actor=licence_admin, dossier=dossier, off={"vat", "salaries"})
    assert refused.value.code == "report_unknown"
    assert "salaries" in str(refused.value.message)
    with pytest.raises(ServiceError):
        reports_switch(actor=licence_admin, firm=firm, off={"../admin"})
    # Through the page, a made-up field is ignored: nothing but known reports is stored.
    auth_client(licence_admin).post(dossier_url(dossier), {**ticked("vat"), "salaries": ""})
    assert set(ReportSwitch.objects.values_list("report", flat=True)) == {"vat"}
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_SWITCHED).count() == 1


def test_the_service_refuses_who_may_not_switch(
    firm: Firm, dossier: Dossier, client_user: User, other_staff: User
) -> None:
    for actor in (client_user, other_staff):
        with pytest.raises(ServiceError):
            reports_switch(actor=actor, dossier=dossier, off={"vat"})
        with pytest.raises(ServiceError):
            reports_switch(actor=actor, firm=firm, off={"vat"})
    assert not ReportSwitch.objects.exists()
    assert not AuditEvent.objects.exists()


# --- access ---------------------------------------------------------------------------------


def snapshot() -> tuple:
    return (
        sorted(ReportSwitch.objects.values_list("id", "firm_id", "dossier_id", "report")),
        AuditEvent.objects.count(),
    )


def actor_for(request: pytest.FixtureRequest, name: str, firm: Firm, dossier: Dossier) -> Client:
    client = Client()
    if name == "view_user":
        client.force_login(request.getfixturevalue("client_user"))  # view.user + entrepreneur
    elif name == "connect_roles":  # every Connect role, no View admin, not staff
        user = UserFactory()
        grant(user, dossier, "connect.entrepreneur", "connect.accountant", "view.user")
        client.force_login(user)
    elif name == "neighbour":  # view.admin of another dossier of the same firm
        user = UserFactory()
        grant(user, DossierFactory(firm=firm), "view.admin", "view.user")
        client.force_login(user)
    elif name == "deactivated":  # the dossier's view.admin, deactivated by the firm
        user = request.getfixturevalue("view_admin")
        FirmMembership.objects.filter(user=user).update(is_active=False)
        client.force_login(user)
    elif name == "deactivated_staff":
        user = request.getfixturevalue("licence_admin")
        FirmMembership.objects.filter(user=user).update(is_active=False)
        client.force_login(user)
    elif name == "role_removed":  # the dossier's view.admin, whose roles were taken away
        user = request.getfixturevalue("view_admin")
        DossierAccess.objects.filter(user=user).delete()
        client.force_login(user)
    elif name != "anonymous":
        client.force_login(request.getfixturevalue(name))
    return client


@pytest.fixture
def canary(firm: Firm, dossier: Dossier, licence_admin: User) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(name="Canary Alpha SRL")
    dossier.refresh_from_db()
    reports_switch(actor=licence_admin, dossier=dossier, off={"vat"})
    reports_switch(actor=licence_admin, firm=firm, off={"waiting"})


def _walk(client: Client, urls: list[str], anonymous: bool) -> None:
    before = snapshot()
    for url in urls:
        for method, data in (("get", {}), ("post", ticked(*ALL)), ("post", ticked())):
            response = getattr(client, method)(url, data)
            if anonymous:
                assert response.status_code == HTTPStatus.FOUND, (url, method)
                assert response["Location"].startswith(reverse("account_login"))
            else:
                assert response.status_code == HTTPStatus.NOT_FOUND, (url, method)
            assert b"anary" not in response.content
    assert snapshot() == before


@pytest.mark.parametrize(
    "actor_name",
    [
        "anonymous",
        "view_user",
        "connect_roles",
        "neighbour",
        "other_staff",
        "deactivated",
        "deactivated_staff",
        "role_removed",
    ],
)
def test_the_dossier_switches_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    canary: None,
    actor_name: str,
) -> None:
    client = actor_for(request, actor_name, firm, dossier)
    _walk(client, [dossier_url(dossier)], anonymous=actor_name == "anonymous")


@pytest.mark.parametrize(
    "actor_name",
    [
        "anonymous",
        "view_user",
        "connect_roles",
        "view_admin",  # a dossier's View admin is not the firm's staff
        "neighbour",
        "other_staff",
        "deactivated_staff",
    ],
)
def test_the_firm_switches_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    canary: None,
    actor_name: str,
) -> None:
    client = actor_for(request, actor_name, firm, dossier)
    _walk(client, [firm_url(firm)], anonymous=actor_name == "anonymous")


def test_another_firms_ids_answer_404_to_staff(
    firm: Firm, licence_admin: User, other_firm: Firm, other_dossier: Dossier, auth_client
) -> None:
    Dossier.objects.filter(pk=other_dossier.pk).update(name="Canary Beta SRL")
    client = auth_client(licence_admin)
    before = snapshot()
    for url in (dossier_url(other_dossier), firm_url(other_firm)):
        for method in ("get", "post"):
            response = getattr(client, method)(url, ticked())
            assert response.status_code == HTTPStatus.NOT_FOUND
            assert b"anary" not in response.content
    assert client.get("/view/dossiers/not-a-uuid/reports/").status_code == HTTPStatus.NOT_FOUND
    assert snapshot() == before


@pytest.mark.parametrize("actor_name", ["view_admin", "accountant", "licence_admin"])
def test_who_may_switch_a_dossiers_reports(
    request: pytest.FixtureRequest, dossier: Dossier, actor_name: str, auth_client
) -> None:
    actor = request.getfixturevalue(actor_name)
    client = auth_client(actor)
    assert client.get(dossier_url(dossier)).status_code == HTTPStatus.OK
    assert client.post(dossier_url(dossier), ticked("unpaid")).status_code == HTTPStatus.FOUND
    assert "unpaid" not in keys(dossier)
    assert AuditEvent.objects.get(action=AuditAction.REPORT_SWITCHED).actor == actor


@pytest.mark.parametrize("actor_name", ["accountant", "licence_admin"])
def test_the_firms_staff_may_switch_the_firms_reports(
    request: pytest.FixtureRequest, firm: Firm, dossier: Dossier, actor_name: str, auth_client
) -> None:
    client = auth_client(request.getfixturevalue(actor_name))
    assert client.get(firm_url(firm)).status_code == HTTPStatus.OK
    assert client.post(firm_url(firm), ticked("unpaid")).status_code == HTTPStatus.FOUND
    assert "unpaid" not in keys(dossier)
