"""Route names of View (view dossier), for tests/portal/test_access_routes.py (every route needs
a rule); the access tests of these routes are with the view dossier tests."""

ROUTES: set[str] = {"portal:view_dossier"}
