"""Route names of Connect payments, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in the payments tests."""

ROUTES: set[str] = set()
