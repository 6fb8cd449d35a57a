"""Route names of Connect messages, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in the messages tests."""

ROUTES: set[str] = set()
