"""Route names of Connect tasks, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in the tasks tests."""

#: Route name -> which id it takes ("dossier" or "task").
KINDS: dict[str, str] = {
    "connect:tasks": "dossier",
    "connect:task_calendar": "dossier",
    "connect:task_create": "dossier",
    "connect:task_deadlines": "dossier",
    "connect:task": "task",
    "connect:task_done": "task",
    "connect:task_reopen": "task",
    "connect:task_delete": "task",
}
ROUTES: set[str] = set(KINDS)
