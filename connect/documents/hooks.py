"""What the features above the documents add to the documents' pages. The documents import no
feature: a feature registers here at start-up (``connect.apps``), and a page without a
registration offers nothing more."""

from collections.abc import Callable

from django.db.models import QuerySet

from connect.models import Task
from dossiers.models import Dossier
from users.models import User

#: The open tasks of a dossier the actor may close by sharing a document (the collaboration's
#: to-dos).
ShareTasks = Callable[..., QuerySet[Task]]

_share_tasks: ShareTasks | None = None


def share_tasks_register(provider: ShareTasks) -> None:
    """Let the share page offer the tasks ``provider(actor=..., dossier=...)`` returns."""
    global _share_tasks
    _share_tasks = provider


def share_tasks_for(*, actor: User, dossier: Dossier) -> QuerySet[Task] | None:
    """The tasks the share page offers to close; None when no feature offers any."""
    return None if _share_tasks is None else _share_tasks(actor=actor, dossier=dossier)
