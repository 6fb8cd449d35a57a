"""Reminder e-mails for open tasks and for document requests still waiting for the client,
decided by beat from the database state (no long ETA tasks).

Rules, per dossier (its Connect profile; no profile: the field defaults):

- ``reminder_days`` ("7,1,0"): a reminder N days before the due date, rule ``before-N``;
  0 is the due day itself, rule ``due``. Such a rule is sent on its day only: if beat did not
  run that day, it is not sent late (a later, closer reminder follows anyway).
- ``reminder_overdue_weekly``: while overdue, one reminder a week, rule ``overdue-N`` on the
  due date + 7·N days. If beat missed that day, the newest overdue rule is sent at the next
  run; older ones are never sent. A step that fell before the item existed (a task created
  already late) is skipped, so that recording old items does not send a burst of mail.

Each rule goes out once per item: a ``ReminderSent`` row is inserted first (its unique
constraint settles two beats racing), and the mails are queued in the same transaction.
Recipients: for a task its assignee (or, without one, every user of the dossier holding a
Connect role); for a request the dossier's entrepreneurs. Only active users who still belong
to the dossier's firm."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from connect.documents.profiles import profile_of
from connect.models import (
    REQUEST_WAITING,
    ConnectProfile,
    DocumentRequest,
    ReminderSent,
    Task,
    TaskStatus,
)
from core.mail import email_enqueue
from dossiers.access import dossier_users
from dossiers.models import Dossier, Role
from users.models import User

logger = logging.getLogger(__name__)

#: The furthest "days before" a profile may ask for.
MAX_DAYS_BEFORE = 365
DEFAULT_DAYS = str(ConnectProfile._meta.get_field("reminder_days").default)
DEFAULT_OVERDUE_WEEKLY = bool(ConnectProfile._meta.get_field("reminder_overdue_weekly").default)


@dataclass(frozen=True)
class ReminderRules:
    days: frozenset[int]
    overdue_weekly: bool


def reminder_days_parse(text: str) -> frozenset[int]:
    """Parse "7,1,0" into {7, 1, 0}; entries that are not whole numbers of days within a year are
    ignored (an empty text: no reminder before the due date)."""
    days = set()
    for part in (text or "").split(","):
        part = part.strip()
        if part.isascii() and part.isdigit() and int(part) <= MAX_DAYS_BEFORE:
            days.add(int(part))
    return frozenset(days)


def rules_for(profile: ConnectProfile | None) -> ReminderRules:
    if profile is None:
        return ReminderRules(reminder_days_parse(DEFAULT_DAYS), DEFAULT_OVERDUE_WEEKLY)
    return ReminderRules(
        reminder_days_parse(profile.reminder_days), profile.reminder_overdue_weekly
    )


def rule_for(
    *, due_date: date, today: date, created_on: date, rules: ReminderRules
) -> tuple[str, date] | None:
    """The rule that is due ``today`` for an item due on ``due_date``, and the day it stands
    for; None when no reminder is due today."""
    ahead = (due_date - today).days
    if ahead >= 0:
        if ahead in rules.days:
            return ("due" if ahead == 0 else f"before-{ahead}", today)
        return None
    weeks = -ahead // 7
    if not rules.overdue_weekly or weeks < 1:
        return None
    step = due_date + timedelta(weeks=weeks)
    if step < created_on:
        return None
    return (f"overdue-{weeks}", step)


def _base_url() -> str:
    return str(settings.PORTAL_BASE_URL).rstrip("/")


def _task_url(task: Task) -> str:
    return _base_url() + reverse("connect:task", args=[task.public_id])


def _request_url(request: DocumentRequest) -> str:
    """The request's page after login (the dossier's page while requests are not routed)."""
    try:
        return _base_url() + reverse("connect:request_detail", args=[request.public_id])
    except NoReverseMatch:
        return _base_url() + reverse("connect:dossier", args=[request.dossier.public_id])


class _Recipients:
    """Users of each dossier, looked up once per run."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, tuple[str, ...]], list[User]] = {}

    def of(self, dossier: Dossier, roles: tuple[str, ...]) -> list[User]:
        key = (dossier.pk, roles)
        if key not in self._cache:
            self._cache[key] = list(dossier_users(dossier=dossier, roles=roles).order_by("id"))
        return self._cache[key]

    def for_task(self, task: Task) -> list[User]:
        everyone = self.of(task.dossier, (Role.CONNECT_ENTREPRENEUR, Role.CONNECT_ACCOUNTANT))
        if task.assignee_id is not None:
            assignee = [user for user in everyone if user.pk == task.assignee_id]
            if assignee:
                return assignee
            # An assignee who left the dossier is not written to: everyone else is.
        return everyone

    def for_request(self, request: DocumentRequest) -> list[User]:
        return self.of(request.dossier, (Role.CONNECT_ENTREPRENEUR,))


