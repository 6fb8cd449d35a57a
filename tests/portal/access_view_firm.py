"""Route names of View (view firm), for tests/portal/test_access_routes.py (every route needs
a rule); the access tests of these routes are in tests/view/test_view_firm.py and
tests/view/test_view_reports.py."""

#: Route name -> which id it takes ("own": none, the actor's own dashboard).
KINDS: dict[str, str] = {
    "portal:view_firm": "own",
    "portal:view_reports": "dossier",
    "portal:view_firm_reports": "firm",
}
ROUTES: set[str] = set(KINDS)
