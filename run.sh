#!/usr/bin/env bash
# Run Odoo with the addon and its demo data, then open http://127.0.0.1:8069
# (login admin / admin). Ctrl-C stops it (and the private PostgreSQL, if any).
#
#   ./run.sh            # database "reconquete_demo", created on first run
#
# The first run without an installed Odoo 19 sets one up under .odoo/ (see README).
# Environment: ODOO_BIN, ODOO_SOURCE, ODOO_ARGS, PGHOST/PGPORT/PGUSER and
# RECONQUETE_PG=private as for ./test.sh; RECONQUETE_DB (database name), PORT,
# HTTP_INTERFACE (127.0.0.1; 0.0.0.0 to reach Odoo from another machine).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
# shellcheck source=tools/odoo_env.sh
source tools/odoo_env.sh
trap odoo_env_cleanup EXIT
odoo_env_odoo
odoo_env_postgres

db="${RECONQUETE_DB:-reconquete_demo}"
init=()
# shellcheck disable=SC2046 # one option per word
if ! python3 tools/odoo_env.py database-exists "$db" $(odoo_env_db_options); then
    echo "Creating database $db with the addon and its demo data (about a minute)..."
    init=(-i reconquete_client --with-demo)
fi
echo "Odoo on http://${HTTP_INTERFACE:-127.0.0.1}:${PORT:-8069} (database $db, login admin / admin); Ctrl-C stops it"
# Not exec: the EXIT trap must stop a private PostgreSQL after Odoo.
# shellcheck disable=SC2086 # ODOO_ARGS holds several options
"${ODOO_CMD[@]}" -d "$db" --addons-path="$ROOT" "${ODOO_DB_ARGS[@]}" "${init[@]}" \
    --http-interface="${HTTP_INTERFACE:-127.0.0.1}" --http-port="${PORT:-8069}" --db-filter="^${db}\$" ${ODOO_ARGS:-}
