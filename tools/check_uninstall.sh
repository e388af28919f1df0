#!/usr/bin/env bash
# Uninstall check: install the addon with its demo data, run a night, close one
# activity, uninstall, check nothing is left behind, reinstall, check it starts
# clean. Run by ./test.sh; fails on any leftover or ERROR line in the logs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=tools/odoo_env.sh
source tools/odoo_env.sh
odoo_env_check_database reconquete_uninstall  # sets $work and $db, cleaned up on exit

odoo() { # odoo [shell] ARGS...: Odoo on the check's database, log in $work/odoo.log
    local command=()
    if [ "$1" = shell ]; then
        command=(shell)
        shift
    fi
    # shellcheck disable=SC2086
    "${ODOO_CMD[@]}" "${command[@]}" -d "$db" --addons-path="$ROOT" "${ODOO_DB_ARGS[@]}" \
        --http-interface=127.0.0.1 --http-port="${ODOO_TEST_PORT:-8169}" --log-level=warn ${ODOO_ARGS:-} "$@" \
        2>&1 | tee -a "$work/odoo.log"
}
step() { # step PYTHON: one step of check_uninstall.py
    odoo shell <<<"exec(open('$ROOT/tools/check_uninstall.py').read()); $1" | grep -E "^check:|Error|error" || true
}

odoo -i reconquete_client --with-demo --stop-after-init >/dev/null
step "before(env)"
step "uninstall(env)"
step "after_uninstall(env)"
odoo -i reconquete_client --stop-after-init >/dev/null
step "after_reinstall(env)"
if grep -E " (ERROR|CRITICAL) |Traceback|AssertionError" "$work/odoo.log"; then
    echo "uninstall check: FAILED ($work/odoo.log)"
    exit 1
fi
[ "$(grep -c '^check:' "$work/odoo.log")" -eq 3 ] || { echo "uninstall check: FAILED, a step did not finish ($work/odoo.log)"; exit 1; }
echo "uninstall check: passed, uninstall and reinstall without one ERROR line"
