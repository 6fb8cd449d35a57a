"""Route names of View (view firm), for tests/portal/test_access_routes.py (every route needs
a rule); the access tests of these routes are with the view firm tests."""

ROUTES: set[str] = set()
