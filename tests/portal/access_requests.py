"""Route names of Connect requests, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in the requests tests."""

ROUTES: set[str] = set()
