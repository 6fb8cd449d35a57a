"""API v1 (DESIGN.md §4): ``views`` (the endpoints), ``urls`` (the routes), ``framework`` (the
error format, throttles and cursors every endpoint shares)."""
