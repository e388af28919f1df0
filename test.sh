#!/usr/bin/env bash
# The project's test command: lint, the tests that need no Odoo, then the
# addon's own suite in a real Odoo 19 on a fresh database.
#
#   ./test.sh
#
# Environment: ODOO_BIN (the odoo executable, else `odoo` on PATH),
# ODOO_ARGS (extra Odoo options, e.g. "--db_host=localhost --db_user=odoo"),
# KEEP_TEST_DB=1 (keep the test database for inspection).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

step() { printf '\n== %s\n' "$*"; }

step "Lint tools"
if [ ! -x .venv-tools/bin/ruff ] || ! .venv-tools/bin/python -c 'import pylint_odoo' 2>/dev/null; then
    python3 -m venv .venv-tools
    .venv-tools/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
fi
echo "ruff $(.venv-tools/bin/ruff --version | cut -d' ' -f2), pylint-odoo $(.venv-tools/bin/pip show pylint-odoo | sed -n 's/^Version: //p')"

step "ruff"
.venv-tools/bin/ruff check .
.venv-tools/bin/ruff format --check .

step "pylint-odoo"
.venv-tools/bin/pylint --rcfile=.pylintrc reconquete_client
echo "pylint-odoo: no message"

step "Tests that need no Odoo"
python3 -m unittest discover --start-directory tests

step "Odoo test suite"
# shellcheck source=tools/find_odoo.sh
source tools/find_odoo.sh
if [ ${#ODOO_CMD[@]} -eq 0 ]; then
    echo "SKIPPED: the Odoo test suite did not run: $ODOO_MISSING_REASON."
    echo "Install Odoo 19 (see DEVELOPERS.md) and run ./test.sh again to run it."
    exit 0
fi

db="reconquete_test_$(date +%Y%m%d_%H%M%S)_$$"
log=$(mktemp -t reconquete_test_XXXX.log)
cleanup() {
    if [ "${KEEP_TEST_DB:-0}" != 1 ]; then
        "${ODOO_CMD[@]}" db drop "$db" >/dev/null 2>&1 || dropdb --if-exists "$db" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
# shellcheck disable=SC2086
echo "${ODOO_CMD[*]} -d $db -i reconquete_client --test-tags /reconquete_client --stop-after-init"
set +e
"${ODOO_CMD[@]}" -d "$db" --addons-path="$ROOT" -i reconquete_client \
    --test-tags /reconquete_client --stop-after-init --http-interface=127.0.0.1 --http-port="${ODOO_TEST_PORT:-8169}" \
    --log-level=test ${ODOO_ARGS:-} >"$log" 2>&1
status=$?
set -e
grep -E "odoo\.tests\.(stats|result)|(ERROR|CRITICAL) " "$log" || true
if [ $status -ne 0 ] || grep -qE " (ERROR|CRITICAL) " "$log" || ! grep -q "odoo.tests.result: 0 failed, 0 error(s)" "$log"; then
    echo "FAILED: the Odoo test suite (exit $status); full log: $log"
    exit 1
fi
skipped_browser=$(grep -oE "(websocket-client module is not installed|Chrome executable not found|Chrome not found)" "$log" | head -n 1 || true)
if [ -n "$skipped_browser" ]; then
    echo "NOTE: Odoo skipped the browser test (tour): $skipped_browser."
    echo "      Install Chromium and the websocket-client package in Odoo's Python to run it."
fi
echo "Odoo test suite passed (log: $log)"
