"""Route names of View (view dossier), for tests/portal/test_access_routes.py (every route needs
a rule); the access tests of these routes are with the view dossier tests
(tests/view/test_view_dashboard.py: anonymous, a neighbour, a Connect-only entrepreneur, the
licence admin, another firm's staff, a deactivated member and a removed role all get 404)."""

ROUTES: set[str] = {
    "portal:view_dossier",
    "portal:view_dossier_data",
    "portal:view_dossier_csv",
}
