"""Tasks of a dossier and its Belgian fiscal deadlines: reads scoped to the acting user, and
the writes (create, edit, complete, reopen, delete, generate the deadlines of a year).

Both Connect roles create, edit and complete the tasks of their dossier; only its accountant
generates the fiscal deadlines and deletes. An assignee is a user of the dossier: an active
user, active member of the dossier's firm, holding a Connect role on it."""

from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.deadlines import VatFrequency, deadlines_for, vat_keys
from connect.documents.services.accountant import require_accountant
from connect.models import ReminderSent, Task, TaskKind, TaskStatus
from core.errors import ServiceError
from core.lookups import get_or_404
from dossiers.access import connect_roles_for, dossier_users, in_connect_reach, require_connect_role
from dossiers.models import Dossier
from users.models import User

# --- Reads ------------------------------------------------------------------------------------


def task_assignees_for(*, actor: User, dossier: Dossier) -> QuerySet[User]:
    """Whom a task of ``dossier`` may be given to, for a user of that dossier."""
    if connect_roles_for(actor=actor, dossier=dossier) is None:
        return User.objects.none()
    return dossier_users(dossier=dossier).order_by("first_name", "last_name", "email")


def task_list_for(
    *,
    actor: User,
    dossier: Dossier,
    status: str = "",
    due_from: date | None = None,
    due_to: date | None = None,
) -> QuerySet[Task]:
    """The tasks of one dossier the actor holds a Connect role on, by due date; ``status``
    "open" or "done" filters (anything else: both)."""
    tasks = in_connect_reach(Task.objects.filter(dossier=dossier), actor)
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    if due_from is not None:
        tasks = tasks.filter(due_date__gte=due_from)
    if due_to is not None:
        tasks = tasks.filter(due_date__lte=due_to)
    return tasks.select_related("assignee").order_by("due_date", "id")


def task_get_for(*, actor: User, public_id: object) -> Task:
    """One task of a dossier the actor holds a Connect role on; otherwise 404."""
    return get_or_404(
        in_connect_reach(Task.objects.all(), actor).select_related(
            "dossier__firm", "assignee", "done_by", "created_by", "document"
        ),
        public_id,
    )


def open_tasks_for(*, actor: User, dossier: Dossier) -> QuerySet[Task]:
    return task_list_for(actor=actor, dossier=dossier, status=TaskStatus.OPEN)


# --- Writes -----------------------------------------------------------------------------------


def _require_member(actor: User, dossier: Dossier) -> None:
    require_connect_role(
        actor=actor, dossier=dossier, message=_("You cannot change the tasks of this dossier.")
    )


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ServiceError(_("Give the task a title."), code="title_required", field="title")
    if len(title) > 200:
        raise ServiceError(
            _("Keep the title under 200 characters."), code="title_too_long", field="title"
        )
    return title


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > 4000:
        raise ServiceError(
            _("Keep the description under 4,000 characters."),
            code="description_too_long",
            field="description",
        )
    return description


def _check_assignee(dossier: Dossier, assignee: User | None) -> None:
    if assignee is not None and not dossier_users(dossier=dossier).filter(pk=assignee.pk).exists():
        raise ServiceError(
            _("Choose someone who uses Connect in this dossier."),
            code="assignee_invalid",
            field="assignee",
        )


def _check_due_date(due_date: date | None) -> date:
    if due_date is None:
        raise ServiceError(_("Enter the due date."), code="due_date_required", field="due_date")
    if not 2000 <= due_date.year <= 2100:
        raise ServiceError(
            _("Enter a due date between 2000 and 2100."), code="due_date_invalid", field="due_date"
        )
    return due_date


def task_create(
    *,
    actor: User,
    dossier: Dossier,
    title: str,
    due_date: date | None,
    description: str = "",
    assignee: User | None = None,
) -> Task:
    """A task of the dossier, created by one of its users (either role)."""
    _require_member(actor, dossier)
    title = _clean_title(title)
    description = _clean_description(description)
    due_date = _check_due_date(due_date)
    _check_assignee(dossier, assignee)
    return Task.objects.create(
        dossier=dossier,
        kind=TaskKind.TASK,
        title=title,
        description=description,
        due_date=due_date,
        assignee=assignee,
        created_by=actor,
    )


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update(of=("self",)).select_related("dossier").get(pk=task.pk)


