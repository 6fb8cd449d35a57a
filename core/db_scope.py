"""The second wall: PostgreSQL row-level security on the tenant tables (docs/tenancy.md).

Every connection carries a *scope* in session settings that the policies of migration
portal/0003 read:

- ``none``: nothing of any tenant (the default of a web process before it knows who asks);
- ``user``: the dossiers where the user holds a role in a firm they still belong to, and every
  dossier of the firms where they are active staff (computed inside PostgreSQL by
  ``portal_scope_for_user``, from the same tables the application reads);
- ``dossier``: one dossier (a Celery task working on one document);
- ``system``: everything (the worker's sweepers, management commands, migrations).

A web request sets the scope when it starts (middleware for sessions, the API's Bearer
authentication for tokens) and puts the process default back when its response is closed.
Django runs in autocommit, so the settings are session-level, set per request rather than
``SET LOCAL`` per transaction; a request always overwrites what the previous one left. The
scope is written eagerly when a request or a task starts, outside any transaction; a scope
written later inside a transaction (``scoped()``, an inline task) is written again after a
rollback could have undone it (``_held``).

The application connects as a role that owns no table and has no BYPASSRLS
(``DATABASE_APP_ROLE``; ``manage.py db_app_role`` grants it what it needs).
"""

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

NONE = ("none", None)
SYSTEM = ("system", None)
#: While a request resolves its user (session and user tables, which carry no tenant rows), the
#: connection is left as it is: the user's scope is then set before any tenant query.
PENDING = ("pending", None)

#: The scope the code running in this context wants; re-applied on a new connection.
_current: contextvars.ContextVar[tuple[str, Any] | None] = contextvars.ContextVar(
    "portal_db_scope", default=None
)


def _enabled(conn: BaseDatabaseWrapper | None = None) -> bool:
    return (conn or connection).vendor == "postgresql"


def process_default() -> tuple[str, Any]:
    """``none`` in a web process (set by portal/wsgi.py), ``system`` elsewhere."""
    return SYSTEM if settings.DB_DEFAULT_SCOPE == "system" else NONE


def _held(conn: BaseDatabaseWrapper, scope: tuple[str, Any]) -> bool:
    """Whether the connection's session still holds ``scope``. Settings written inside a
    transaction or savepoint are undone by its rollback: such a scope is trusted only while
    the savepoint it was written in is still open, and written again after the transaction
    (one query; whether it committed is not tracked)."""
    if getattr(conn, "_portal_scope", None) != scope:
        return False
    guard = getattr(conn, "_portal_scope_guard", None)
    if guard is None:
        return True
    ids = list(conn.savepoint_ids)
    return bool(conn.in_atomic_block) and ids[: len(guard)] == list(guard)


def _apply(scope: tuple[str, Any], conn: BaseDatabaseWrapper | None = None) -> None:
    conn = conn or connection
    if _held(conn, scope):
        return
    kind, value = scope
    conn._portal_scope_applying = True  # type: ignore[attr-defined]
    try:
        with conn.cursor() as cursor:
            if kind == "user":
                # The same round trip returns the user's memberships (portal/0012).
                cursor.execute(
                    "SELECT membership, firm FROM portal_scope_for_user_memberships(%s)", [value]
                )
                conn._portal_scope_read = (value, cursor.fetchall())  # type: ignore[attr-defined]
            else:
                conn._portal_scope_read = None  # type: ignore[attr-defined]
                dossiers = ",".join(str(int(v)) for v in value) if kind == "dossier" else ""
                cursor.execute(
                    "SELECT set_config('portal.scope', %s, false), "
                    "set_config('portal.user', '', false), "
                    "set_config('portal.firms', '', false), "
                    "set_config('portal.dossiers', %s, false)",
                    [kind, dossiers],
                )
    finally:
        conn._portal_scope_applying = False  # type: ignore[attr-defined]
    conn._portal_scope = scope  # type: ignore[attr-defined]
    if conn.in_atomic_block:
        conn._portal_scope_guard = tuple(conn.savepoint_ids)  # type: ignore[attr-defined]
    else:
        conn._portal_scope_guard = None  # type: ignore[attr-defined]


def apply_now() -> list[tuple[Any, Any]] | None:
    """Write this context's scope into the connection's session at once (a request's or a
    task's start, outside any transaction), rather than before the next query. A connection
    not yet open is left alone: it is given the scope as it opens (``_on_connection_created``).

    Returns what a user's scope read in the same statement when it was written here: the
    user's active memberships, one ``(membership, firm)`` pair of JSON objects (the tables'
    columns) a row; ``None`` when no user scope was written now."""
    scope = current()
    if scope in (PENDING, NONE) or not _enabled() or connection.connection is None:
        return None  # ``none`` sees nothing: it is written before the first query, as a guard
    connection._portal_scope_read = None  # type: ignore[attr-defined]
    _apply(scope)
    read = getattr(connection, "_portal_scope_read", None)
    connection._portal_scope_read = None  # type: ignore[attr-defined]
    if scope[0] != "user" or read is None or read[0] != scope[1]:
        return None
    return read[1]


def activate(scope: tuple[str, Any], *, fresh: bool = False) -> None:
    """Make ``scope`` the scope of this context: the connection takes it before its next query
    (a request that never queries costs nothing). ``fresh``: compute it again even if the
    connection holds the same one (a request must see the roles as they are now)."""
    _current.set(scope)
    if fresh:
        connection._portal_scope = None  # type: ignore[attr-defined]


def for_user(user: Any) -> tuple[str, Any]:
    if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        return ("user", user.pk)
    return NONE


def for_dossiers(*dossier_ids: int) -> tuple[str, Any]:
    return ("dossier", tuple(dossier_ids))


