#!/bin/bash
# The application's login role (docker-compose.yml mounts this into docker-entrypoint-initdb.d,
# which runs it once, on an empty data directory; run it again by hand on an older volume:
# `docker compose exec postgres bash /docker-entrypoint-initdb.d/10-app-role.sh`).
# The role owns nothing, is no superuser and has no BYPASSRLS: row-level security applies to it.
# Its row access is granted by `manage.py db_app_role` in the `migrate` service, after migrate.
set -euo pipefail
: "${POSTGRES_APP_USER:?}" "${POSTGRES_APP_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=app_user="$POSTGRES_APP_USER" --set=app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format(
    'ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
    :'app_user', :'app_password'
) \gexec
SQL
