"""Route names of Connect requests, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in the requests tests."""

ROUTES: set[str] = {
    "connect:request_list",
    "connect:request_create",
    "connect:request_detail",
    "connect:request_upload",
    "connect:request_accept",
    "connect:request_more_needed",
}
