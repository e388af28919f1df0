#!/usr/bin/env bash
# Run Odoo with the addon and its demo data, then open http://localhost:8069
# (login admin / admin).
#
#   ./run.sh            # database "reconquete_demo", created on first run
#
# Environment: ODOO_BIN (the odoo executable, else `odoo` on PATH),
# RECONQUETE_DB (database name), ODOO_ARGS (extra Odoo options), PORT,
# HTTP_INTERFACE (127.0.0.1; 0.0.0.0 to reach Odoo from another machine).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
# shellcheck source=tools/find_odoo.sh
source tools/find_odoo.sh
if [ ${#ODOO_CMD[@]} -eq 0 ]; then
    echo "Cannot run: $ODOO_MISSING_REASON. Install Odoo 19 (see DEVELOPERS.md)." >&2
    exit 1
fi
db="${RECONQUETE_DB:-reconquete_demo}"
init=()
if ! psql -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$db"; then
    echo "Creating database $db with the addon and its demo data..."
    init=(-i reconquete_client --with-demo)
fi
echo "Odoo on http://localhost:${PORT:-8069} (database $db, login admin / admin)"
# shellcheck disable=SC2086
exec "${ODOO_CMD[@]}" -d "$db" --addons-path="$ROOT" "${init[@]}" \
    --http-interface="${HTTP_INTERFACE:-127.0.0.1}" --http-port="${PORT:-8069}" --db-filter="^${db}\$" ${ODOO_ARGS:-}
