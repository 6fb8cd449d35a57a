"""Route names of Connect tasks, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in the tasks tests."""

ROUTES: set[str] = set()
