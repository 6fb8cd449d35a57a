"""Route names of Connect payments, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in tests/connect/payments/test_payments.py."""

ROUTES: set[str] = {
    "connect:payments",  # dossier: the client pays; the accountant sees the files made
    "connect:paying_accounts",  # dossier: the client adds accounts; the accountant reads
    "connect:payment_batch",  # batch: either Connect role on its dossier
    "connect:payment_download",  # batch: either Connect role on its dossier
}
