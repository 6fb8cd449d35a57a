"""Reminders of a task and of a document request through a real Celery worker and Redis to a
real SMTP server, over a sequence of days: each rule arrives once, whatever the number of beat
runs that day, and nothing once the task is done and the request answered.

The clock of the test process moves with time-machine; the worker is another process that
time-machine does not reach, so each run names its day: ``reminders_send.delay(today=...)``."""

import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from connect.collaboration.tasks import reminders_send
from connect.collaboration.todos.services import task_complete, task_create
from connect.models import DocumentRequest, ReminderSent, RequestStatus, Task
from dossiers.models import FirmLevel
from tests.factories import DossierFactory, FirmFactory, MembershipFactory, UserFactory, grant

pytestmark = pytest.mark.integration

BRUSSELS = ZoneInfo("Europe/Brussels")
DUE = date(2026, 3, 20)


def at_nine(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=BRUSSELS)


def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_reminders_go_through_the_worker_once_per_rule(celery_worker, smtp) -> None:
    firm = FirmFactory(name="Fiduciaire Rappel")
    accountant = MembershipFactory(firm=firm, level=FirmLevel.POWER_USER).user
    dossier = DossierFactory(firm=firm, code="RAPPEL", name="Rappel SRL", accountant=accountant)
    grant(accountant, dossier, "connect.accountant")
    client = UserFactory(email="client@rappel.be", language="en")
    grant(client, dossier, "connect.entrepreneur")

    with time_machine.travel(at_nine(DUE - timedelta(days=10)), tick=False):
        task = task_create(
            actor=client,
            dossier=dossier,
            title="Sign the annual accounts",
            due_date=DUE,
            assignee=client,
        )
        request = DocumentRequest.objects.create(
            dossier=dossier, description="Bank statements of February", due_date=DUE
        )

    expected = 0
    for offset, runs, new in (
        (-7, 3, 2),  # before-7, task and request; beat runs three times that day
        (-6, 1, 0),
        (-1, 2, 2),  # before-1
        (0, 2, 2),  # due
        (3, 1, 0),
        (7, 2, 2),  # overdue-1
        (14, 2, 2),  # overdue-2
    ):
        day = DUE + timedelta(days=offset)
        with time_machine.travel(at_nine(day), tick=False):
            for _ in range(runs):
                reminders_send.delay(today=day.isoformat())
        expected += new
        wait_until(
            lambda expected=expected: (
                ReminderSent.objects.count() == expected and len(smtp.messages) >= expected
            ),
            timeout=60,
        )

    with time_machine.travel(at_nine(DUE + timedelta(days=15)), tick=False):
        task_complete(actor=client, task=task)
        DocumentRequest.objects.filter(pk=request.pk).update(status=RequestStatus.ACCEPTED)
    for offset in (21, 28):
        reminders_send.delay(today=(DUE + timedelta(days=offset)).isoformat())

    time.sleep(3)  # whatever the worker still had to do has reached the SMTP server by now
    messages = list(smtp.messages)
    assert len(messages) == expected == 10, [m["Subject"] for m in messages]
    assert {m["To"] for m in messages} == {"client@rappel.be"}
    subjects = Counter(" ".join(m["Subject"].split()) for m in messages)
    assert all(count == 1 for count in subjects.values()), subjects
    assert sum("Sign the annual accounts" in s for s in subjects) == 5
    assert sum("Bank statements of February" in s for s in subjects) == 5
    assert sum("overdue" in s for s in subjects) == 4
    assert sum("in 7 days" in s for s in subjects) == 2
    assert sorted(ReminderSent.objects.filter(task=task).values_list("rule", flat=True)) == sorted(
        ["before-7", "before-1", "due", "overdue-1", "overdue-2"]
    )
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in messages]
    assert sum(f"/connect/tasks/{task.public_id}/" in body for body in bodies) == 5
    assert all("RAPPEL" in body for body in bodies)
    assert Task.objects.get(pk=task.pk).status == "done"