def _mail(*, users: Iterable[User], item: Task | DocumentRequest, step: date, url: str) -> None:
    """Queue one reminder per recipient, in their language."""
    is_request = isinstance(item, DocumentRequest)
    for user in users:
        with translation.override(user.language):
            context = {
                "user": user,
                "dossier": item.dossier,
                "is_request": is_request,
                "item": item,
                "title": (
                    item.description if isinstance(item, DocumentRequest) else item.shown_title
                ),
                "due_date": item.due_date,
                "days": (item.due_date - step).days,
                "overdue": step > item.due_date,
                "weeks": max((step - item.due_date).days // 7, 0),
                "url": url,
            }
            subject = " ".join(
                render_to_string("connect/emails/reminder_subject.txt", context).split()
            )
            body = render_to_string("connect/emails/reminder_body.txt", context)
        email_enqueue(
            EmailMultiAlternatives(subject=subject, body=body, to=[user.email]),
            kind="request.reminder" if is_request else "task.reminder",
        )


def _send_once(
    *,
    still: "QuerySet[Task] | QuerySet[DocumentRequest]",
    record: dict[str, int],
    rule: str,
    send: Callable[[], None],
) -> bool:
    """Record the rule, then queue the mails, in one transaction. False when the item is no
    longer waiting (``still`` finds nothing) or the rule was already recorded — by a beat
    racing this one: its insert waits on the unique index, then fails here."""
    try:
        with transaction.atomic():
            if not list(still.select_for_update().values_list("pk", flat=True)[:1]):
                return False
            ReminderSent.objects.create(rule=rule, **record)
            send()
    except IntegrityError:
        return False
    return True


def _rule_today(item: Task | DocumentRequest, today: date) -> tuple[str, date] | None:
    return rule_for(
        due_date=item.due_date,
        today=today,
        created_on=timezone.localdate(item.created_at),
        rules=rules_for(profile_of(item.dossier)),
    )


def _tasks_remind(today: date, recipients: _Recipients) -> int:
    tasks = list(
        Task.objects.filter(
            status=TaskStatus.OPEN,
            dossier__connect_enabled=True,
            due_date__lte=today + timedelta(days=MAX_DAYS_BEFORE),
        ).select_related("dossier__firm", "dossier__connect_profile")
    )
    done = set(
        ReminderSent.objects.filter(task_id__in=[t.pk for t in tasks]).values_list(
            "task_id", "rule"
        )
    )
    count = 0
    for task in tasks:
        found = _rule_today(task, today)
        if found is None or (task.pk, found[0]) in done:
            continue
        rule, step = found
        users = recipients.for_task(task)
        still = Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN, due_date=task.due_date)
        if _send_once(
            still=still,
            record={"task_id": task.pk},
            rule=rule,
            send=partial(_mail, users=users, item=task, step=step, url=_task_url(task)),
        ):
            count += 1
    return count


def _requests_remind(today: date, recipients: _Recipients) -> int:
    requests = list(
        DocumentRequest.objects.filter(
            status__in=REQUEST_WAITING,
            dossier__connect_enabled=True,
            due_date__lte=today + timedelta(days=MAX_DAYS_BEFORE),
        ).select_related("dossier__firm", "dossier__connect_profile")
    )
    done = set(
        ReminderSent.objects.filter(request_id__in=[r.pk for r in requests]).values_list(
            "request_id", "rule"
        )
    )
    count = 0
    for request in requests:
        found = _rule_today(request, today)
        if found is None or (request.pk, found[0]) in done:
            continue
        rule, step = found
        users = recipients.for_request(request)
        still = DocumentRequest.objects.filter(
            pk=request.pk, status__in=REQUEST_WAITING, due_date=request.due_date
        )
        if _send_once(
            still=still,
            record={"request_id": request.pk},
            rule=rule,
            send=partial(_mail, users=users, item=request, step=step, url=_request_url(request)),
        ):
            count += 1
    return count


def reminders_send(*, today: date | None = None) -> int:
    """Send the reminders due ``today`` (default: today in the portal's time zone). Safe to
    run as often as wanted, from several workers at once. Returns how many rules were sent."""
    today = today or timezone.localdate()
    recipients = _Recipients()
    count = _tasks_remind(today, recipients) + _requests_remind(today, recipients)
    if count:
        logger.info("reminders of %s: %d sent", today.isoformat(), count)
    return count


def reminders_reset(*, task: Task | None = None, request: DocumentRequest | None = None) -> None:
    """Forget the reminders sent for an item whose due date changed, so that its new dates
    are reminded (call it in the transaction that changes the date)."""
    if task is not None:
        ReminderSent.objects.filter(task=task).delete()
    if request is not None:
        ReminderSent.objects.filter(request=request).delete()
