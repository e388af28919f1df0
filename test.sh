#!/usr/bin/env bash
# The project's test command: lint, the tests that need no Odoo (rules and the
# set-up scripts), then the addon's own suite in a real Odoo 19 on a fresh
# database. Ends with one line "N passed, N failed"; exits non-zero on any failure.
#
#   ./test.sh
#
# The first run without an installed Odoo 19 sets one up under .odoo/ (see README).
# Environment: ODOO_BIN (an installed odoo executable), ODOO_SOURCE (where a private
# Odoo comes from: directory, .tar.* archive or URL), ODOO_ARGS (extra Odoo options,
# e.g. "--db_host=localhost --db_user=odoo"), PGHOST/PGPORT/PGUSER (a PostgreSQL server),
# RECONQUETE_PG=private (a private PostgreSQL in .odoo/pgdata), REQUIRE_ODOO=1 (fail
# unless the whole Odoo suite ran, browser tour included: CI sets it), KEEP_TEST_DB=1.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
SECONDS=0
passed=0
failed=0
problems=()

step() { printf '\n== %s\n' "$*"; }
problem() { problems+=("$*"); echo "FAILED: $*"; }
finish() {
    printf '\n'
    for line in "${problems[@]}"; do echo "problem: $line"; done
    echo "$passed passed, $failed failed (${SECONDS} s)"
    [ $failed -eq 0 ] && [ ${#problems[@]} -eq 0 ]
    exit $?
}

# shellcheck source=tools/odoo_env.sh
source tools/odoo_env.sh
db=""
cleanup() {
    if [ -n "$db" ] && [ "${KEEP_TEST_DB:-0}" != 1 ]; then
        "${ODOO_CMD[@]}" db $(odoo_env_db_options) drop "$db" >/dev/null 2>&1 || true
    fi
    odoo_env_cleanup
}
trap cleanup EXIT

step "Lint tools"
if [ ! -x .venv-tools/bin/ruff ] || ! .venv-tools/bin/python -c 'import pylint_odoo' 2>/dev/null; then
    python3 -m venv .venv-tools && .venv-tools/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt ||
        problem "the lint tools could not be installed"
fi
echo "ruff $(.venv-tools/bin/ruff --version | cut -d' ' -f2), pylint-odoo $(.venv-tools/bin/pip show pylint-odoo | sed -n 's/^Version: //p')"

step "ruff"
{ .venv-tools/bin/ruff check . && .venv-tools/bin/ruff format --check .; } || problem "ruff"

step "pylint-odoo"
if .venv-tools/bin/pylint --rcfile=.pylintrc reconquete_client; then echo "pylint-odoo: no message"; else problem "pylint-odoo"; fi

step "Tests that need no Odoo: the rules and the set-up scripts"
unit_log=$(mktemp -t reconquete_unit_XXXX.log)
python3 -m unittest discover --start-directory tests 2>&1 | tee "$unit_log"
ran=$(sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' "$unit_log" | tail -n 1)
unit_failed=0
for count in $(grep -E "^FAILED \(" "$unit_log" | grep -oE "(failures|errors)=[0-9]+" | cut -d= -f2); do
    unit_failed=$((unit_failed + count))
done
unit_skipped=$(grep -E "^(OK|FAILED) \(" "$unit_log" | grep -oE "skipped=[0-9]+" | cut -d= -f2)
if [ -z "$ran" ]; then
    problem "the tests that need no Odoo did not run (log: $unit_log)"
else
    passed=$((passed + ran - ${unit_failed:-0} - ${unit_skipped:-0}))
    failed=$((failed + ${unit_failed:-0}))
fi

if [ "${ODOO_SUITE:-run}" = skip ]; then
    [ "${REQUIRE_ODOO:-0}" = 1 ] && problem "ODOO_SUITE=skip while REQUIRE_ODOO=1"
    echo "SKIPPED: the Odoo test suite (ODOO_SUITE=skip)."
    finish
fi

step "Odoo and PostgreSQL"
odoo_env_odoo
odoo_env_postgres

step "Odoo test suite"
db="reconquete_test_$(date +%Y%m%d_%H%M%S)_$$"
log=$(mktemp -t reconquete_test_XXXX.log)
echo "odoo -d $db -i reconquete_client --test-tags /reconquete_client --stop-after-init (log: $log)"
# shellcheck disable=SC2086 # ODOO_ARGS holds several options
"${ODOO_CMD[@]}" -d "$db" --addons-path="$ROOT" "${ODOO_DB_ARGS[@]}" -i reconquete_client \
    --test-tags /reconquete_client --stop-after-init --http-interface=127.0.0.1 --http-port="${ODOO_TEST_PORT:-8169}" \
    --log-level=test --log-handler=odoo.tests.result:INFO --log-handler=odoo.addons.reconquete_client.tests:INFO \
    ${ODOO_ARGS:-} >"$log" 2>&1
status=$?
grep -E "odoo\.tests\.(stats|result): .*(tests|failed)|(ERROR|CRITICAL) " "$log" | grep -v "Starting " || true
result=$(grep -oE "odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" | tail -n 1)
# Skips are logged at INFO by the test's own logger: "skipped TestClass.test_name : reason".
skipped_lines=$(grep -E " INFO .* skipped [A-Za-z0-9_.]+ : " "$log" | sed 's/.* skipped /skipped /')
odoo_skipped=$(grep -c . <<<"$skipped_lines")
if [ -z "$result" ]; then
    problem "the Odoo test suite did not run (exit $status); log: $log"
    tail -n 20 "$log"
else
    read -r odoo_failed odoo_errors odoo_ran < <(echo "$result" | grep -oE "[0-9]+" | paste -sd' ')
    passed=$((passed + odoo_ran - odoo_failed - odoo_errors - odoo_skipped))
    failed=$((failed + odoo_failed + odoo_errors))
    echo "Odoo suite: $odoo_ran tests, $odoo_failed failed, $odoo_errors error(s), $odoo_skipped skipped"
    [ $status -ne 0 ] && problem "Odoo exited with status $status (log: $log)"
    grep -qE " (ERROR|CRITICAL) " "$log" && [ $((odoo_failed + odoo_errors)) -eq 0 ] &&
        problem "the Odoo log has ERROR lines outside failed tests (log: $log)"
fi
step "Lifecycle checks: upgrade from the previous release, uninstall and reinstall"
for check in tools/check_upgrade.sh tools/check_uninstall.sh; do
    if "$check" 2>&1 | tail -n 25; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        problem "$check"
    fi
done

if [ "$odoo_skipped" -gt 0 ]; then
    echo "$skipped_lines"
    if [ "${REQUIRE_ODOO:-0}" = 1 ]; then
        problem "Odoo skipped $odoo_skipped test(s), the browser tour among them if Chromium is missing, while REQUIRE_ODOO=1"
    else
        echo "NOTE: Odoo skipped $odoo_skipped test(s): install Chromium to run the browser tour."
    fi
fi
finish
