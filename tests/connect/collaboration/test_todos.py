"""Tasks of a dossier: who reaches them, the list and the month calendar, the task page,
closing a task by sharing a document, and the reminder engine (rules, recipients, once)."""

import threading
from datetime import date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from connect.collaboration.reminders import (
    ReminderRules,
    reminder_days_parse,
    reminders_send,
    rule_for,
)
from connect.collaboration.todos import services
from connect.models import (
    Binder,
    ConnectProfile,
    Document,
    DocumentRequest,
    ReminderSent,
    RequestStatus,
    Task,
    TaskKind,
    TaskStatus,
)
from core.errors import ServiceError
from core.models import OutboundEmail
from dossiers.models import Dossier, DossierAccess, Firm, FirmLevel, FirmMembership
from tests.connect import samples
from tests.factories import DossierFactory, MembershipFactory, UserFactory, grant
from tests.portal.access_tasks import KINDS, ROUTES
from users.models import User

BRUSSELS = ZoneInfo("Europe/Brussels")
DUE = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def make_task(dossier: Dossier, **fields) -> Task:
    fields.setdefault("title", "Send the March bank statements")
    fields.setdefault("due_date", DUE)
    return Task.objects.create(dossier=dossier, **fields)


def created_on(item: Task | DocumentRequest, day: date) -> None:
    type(item).objects.filter(pk=item.pk).update(
        created_at=datetime(day.year, day.month, day.day, 9, tzinfo=BRUSSELS)
    )


# --- Access -----------------------------------------------------------------------------------


def route_urls(dossier: Dossier, task: Task) -> list[tuple[str, str]]:
    ids = {"dossier": dossier.public_id, "task": task.public_id}
    return [(name, reverse(name, args=[ids[kind]])) for name, kind in KINDS.items()]


def test_every_route_has_an_access_rule() -> None:
    assert set(KINDS) == ROUTES
    assert {name.split(":")[1] for name in ROUTES} >= {"tasks", "task_calendar", "task"}


def snapshot() -> tuple:
    return (
        list(
            Task.objects.order_by("id").values_list(
                "title", "status", "due_date", "assignee_id", "description"
            )
        ),
        ReminderSent.objects.count(),
    )


@pytest.mark.parametrize(
    "actor_name",
    ["anonymous", "neighbour", "licence_admin", "other_staff", "deactivated", "role_removed"],
)
def test_the_task_routes_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    actor_name: str,
) -> None:
    task = make_task(
        dossier, title="canary task", description="canary description", assignee=client_user
    )
    client = Client()
    if actor_name == "neighbour":  # the client of another dossier of the same firm
        neighbour = UserFactory()
        grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur", "connect.accountant")
        client.force_login(neighbour)
    elif actor_name == "deactivated":
        FirmMembership.objects.filter(user=accountant).update(is_active=False)
        client.force_login(accountant)
    elif actor_name == "role_removed":
        DossierAccess.objects.filter(user=accountant).delete()
        client.force_login(accountant)
    elif actor_name != "anonymous":
        client.force_login(request.getfixturevalue(actor_name))
    before = snapshot()
    data = {
        "title": "Intruder",
        "due_date": "2026-01-01",
        "description": "x",
        "year": "2026",
        "vat": "monthly",
        "client_listing": "on",
        "annual_accounts": "on",
        "year_end_month": "12",
    }
    for name, url in route_urls(dossier, task):
        for method in ("get", "post"):
            response = getattr(client, method)(url, data)
            if actor_name == "anonymous":
                assert response.status_code == HTTPStatus.FOUND, (name, method)
                assert response["Location"].startswith(reverse("account_login")), name
            else:
                assert response.status_code in (
                    HTTPStatus.NOT_FOUND,
                    HTTPStatus.METHOD_NOT_ALLOWED,
                ), (name, method, response.status_code)
                assert b"canary" not in response.content, (name, method)
                assert dossier.name.encode() not in response.content
    assert snapshot() == before