def task_update(
    *,
    actor: User,
    task: Task,
    title: str,
    due_date: date | None,
    description: str = "",
    assignee: User | None = None,
) -> Task:
    """Change a task. A new due date starts its reminders afresh. A generated deadline's
    title or description left as shown stays generated (worded in each reader's language)."""
    _require_member(actor, task.dossier)
    title = _clean_title(title)
    description = _clean_description(description)
    due_date = _check_due_date(due_date)
    _check_assignee(task.dossier, assignee)
    with transaction.atomic():
        task = _locked(task)
        if task.due_date != due_date:
            ReminderSent.objects.filter(task=task).delete()
        if title != task.shown_title:
            task.title = title
        if description != task.shown_description:
            task.description = description
        task.due_date = due_date
        task.assignee = assignee
        task.save(update_fields=["title", "description", "due_date", "assignee"])
    return task


def task_complete(*, actor: User, task: Task) -> Task:
    """Mark a task done (a second call changes nothing): its reminders stop."""
    _require_member(actor, task.dossier)
    with transaction.atomic():
        task = _locked(task)
        if task.status != TaskStatus.DONE:
            task.status = TaskStatus.DONE
            task.done_at = timezone.now()
            task.done_by = actor
            task.save(update_fields=["status", "done_at", "done_by"])
    return task


def task_reopen(*, actor: User, task: Task) -> Task:
    """Open a done task again; reminders already sent are not sent twice."""
    _require_member(actor, task.dossier)
    with transaction.atomic():
        task = _locked(task)
        if task.status != TaskStatus.OPEN:
            task.status = TaskStatus.OPEN
            task.done_at = None
            task.done_by = None
            task.save(update_fields=["status", "done_at", "done_by"])
    return task


def task_delete(*, actor: User, task: Task) -> None:
    """Remove a task (the dossier's accountant only), with its reminder records."""
    require_accountant(actor, task.dossier)
    Task.objects.filter(pk=task.pk).delete()


def deadlines_generate(
    *,
    actor: User,
    dossier: Dossier,
    year: int,
    vat: str | None,
    client_listing: bool = True,
    annual_accounts: bool = True,
    year_end: date | None = None,
    assignee: User | None = None,
) -> int:
    """Record the Belgian fiscal deadlines of ``year`` as tasks of the dossier (its accountant
    only; see ``connect.deadlines``). Deadlines already there are kept as they
    are (generating twice adds nothing). Titles are stored in the actor's language and shown in
    the reader's (``Task.shown_title``). Returns how many tasks were added."""
    require_accountant(actor, dossier)
    if not 2000 <= year <= 2100:
        raise ServiceError(
            _("Enter a year between 2000 and 2100."), code="year_invalid", field="year"
        )
    if vat and vat not in {frequency.value for frequency in VatFrequency}:
        raise ServiceError(_("Choose how often VAT is filed."), code="vat_invalid", field="vat")
    if year_end is not None and year_end.year != year:
        raise ServiceError(
            _("The financial year must end in %(year)s.") % {"year": year},
            code="year_end_invalid",
            field="year_end",
        )
    _check_assignee(dossier, assignee)
    deadlines = deadlines_for(
        year=year,
        vat=vat or None,
        client_listing=client_listing,
        annual_accounts=annual_accounts,
        year_end=year_end,
    )
    if not deadlines:
        raise ServiceError(_("Choose at least one kind of deadline."), code="nothing_chosen")
    with transaction.atomic():
        Dossier.objects.select_for_update().get(pk=dossier.pk)  # one generation at a time
        if vat:
            other = (
                VatFrequency.QUARTERLY
                if VatFrequency(vat) == VatFrequency.MONTHLY
                else VatFrequency.MONTHLY
            )
            if Task.objects.filter(
                dossier=dossier, deadline_key__in=vat_keys(year, other)
            ).exists():
                message = (
                    _("The VAT returns of %(year)s are already planned quarterly.")
                    if other == VatFrequency.QUARTERLY
                    else _("The VAT returns of %(year)s are already planned monthly.")
                )
                raise ServiceError(message % {"year": year}, code="vat_conflict", field="vat")
        existing = set(
            Task.objects.filter(
                dossier=dossier, deadline_key__in=[d.key for d in deadlines]
            ).values_list("deadline_key", flat=True)
        )
        new = [
            Task(
                dossier=dossier,
                kind=TaskKind.DEADLINE,
                deadline_key=d.key,
                title=d.title,
                description=d.description,
                due_date=d.due_date,
                assignee=assignee,
                created_by=actor,
            )
            for d in deadlines
            if d.key not in existing
        ]
        Task.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
