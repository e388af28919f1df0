#!/usr/bin/env bash
# Upgrade check: install the last 1.x release of the addon (from git) with its demo
# data and more (a second company, a snooze, an exclusion, overrides, done and open
# activities), upgrade to the working tree, and compare every client's stage,
# figures, history, reconquests and activities before and after. Run by ./test.sh;
# exits non-zero on any difference or ERROR line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=tools/odoo_env.sh
source tools/odoo_env.sh
odoo_env_check_database reconquete_upgrade  # sets $work and $db, cleaned up on exit

# The newest commit whose manifest still says 19.0.1: the release users upgrade from.
base=""
for commit in $(git rev-list HEAD); do
    if git show "$commit:reconquete_client/__manifest__.py" | grep -q '"version": "19.0.1'; then
        base=$commit
        break
    fi
done
[ -n "$base" ] || { echo "upgrade check: no 19.0.1 release in the git history"; exit 1; }
git archive "$base" reconquete_client | tar -x -C "$work"
echo "upgrade check: from $(git log -1 --format='%h %s' "$base") to the working tree (database $db, files in $work)"

odoo() { # odoo [shell] ADDONS_DIR ARGS...: Odoo on the check's database
    local command=()
    if [ "$1" = shell ]; then
        command=(shell)
        shift
    fi
    local addons=$1
    shift
    # shellcheck disable=SC2086
    "${ODOO_CMD[@]}" "${command[@]}" -d "$db" --addons-path="$addons" "${ODOO_DB_ARGS[@]}" \
        --http-interface=127.0.0.1 --http-port="${ODOO_TEST_PORT:-8169}" ${ODOO_ARGS:-} "$@"
}
shell() { # shell ADDONS_DIR PYTHON
    odoo shell "$1" --log-level=warn <<<"exec(open('$ROOT/tools/check_upgrade.py').read()); $2" >>"$work/shell.log" 2>&1
}

odoo "$work" -i reconquete_client --with-demo --stop-after-init --log-level=warn >"$work/install.log" 2>&1
shell "$work" "prepare_v1(env); dump(env, 'v1', '$work/v1.json')"
odoo "$ROOT" -u reconquete_client --stop-after-init --log-level=info >"$work/upgrade.log" 2>&1
if grep -E " (ERROR|CRITICAL) " "$work/upgrade.log"; then
    echo "upgrade check: FAILED, the upgrade logged errors ($work/upgrade.log)"
    exit 1
fi
shell "$ROOT" "dump(env, 'v2', '$work/v2.json')"
python3 - "$work/v1.json" "$work/v2.json" <<'PY'
import json
import sys

before, after = (json.load(open(path)) for path in sys.argv[1:3])
problems = []
for part in ("files", "history", "reconquests", "activities"):
    if before[part] != after[part]:
        if part == "files":
            for key in sorted(before[part].keys() | after[part].keys()):
                if before[part].get(key) != after[part].get(key):
                    problems.append(f"file {key}: 1.0 {before[part].get(key)} / 2.0 {after[part].get(key)}")
        else:
            problems.append(f"{part}: 1.0 {before[part]} / 2.0 {after[part]}")
counts = ", ".join(f"{len(before[part])} {part}" for part in ("files", "history", "reconquests", "activities"))
if problems:
    print("upgrade check: FAILED\n" + "\n".join(problems[:20]))
    sys.exit(1)
print(f"upgrade check: passed, {counts} identical before and after the upgrade")
PY
