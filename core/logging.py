"""Structured logs: one JSON object per line (``LOG_FORMAT=json``, production's default) or one
plain line (``LOG_FORMAT=plain``, ``make run``), both carrying the request id.

The request id lives in a context variable set by ``portal.middleware.RequestIdMiddleware``;
``RequestContextFilter`` (on the console handler) copies it onto every record, whatever logger
wrote it. A task enqueued during a request carries the id in a message header
(``portal_request_id``) and the worker puts it back, with the task's own id, while the task
runs. Settings' ``LOGGING`` names this module, so it is imported, and the Celery signals below
connected, in every process that configures logging (web, worker, beat, commands)."""

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

#: The id of the request being handled (or of the request that enqueued the running task).
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "portal_request_id", default=None
)
#: The running Celery task: (task id, task name).
task_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "portal_task", default=None
)

#: Message header that carries the enqueuing request's id to the worker.
TASK_HEADER = "portal_request_id"

#: Attributes a record may carry (``extra=``) that the JSON line keeps, in this order.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "task_id", "task_name")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


#: URL parameters whose values are secrets (invitation and password-reset links): never logged.
SECRET_URL_KWARGS = ("token", "key", "uidb36")


def masked_path(request: Any) -> str:
    """The request's path with the values of secret URL parameters replaced by "…"."""
    path = str(request.path)
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_KWARGS:
            value = match.kwargs.get(name)
            if value:
                path = path.replace(str(value), "…")
    return path


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request), ``task_id`` and ``task_name`` to every
    record that does not carry them already, and masks secret URL parts in the path Django
    logs for 4xx/5xx answers ("Gone: /invitation/…/")."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            path = getattr(request, "path", None)
            record.args = tuple(
                masked_path(request) if arg == path and path else arg for arg in record.args
            )
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        task = task_var.get()
        if task is not None:
            if not getattr(record, "task_id", None):
                record.task_id = task[0]
            if not getattr(record, "task_name", None):
                record.task_name = task[1]
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id,
    the request or task fields when present, and the exception's traceback when there is one.
    Other ``extra=`` values are kept under ``extra`` when JSON can hold them."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        extra = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _STANDARD
            and key not in line
            and isinstance(value, str | int | float | bool)
        }
        if extra:
            line["extra"] = extra
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _request_id(record: logging.LogRecord) -> str | None:
    value = getattr(record, "request_id", None)
    if value is None:
        return request_id_var.get()
    return None if value == "-" else str(value)


# --- Celery: the request id travels with the task ---------------------------------------------


def _on_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


#: What to put back when a task ends: task id -> context variable tokens.
_tokens: dict[str, tuple[contextvars.Token[Any], contextvars.Token[Any] | None]] = {}


def _on_task_start(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    # A task run inline keeps the id of the request it runs in.
    carried = None if getattr(request, "is_eager", False) else getattr(request, TASK_HEADER, None)
    request_token = request_id_var.set(str(carried)[:128]) if carried else None
    _tokens[task_id] = (task_var.set((task_id, getattr(task, "name", ""))), request_token)


def _on_task_end(task_id: str = "", **kwargs: Any) -> None:
    tokens = _tokens.pop(task_id, None)
    if tokens is None:
        return
    task_token, request_token = tokens
    task_var.reset(task_token)
    if request_token is not None:
        request_id_var.reset(request_token)


before_task_publish.connect(_on_publish, dispatch_uid="portal_log_publish", weak=False)
task_prerun.connect(_on_task_start, dispatch_uid="portal_log_task_start", weak=False)
task_postrun.connect(_on_task_end, dispatch_uid="portal_log_task_end", weak=False)