def test_the_dossiers_users_reach_every_task_page(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    task = make_task(dossier, title="canary task")
    for user in (client_user, accountant):
        client = auth_client(user)
        for name, url in route_urls(dossier, task):
            if name in ("connect:task_done", "connect:task_reopen", "connect:task_delete"):
                assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
                continue
            if name == "connect:task_deadlines" and user == client_user:
                assert client.get(url).status_code == HTTPStatus.NOT_FOUND  # the accountant's
                continue
            response = client.get(url)
            assert response.status_code == HTTPStatus.OK, (name, user)


# --- Create, edit, complete -------------------------------------------------------------------


def test_the_client_creates_a_task_for_the_accountant_and_both_see_it(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    response = auth_client(client_user).post(
        reverse("connect:task_create", args=[dossier.public_id]),
        {
            "title": "  Check the  leasing contract ",
            "description": "Page 3",
            "due_date": "2026-04-02",
            "assignee": str(accountant.public_id),
        },
    )
    task = Task.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("connect:task", args=[task.public_id])
    assert (task.title, task.due_date, task.assignee, task.created_by, task.status) == (
        "Check the leasing contract",
        date(2026, 4, 2),
        accountant,
        client_user,
        TaskStatus.OPEN,
    )
    listed = auth_client(accountant).get(reverse("connect:tasks", args=[dossier.public_id]))
    assert "Check the leasing contract" in listed.content.decode()
    assert accountant.display_name in listed.content.decode()


def test_tasks_of_other_dossiers_never_appear(
    firm: Firm, dossier: Dossier, accountant: User, auth_client
) -> None:
    second = DossierFactory(firm=firm, accountant=accountant)
    grant(accountant, second, "connect.accountant")
    make_task(dossier, title="Alpha task")
    make_task(second, title="Second task")
    client = auth_client(accountant)
    for name in ("connect:tasks", "connect:task_calendar"):
        page = client.get(reverse(name, args=[dossier.public_id]) + "?month=2026-03&status=all")
        assert "Alpha task" in page.content.decode()
        assert "Second task" not in page.content.decode()


def test_the_assignee_must_be_a_user_of_the_dossier(
    firm: Firm, dossier: Dossier, client_user: User, licence_admin: User, auth_client
) -> None:
    neighbour = UserFactory()
    grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur")
    url = reverse("connect:task_create", args=[dossier.public_id])
    for outsider in (neighbour, licence_admin):
        response = auth_client(client_user).post(
            url, {"title": "T", "due_date": "2026-04-02", "assignee": str(outsider.public_id)}
        )
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert outsider.display_name not in response.content.decode()
    # A member the firm deactivated still holds the role, but is no user of the dossier.
    former = UserFactory()
    grant(former, dossier, "connect.entrepreneur")
    FirmMembership.objects.filter(user=former).update(is_active=False)
    with pytest.raises(ServiceError) as refused:
        services.task_create(
            actor=client_user, dossier=dossier, title="T", due_date=DUE, assignee=former
        )
    assert refused.value.field == "assignee"
    assert not Task.objects.exists()


def test_bad_input_is_shown_next_to_the_field(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    url = reverse("connect:task_create", args=[dossier.public_id])
    for data in (
        {"title": " ", "due_date": "2026-04-02"},
        {"title": "T", "due_date": "2026-02-30"},
        {"title": "T", "due_date": "1850-01-01"},
        {"title": "T" * 201, "due_date": "2026-04-02"},
    ):
        response = auth_client(client_user).post(url, data)
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, data
        assert 'class="error"' in response.content.decode()
    assert not Task.objects.exists()


def test_both_roles_edit_complete_and_reopen_only_the_accountant_deletes(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    task = make_task(dossier, title="Old title")
    client, firm_side = auth_client(client_user), auth_client(accountant)
    response = client.post(
        reverse("connect:task", args=[task.public_id]),
        {"title": "New title", "due_date": "2026-05-04", "assignee": str(client_user.public_id)},
    )
    assert response.status_code == HTTPStatus.FOUND
    task.refresh_from_db()
    assert (task.title, task.due_date, task.assignee) == (
        "New title",
        date(2026, 5, 4),
        client_user,
    )

    firm_side.post(reverse("connect:task_done", args=[task.public_id]))
    task.refresh_from_db()
    assert (task.status, task.done_by) == (TaskStatus.DONE, accountant)
    assert task.done_at is not None
    page = client.get(reverse("connect:task", args=[task.public_id])).content.decode()
    assert accountant.display_name in page and "task_reopen" not in page

    client.post(reverse("connect:task_reopen", args=[task.public_id]))
    task.refresh_from_db()
    assert (task.status, task.done_by, task.done_at) == (TaskStatus.OPEN, None, None)

    assert (
        client.post(reverse("connect:task_delete", args=[task.public_id])).status_code
        == HTTPStatus.NOT_FOUND
    )
    assert Task.objects.filter(pk=task.pk).exists()
    response = firm_side.post(reverse("connect:task_delete", args=[task.public_id]))
    assert response["Location"] == reverse("connect:tasks", args=[dossier.public_id])
    assert not Task.objects.filter(pk=task.pk).exists()


def test_the_list_filters_open_and_done(dossier: Dossier, client_user: User, auth_client) -> None:
    make_task(dossier, title="Still to do")
    make_task(dossier, title="Finished already", status=TaskStatus.DONE)
    url = reverse("connect:tasks", args=[dossier.public_id])
    client = auth_client(client_user)

    def titles(query: str) -> list[str]:
        return [t.title for t in client.get(url + query).context["page"].object_list]

    assert titles("") == ["Still to do"]
    assert titles("?status=done") == ["Finished already"]
    assert sorted(titles("?status=all")) == ["Finished already", "Still to do"]
    assert titles("?status=<script>") == ["Still to do"]


# --- The month calendar -----------------------------------------------------------------------


def test_the_calendar_puts_tasks_on_their_day_in_weeks_from_monday(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    make_task(dossier, title="VAT Q1", due_date=date(2026, 4, 25))
    make_task(dossier, title="Spills over", due_date=date(2026, 5, 2))
    make_task(dossier, title="Next month", due_date=date(2026, 5, 20))
    url = reverse("connect:task_calendar", args=[dossier.public_id])
    response = auth_client(client_user).get(url + "?month=2026-04")
    weeks = response.context["weeks"]
    assert [len(week) for week in weeks] == [7] * 5
    assert weeks[0][0]["date"] == date(2026, 3, 30)  # a Monday
    assert weeks[-1][-1]["date"] == date(2026, 5, 3)  # a Sunday
    cells = {day["date"]: [t.title for t in day["tasks"]] for week in weeks for day in week}
    assert cells[date(2026, 4, 25)] == ["VAT Q1"]
    assert cells[date(2026, 5, 2)] == ["Spills over"]  # shown in the last week, out of month
    assert "Next month" not in response.content.decode()
    html = response.content.decode()
    assert '<th scope="col">' in html and "table-wrap" in html
    assert "?month=2026-03&amp;status=open" in html and "?month=2026-05&amp;status=open" in html
    january = auth_client(client_user).get(url + "?month=2026-01")
    assert "?month=2025-12" in january.content.decode()


@time_machine.travel(datetime(2026, 7, 14, 10, tzinfo=BRUSSELS), tick=False)
@pytest.mark.parametrize("month", ["", "2026-13", "nonsense", "1800-01", "2026-07-01"])
def test_a_bad_month_shows_the_current_one(
    dossier: Dossier, client_user: User, auth_client, month: str
) -> None:
    url = reverse("connect:task_calendar", args=[dossier.public_id]) + f"?month={month}"
    response = auth_client(client_user).get(url)
    assert response.status_code == HTTPStatus.OK
    assert response.context["month"] == date(2026, 7, 1)
    assert 'aria-current="date"' in response.content.decode()


@pytest.mark.parametrize("name", ["connect:tasks", "connect:task_calendar"])
def test_the_list_and_calendar_query_counts_do_not_grow(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    django_assert_max_num_queries,
    name: str,
) -> None:
    client = auth_client(client_user)
    url = reverse(name, args=[dossier.public_id]) + "?month=2026-03&status=all"

    def count(rows: int) -> int:
        Task.objects.all().delete()
        Task.objects.bulk_create(
            Task(
                dossier=dossier,
                title=f"Task {i}",
                due_date=date(2026, 3, 1 + i % 28),
                assignee=accountant if i % 2 else None,
                status=TaskStatus.DONE if i % 3 else TaskStatus.OPEN,
            )
            for i in range(rows)
        )
        client.get(url)  # the header's unread count is cached after the first page
        with django_assert_max_num_queries(100) as captured:
            assert client.get(url).status_code == HTTPStatus.OK
        return len(captured.captured_queries)

    assert count(2) == count(200)


# --- Closing a task by sharing a document -----------------------------------------------------


def share(client: Client, dossier: Dossier, task: Task | None, content: bytes):
    bank = Binder.objects.get(dossier=dossier, builtin="bank_statements")
    data = {"file": SimpleUploadedFile("extrait.pdf", content), "binder": str(bank.public_id)}
    if task is not None:
        data["task"] = str(task.public_id)
    return client.post(reverse("connect:share", args=[dossier.public_id]), data)


def test_sharing_a_document_closes_the_chosen_task(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    task = make_task(dossier, title="Send the March bank statements", assignee=accountant)
    make_task(dossier, title="Done one", status=TaskStatus.DONE)
    client = auth_client(accountant)
    form = client.get(
        reverse("connect:share", args=[dossier.public_id]) + f"?task={task.public_id}"
    )
    field = form.context["form"]["task"]
    assert [str(choice[1]) for choice in field.field.choices][1:] == [
        "Send the March bank statements (20/03/2026)"
    ]
    assert f'value="{task.public_id}" selected' in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = share(client, dossier, task, samples.pdf(2))
    assert response.status_code == HTTPStatus.FOUND
    document = Document.objects.get(source="shared")
    task.refresh_from_db()
    assert (task.status, task.document, task.done_by) == (TaskStatus.DONE, document, accountant)
    page = auth_client(client_user).get(reverse("connect:task", args=[task.public_id]))
    assert reverse("connect:document", args=[document.public_id]) in page.content.decode()


def test_a_task_of_another_dossier_or_done_is_refused_and_nothing_is_shared(
    firm: Firm, dossier: Dossier, accountant: User, auth_client, tmp_path: Path
) -> None:
    second = DossierFactory(firm=firm, accountant=accountant)
    grant(accountant, second, "connect.accountant")
    foreign = make_task(second, title="Foreign task")
    done = make_task(dossier, title="Done", status=TaskStatus.DONE)
    client = auth_client(accountant)
    client.get(reverse("connect:share", args=[dossier.public_id]))  # the binders exist
    for task in (foreign, done):
        response = share(client, dossier, task, samples.pdf(1))
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert "Foreign task" not in response.content.decode()
    assert not Document.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    foreign.refresh_from_db()
    assert foreign.status == TaskStatus.OPEN

    # The service refuses a task that is done by now (the form offered it when it was open).
    open_task = make_task(dossier, title="Open")
    Task.objects.filter(pk=open_task.pk).update(status=TaskStatus.DONE)
    with pytest.raises(ServiceError):
        services_share(dossier, accountant, open_task)
    assert not Document.objects.exists()


def services_share(dossier: Dossier, actor: User, task: Task):
    from connect.documents.services import document_share

    return document_share(
        actor=actor,
        dossier=dossier,
        binder=Binder.objects.get(dossier=dossier, builtin="bank_statements"),
        filename="x.pdf",
        chunks=[samples.pdf(3)],
        task=task,
    )


def test_a_duplicate_file_shares_nothing_and_leaves_the_task_open(
    dossier: Dossier, accountant: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    client = auth_client(accountant)
    client.get(reverse("connect:share", args=[dossier.public_id]))
    with django_capture_on_commit_callbacks(execute=True):
        share(client, dossier, None, samples.pdf(2))
    task = make_task(dossier)
    response = share(client, dossier, task, samples.pdf(2))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    task.refresh_from_db()
    assert (task.status, task.document) == (TaskStatus.OPEN, None)


# --- Reminder rules ---------------------------------------------------------------------------


def test_the_rules_of_each_day() -> None:
    rules = ReminderRules(frozenset({7, 1, 0}), overdue_weekly=True)

    def rule(today: date, created: date = DUE - timedelta(days=30)) -> str | None:
        found = rule_for(due_date=DUE, today=today, created_on=created, rules=rules)
        return found[0] if found else None

    offsets = {
        -8: None,
        -7: "before-7",
        -6: None,
        -2: None,
        -1: "before-1",
        0: "due",
        1: None,
        6: None,
        7: "overdue-1",
        8: "overdue-1",  # beat missed the 7th day: the newest overdue rule still goes
        13: "overdue-1",
        14: "overdue-2",
        22: "overdue-3",
    }
    assert {k: rule(DUE + timedelta(days=k)) for k in offsets} == offsets
    # A task recorded already late is reminded from the next weekly step on.
    assert rule(DUE + timedelta(days=10), created=DUE + timedelta(days=10)) is None
    assert rule(DUE + timedelta(days=14), created=DUE + timedelta(days=10)) == "overdue-2"
    quiet = ReminderRules(frozenset({3}), overdue_weekly=False)
    assert rule_for(due_date=DUE, today=DUE - timedelta(3), created_on=DUE, rules=quiet) == (
        "before-3",
        DUE - timedelta(3),
    )
    assert rule_for(due_date=DUE, today=DUE + timedelta(7), created_on=DUE, rules=quiet) is None


def test_the_days_setting_is_read_leniently() -> None:
    assert reminder_days_parse("7, 1,0") == {7, 1, 0}
    assert reminder_days_parse("x,3,-1,999,3") == {3}
    assert reminder_days_parse("") == frozenset()


# --- The reminder engine ----------------------------------------------------------------------


def run(capture, day: date) -> int:
    with capture(execute=True):
        return reminders_send(today=day)


def test_each_rule_is_sent_once_at_its_date(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    User.objects.filter(pk=client_user.pk).update(language="en")
    task = make_task(dossier, assignee=client_user)
    created_on(task, DUE - timedelta(days=30))
    sent: list[tuple[date, int]] = []
    for offset in (-8, -7, -7, -3, -1, -1, 0, 0, 3, 7, 7, 10, 14, 14):
        day = DUE + timedelta(days=offset)
        sent.append((day, run(django_capture_on_commit_callbacks, day)))
    assert [day for day, count in sent if count] == [
        DUE - timedelta(7),
        DUE - timedelta(1),
        DUE,
        DUE + timedelta(7),
        DUE + timedelta(14),
    ]
    assert sorted(ReminderSent.objects.values_list("rule", flat=True)) == sorted(
        ["before-7", "before-1", "due", "overdue-1", "overdue-2"]
    )
    assert [m.to for m in mail.outbox] == [[client_user.email]] * 5
    assert "in 7 days" in mail.outbox[0].subject
    assert "tomorrow" in mail.outbox[1].subject and "today" in mail.outbox[2].subject
    assert "overdue" in mail.outbox[3].subject
    assert "ALPHA1" in mail.outbox[0].subject and task.title in mail.outbox[0].subject

    services.task_complete(actor=client_user, task=task)
    assert run(django_capture_on_commit_callbacks, DUE + timedelta(21)) == 0
    assert len(mail.outbox) == 5


def test_a_missed_rule_before_the_date_is_not_sent_late_but_the_newest_overdue_is(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    task = make_task(dossier, assignee=client_user)
    created_on(task, DUE - timedelta(days=30))
    assert run(django_capture_on_commit_callbacks, DUE - timedelta(6)) == 0  # 7 days was missed
    assert run(django_capture_on_commit_callbacks, DUE + timedelta(16)) == 1  # 7, 14 missed
    assert list(ReminderSent.objects.values_list("rule", flat=True)) == ["overdue-2"]
    assert run(django_capture_on_commit_callbacks, DUE + timedelta(20)) == 0


def test_the_dossiers_profile_sets_the_days_and_the_weekly_reminder(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    ConnectProfile.objects.create(dossier=dossier, reminder_days="3", reminder_overdue_weekly=False)
    task = make_task(dossier)
    created_on(task, DUE - timedelta(days=30))
    days = [DUE + timedelta(days=k) for k in (-7, -3, -1, 0, 7, 14)]
    assert [run(django_capture_on_commit_callbacks, day) for day in days] == [0, 1, 0, 0, 0, 0]


def test_recipients_assignee_else_the_dossiers_users_and_entrepreneurs_for_requests(
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    licence_admin: User,
    django_capture_on_commit_callbacks,
) -> None:
    former = UserFactory(email="former@alpha-un.be")
    grant(former, dossier, "connect.entrepreneur")
    FirmMembership.objects.filter(user=former).update(is_active=False)
    neighbour = UserFactory(email="neighbour@example.be")
    grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur")
    left = UserFactory(email="left@alpha-un.be")
    grant(left, dossier, "connect.entrepreneur")

    for_everyone = make_task(dossier, title="Everyone")
    for_left = make_task(dossier, title="Assignee left", assignee=left)
    DossierAccess.objects.filter(user=left).delete()
    for_accountant = make_task(dossier, title="Accountant", assignee=accountant)
    request = DocumentRequest.objects.create(
        dossier=dossier, description="Bank statements Q1", due_date=DUE
    )
    for item in (for_everyone, for_left, for_accountant, request):
        created_on(item, DUE - timedelta(days=30))
    assert run(django_capture_on_commit_callbacks, DUE - timedelta(7)) == 4
    to: dict[str, set[str]] = {}
    for message in mail.outbox:
        key = next(
            t
            for t in ("Everyone", "Assignee left", "Accountant", "Bank statements")
            if t in message.subject
        )
        to.setdefault(key, set()).update(message.to)
    dossier_users = {client_user.email, accountant.email}
    assert to == {
        "Everyone": dossier_users,
        "Assignee left": dossier_users,
        "Accountant": {accountant.email},
        "Bank statements": {client_user.email},
    }
    assert licence_admin.email not in str(to)


def test_requests_are_reminded_while_they_wait_for_the_client(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    request = DocumentRequest.objects.create(
        dossier=dossier, description="Payslips of March", period="2026-03", due_date=DUE
    )
    created_on(request, DUE - timedelta(days=30))
    assert run(django_capture_on_commit_callbacks, DUE - timedelta(1)) == 1
    body = mail.outbox[-1].body
    assert "Payslips of March (2026-03)" in body
    DocumentRequest.objects.filter(pk=request.pk).update(status=RequestStatus.MORE_NEEDED)
    assert run(django_capture_on_commit_callbacks, DUE) == 1
    DocumentRequest.objects.filter(pk=request.pk).update(status=RequestStatus.PROVIDED)
    assert run(django_capture_on_commit_callbacks, DUE + timedelta(7)) == 0
    assert len(mail.outbox) == 2


def test_the_mail_is_in_the_recipients_language_with_a_link_after_login(
    settings,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    django_capture_on_commit_callbacks,
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example.be/"
    User.objects.filter(pk=accountant.pk).update(language="nl")
    task = make_task(dossier)
    created_on(task, DUE - timedelta(days=30))
    run(django_capture_on_commit_callbacks, DUE)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    link = "https://portal.example.be" + reverse("connect:task", args=[task.public_id])
    assert "20 mars 2026" in bodies[client_user.email]
    assert "20 maart 2026" in bodies[accountant.email]
    assert all(link in body for body in bodies.values())
    assert all("token" not in body and "key=" not in body for body in bodies.values())


def test_a_new_due_date_is_reminded_afresh(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    task = make_task(dossier, assignee=client_user)
    created_on(task, DUE - timedelta(days=30))
    assert run(django_capture_on_commit_callbacks, DUE - timedelta(1)) == 1
    later = DUE + timedelta(days=10)
    services.task_update(
        actor=client_user, task=task, title=task.title, due_date=later, assignee=client_user
    )
    assert run(django_capture_on_commit_callbacks, later - timedelta(1)) == 1
    assert list(ReminderSent.objects.values_list("rule", flat=True)) == ["before-1"]


def test_no_reminder_when_connect_is_off_or_the_rule_is_recorded(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    task = make_task(dossier)
    created_on(task, DUE - timedelta(days=30))
    ReminderSent.objects.create(task=task, rule="before-7")
    assert run(django_capture_on_commit_callbacks, DUE - timedelta(7)) == 0
    Dossier.objects.filter(pk=dossier.pk).update(connect_enabled=False)
    assert run(django_capture_on_commit_callbacks, DUE - timedelta(1)) == 0
    assert mail.outbox == []


def test_the_reminders_task_is_registered_under_its_beat_name() -> None:
    """The worker knows the task the beat schedule names (it lives in connect.collaboration.tasks,
    which Celery's autodiscovery does not import: connect.apps does)."""
    from portal.celery import app

    beat = settings.CELERY_BEAT_SCHEDULE["reminders"]["task"]
    assert beat == "connect.tasks.reminders_send"
    assert app.tasks[beat].run.__module__ == "connect.collaboration.tasks"


def test_the_celery_task_decides_today_in_the_portals_time_zone(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    from connect.collaboration.tasks import reminders_send as task_entry

    task = make_task(dossier, assignee=client_user)
    created_on(task, DUE - timedelta(days=30))
    # 23:30 UTC on the 12th is already the 13th in Brussels: 7 days before the 20th.
    late_evening = datetime(2026, 3, 12, 23, 30, tzinfo=ZoneInfo("UTC"))
    with (
        time_machine.travel(late_evening, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert task_entry.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert task_entry.delay(today="2026-03-19").get() == 1
    assert sorted(ReminderSent.objects.values_list("rule", flat=True)) == ["before-1", "before-7"]


@pytest.mark.django_db(transaction=True)
def test_two_beats_racing_send_each_rule_once() -> None:
    firm_member = MembershipFactory(level=FirmLevel.POWER_USER)
    dossier = DossierFactory(firm=firm_member.firm)
    grant(firm_member.user, dossier, "connect.accountant")
    tasks = [make_task(dossier, title=f"Task {i}") for i in range(5)]
    for task in tasks:
        created_on(task, DUE - timedelta(days=30))
    start = threading.Barrier(4)
    counts: list[int] = []

    def beat() -> None:
        try:
            start.wait()
            counts.append(reminders_send(today=DUE))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 5
    assert ReminderSent.objects.count() == 5
    assert OutboundEmail.objects.filter(kind="task.reminder").count() == 5
    assert Task.objects.filter(kind=TaskKind.TASK).count() == 5