def current() -> tuple[str, Any]:
    return _current.get() or process_default()


@contextlib.contextmanager
def scoped(scope: tuple[str, Any]) -> Iterator[None]:
    """Run a block under ``scope`` and put the previous one back afterwards."""
    previous = current()
    activate(scope)
    try:
        yield
    finally:
        activate(previous)


def system() -> contextlib.AbstractContextManager[None]:
    """For code a web request runs on behalf of no user: the provider's inbound webhook (it
    proves itself with its own secret) before it knows the dossier."""
    return scoped(SYSTEM)


def _before_query(
    conn: BaseDatabaseWrapper,
) -> Callable[[Callable[..., Any], str, Any, bool, dict[str, Any]], Any]:
    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        scope = current()
        if scope is not PENDING and not getattr(conn, "_portal_scope_applying", False):
            _apply(scope, conn)
        return execute(sql, params, many, context)

    wrapper.portal_db_scope = True  # type: ignore[attr-defined]
    return wrapper


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if not _enabled(connection):
        return
    connection._portal_scope = None  # type: ignore[attr-defined]
    if not any(getattr(w, "portal_db_scope", False) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(_before_query(connection))
    role = settings.DATABASE_APP_ROLE
    if role:
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    # A new connection is in autocommit here, outside any transaction: its scope is written
    # now rather than before its first query.
    scope = current()
    if scope is not PENDING:
        _apply(scope, connection)


connection_created.connect(_on_connection_created, dispatch_uid="portal_db_scope")


def _operator_admin(request: HttpRequest, user: Any) -> bool:
    """The Django admin is the platform operator's (active superusers only, PortalAdminSite):
    it sees every firm, as the system does."""
    if not (getattr(user, "is_active", False) and getattr(user, "is_superuser", False)):
        return False
    from django.urls import NoReverseMatch, reverse

    try:
        prefix = reverse("admin:index")
    except NoReverseMatch:
        return False
    return request.path.startswith(prefix)


#: Whether this context is a request that DbScopeMiddleware is handling.
_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "portal_db_scope_request", default=False
)


class DbScopeMiddleware:
    """Sets the acting user's scope when a request starts (after authentication) and puts the
    process default back when the response is closed (after a streamed body is sent)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _current.set(PENDING)
        try:
            user = getattr(request, "user", None)
            scope = for_user(user)  # resolves the session's user
            if scope != NONE and _operator_admin(request, user):
                scope = SYSTEM
        finally:
            _current.set(NONE)
        activate(scope, fresh=True)
        read = apply_now()  # outside any transaction: a rollback cannot undo it
        if read is not None:
            # The user's memberships, read with the scope (dossiers.members.request_memberships).
            request.portal_scope_memberships = (scope[1], read)  # type: ignore[attr-defined]
        handling = _in_request.set(True)
        try:
            response = self.get_response(request)
        except BaseException:
            activate(process_default())
            raise
        finally:
            _in_request.reset(handling)
        default = process_default()
        if response.streaming:
            response._resource_closers.append(lambda: activate(default))  # type: ignore[attr-defined]
        else:
            activate(default)
        return response


# --- Celery: every task runs under an explicit scope ------------------------------------------

#: Tasks that work on one record of a dossier, narrowed to that dossier once it is found: task
#: name -> a function from the task's first argument (an id) to the dossier's id, or None. The
#: apps register their own (``register_dossier_task``); this module names none of them.
_DOSSIER_TASKS: dict[str, tuple[str, Callable[[int], int | None]]] = {}


def register_dossier_task(
    name: str, dossier_of: Callable[[int], int | None], *, argument: str
) -> None:
    """Run the task ``name`` in the scope of the dossier ``dossier_of(id)``, the id being the
    task's keyword ``argument`` or else its first positional argument."""
    _DOSSIER_TASKS[name] = (argument, dossier_of)


#: Scopes to put back when tasks run inline (eagerly, inside a request) finish.
_task_stack: contextvars.ContextVar[tuple[tuple[str, Any], ...]] = contextvars.ContextVar(
    "portal_db_scope_tasks", default=()
)


def _task_started(
    sender: Any = None, task: Any = None, args: Any = None, kwargs: Any = None, **extra: Any
) -> None:
    _task_stack.set((*_task_stack.get(), current()))
    activate(SYSTEM)
    registered = _DOSSIER_TASKS.get(getattr(task, "name", ""))
    if registered is not None and _enabled():
        argument, dossier_of = registered
        record_id = (kwargs or {}).get(argument)
        if record_id is None and args:
            record_id = args[0]
        dossier_id = dossier_of(record_id) if isinstance(record_id, int) else None
        if dossier_id is not None:
            activate(for_dossiers(dossier_id))
    apply_now()


def _task_finished(**extra: Any) -> None:
    stack = _task_stack.get()
    _task_stack.set(stack[:-1])
    activate(stack[-1] if stack else process_default())


def _logged_in(sender: Any = None, request: Any = None, user: Any = None, **extra: Any) -> None:
    """The rest of a login's request acts as the user who just logged in (its redirect, the
    second factor's checks), not as the anonymous visitor it started as. Only inside a request
    (a test's ``force_login`` changes nothing)."""
    if _in_request.get():
        activate(for_user(user), fresh=True)


def _logged_out(**extra: Any) -> None:
    if _in_request.get():
        activate(NONE)


def connect_auth_signals() -> None:
    from django.contrib.auth.signals import user_logged_in, user_logged_out

    user_logged_in.connect(_logged_in, dispatch_uid="portal_db_scope_login", weak=False)
    user_logged_out.connect(_logged_out, dispatch_uid="portal_db_scope_logout", weak=False)


def connect_celery_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, dispatch_uid="portal_db_scope_prerun", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="portal_db_scope_postrun", weak=False)
