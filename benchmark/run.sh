#!/usr/bin/env bash
# Performance benchmark of reconquete_client: one run, one results table.
#
#   ./benchmark/run.sh tiny     # 2k clients, about 3 minutes: a smoke test
#   ./benchmark/run.sh S        # 100k clients, about 2M orders
#   ./benchmark/run.sh M        # 1M clients, about 20M orders (needs hours and ~40 GB of disk)
#
# Writes the table to stdout and to benchmark/results/<size>.md (the figures of
# each step stay in benchmark/results/<size>.tmp/, not committed).
#
# Environment:
#   ODOO_BIN        the odoo executable (else `odoo` or `odoo-bin` on PATH, else the
#                   private Odoo of ./test.sh under .odoo/, see README)
#   ODOO_ARGS       extra Odoo options, e.g. "--db_host=127.0.0.1 --db_user=odoo"
#                   (psql and createdb read the usual PGHOST/PGUSER/... variables)
#   NAIVE_CLIENTS   clients measured by the naive ORM loop (default 1000)
#   DAILY_SHARE     share of clients with a new purchase in the daily run (default 0.01)
#   ACTIVITIES_K    clients entering "To Win Back" for the activity step (default 1000)
#   REPLAY_CHECK_CLIENTS  clients whose replayed history is checked day by day (default 1000)
#   ADDON_REV       measure the addon as committed at this git revision (e.g. HEAD);
#                   default: the working tree as it is when the run starts
#   RESULTS_NAME    name of the results file (default: <size>, giving results/<size>.md)
#   REGENERATE=1    generate the history again even if a cached one exists
#   KEEP_DB=1       keep the measured databases reconquete_bench_<size> and
#                   reconquete_bench_upgrade_<size> afterwards
set -euo pipefail

size="${1:-tiny}"
case "$size" in
    tiny | S | M) ;;
    *)
        echo "usage: $0 [tiny|S|M]" >&2
        exit 2
        ;;
esac
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH="$ROOT/benchmark"
# shellcheck source=tools/odoo_env.sh
source tools/odoo_env.sh
odoo_env_odoo  # an installed Odoo 19, else the private one of ./test.sh
for tool in psql python3; do
    command -v "$tool" >/dev/null || {
        echo "Cannot run the benchmark: '$tool' is not on PATH." >&2
        exit 1
    }
done

lower=$(printf '%s' "$size" | tr '[:upper:]' '[:lower:]')
base_db=reconquete_bench_base        # sale_management + contacts, no history (kept: cheap to reuse)
data_db="reconquete_bench_data_$lower" # + the generated history, without the addon (kept: slow to build)
run_db="reconquete_bench_$lower"      # copy of data_db where the addon is installed and measured
upgrade_db="reconquete_bench_upgrade_$lower" # copy of data_db with the 19.0.1 release, upgraded to the measured addon
empty_db=reconquete_bench_empty       # copy of base_db: the install's fixed cost
name="${RESULTS_NAME:-$size}"
results="$BENCH/results/$name.tmp"
output="$BENCH/results/$name.md"
rm -rf "$results"
mkdir -p "$results"

# Every step of one run uses the same code: a snapshot of the addon, taken now
# (the working tree may be edited while a long run goes on).
addons_dir="$results/addon"
mkdir -p "$addons_dir"
head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "unknown")
if [ -n "${ADDON_REV:-}" ]; then
    rev=$(git -C "$ROOT" rev-parse --short "$ADDON_REV")
    git -C "$ROOT" archive "$rev" reconquete_client | tar -x -C "$addons_dir"
    addon_source="git revision $rev"
else
    cp -r "$ROOT/reconquete_client" "$addons_dir/"
    changed=$(git -C "$ROOT" status --porcelain -- reconquete_client 2>/dev/null | wc -l)
    if [ "$changed" -eq 0 ]; then
        addon_source="working tree, identical to HEAD $head"
    else
        addon_source="working tree: HEAD $head + uncommitted changes ($changed paths in git status)"
    fi
fi
find "$addons_dir" -name __pycache__ -prune -exec rm -rf {} +
addon_hash=$(cd "$addons_dir" && find reconquete_client -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
python3 -c 'import json, sys; json.dump({"source": sys.argv[1], "content_sha256": sys.argv[2]}, open(sys.argv[3], "w"))' \
    "$addon_source" "$addon_hash" "$results/addon.json"

run_started=$(date +%s)
phase_started=""
phase() { # print how long the previous phase took, then the new phase's title
    local now
    now=$(date +%s)
    [ -z "$phase_started" ] || printf '   (took %s s)\n' "$((now - phase_started))"
    phase_started=$now
    printf '\n== %s  [%s]\n' "$*" "$(date -u +%H:%M:%S)"
}

sql() { # sql DB: run the SQL given on stdin, psql variables from -v
    psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}
db_exists() {
    sql -d postgres -v name="$1" <<<"SELECT 1 FROM pg_database WHERE datname = :'name'" | grep -q 1
}
drop_db() {
    sql -d postgres -v name="$1" <<<'DROP DATABASE IF EXISTS :"name" WITH (FORCE)'
}
copy_db() { # copy_db TEMPLATE NEW: a file copy, much faster than replaying WAL for a big database
    drop_db "$2"
    sql -d postgres -v template="$1" -v name="$2" <<<'CREATE DATABASE :"name" TEMPLATE :"template" STRATEGY FILE_COPY'
}
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
timed() { # timed FILE COMMAND...: wall seconds and peak RSS (KiB) of COMMAND into FILE
    local file=$1
    shift
    python3 - "$file" "$@" <<'PY'
import resource, subprocess, sys, time

started = time.perf_counter()
status = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
# the odoo wrapper execs Python: the largest child is the Odoo process itself
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as out:
    out.write(f"{seconds:.3f} {peak_kib}\n")
sys.exit(status)
PY
}
settle() { # settle DB: what a production server does between two steps, done now so that the next step does not pay for it
    # Autovacuum would have vacuumed and analysed what the previous step wrote by the next night; on a server
    # with it off (the benchmark machine's), every later step would read tables never analysed and full of
    # dead rows (the nightly pass took 15% to 20% longer). Then a checkpoint writes the dirty pages out. Both
    # need a superuser (or the tables' owner, and pg_checkpoint): without them, steps still run (noisier figures).
    sql -d "$1" <<<"VACUUM ANALYZE" 2>/dev/null || true
    sql -d "$1" <<<"CHECKPOINT" 2>/dev/null || true
}
odoo_step() { # odoo_step DB MODULE ARGS...: MODULE.main(env, ARGS) in its own `odoo shell` process
    odoo_step_with "$addons_dir" "$@"
}
odoo_step_with() { # odoo_step_with ADDONS_DIR DB MODULE ARGS...: the same with another copy of the addon
    local addons=$1 db=$2 module=$3
    shift 3
    settle "$db"
    # shellcheck disable=SC2086
    BENCH_DIR="$BENCH" BENCH_MODULE="$module" BENCH_ARGS="$*" "${ODOO_CMD[@]}" shell -d "$db" \
        --addons-path="$addons" --log-level=warn --http-interface=127.0.0.1 --http-port="$(free_port)" ${ODOO_ARGS:-} <<'PY'
import importlib, os, shlex, sys

sys.path.insert(0, os.environ["BENCH_DIR"])
importlib.import_module(os.environ["BENCH_MODULE"]).main(env, shlex.split(os.environ["BENCH_ARGS"]))
PY
}
install_addon() { # install_addon DB LABEL: time `odoo -i reconquete_client`, then count what it filled
    local db=$1 label=$2 log="$results/$2.log"
    settle "$db"
    # shellcheck disable=SC2086
    if ! timed "$results/$label.time" "${ODOO_CMD[@]}" -d "$db" --addons-path="$addons_dir" -i reconquete_client \
        --stop-after-init --http-interface=127.0.0.1 --http-port="$(free_port)" --log-level=warn ${ODOO_ARGS:-} >"$log" 2>&1; then
        cat "$log" >&2
        echo "Installing the addon on $db failed (log: $log)" >&2
        exit 1
    fi
    read -r seconds peak_kib <"$results/$label.time"
    odoo_step "$db" steps install-result "$results" "$label" "$seconds" "$peak_kib"
}

echo "Benchmark of reconquete_client, size $size, with ${ODOO_CMD[*]} ($("${ODOO_CMD[@]}" --version))"
echo "Addon measured: $addon_source (content sha256 $addon_hash), snapshot in $addons_dir"
df -h "$BENCH" | tail -1 | awk '{print "Disk: " $4 " free on " $6}'

phase "Base database $base_db (sale_management, contacts)"
if db_exists "$base_db"; then
    echo "reusing $base_db"
else
    # shellcheck disable=SC2086
    "${ODOO_CMD[@]}" -d "$base_db" -i sale_management,contacts --stop-after-init --http-interface=127.0.0.1 --http-port="$(free_port)" \
        --log-level=warn ${ODOO_ARGS:-}
fi

phase "History $data_db"
version=$(sed -n 's/^GENERATOR_VERSION = "\(.*\)"/\1/p' "$BENCH/generate.py")
cached=""
if [ "${REGENERATE:-0}" != 1 ] && db_exists "$data_db"; then
    cached=$(sql -d "$data_db" <<<"SELECT value FROM bench_meta WHERE key = 'version'" 2>/dev/null || true)
fi
if [ -n "$cached" ] && [ "$cached" = "$version" ]; then
    echo "reusing the history generated earlier in $data_db (REGENERATE=1 to build it again)"
else
    copy_db "$base_db" "$data_db"
    odoo_step "$data_db" generate "$size"
fi
# A production database is vacuumed and analysed; cheap when already done.
sql -d "$data_db" <<<"VACUUM ANALYZE"
odoo_step "$data_db" steps facts "$results"

phase "Install on a database without history (fixed cost)"
copy_db "$base_db" "$empty_db"
install_addon "$empty_db" install_empty
drop_db "$empty_db"

phase "Install on the history (the install hook asks the scheduled action for the first analysis)"
copy_db "$data_db" "$run_db"
install_addon "$run_db" install_history

phase "First analysis of every client, by the scheduled action right after the install"
odoo_step "$run_db" steps cron "$results" first_analysis first

phase "Full recompute"
odoo_step "$run_db" steps prepare-full "$results"
odoo_step "$run_db" steps analyse "$results" full

phase "Re-run the same day, nothing changed"
odoo_step "$run_db" steps analyse "$results" rerun

phase "Replay of the stage history over the analysis window, the same replay again, the floor of its writes"
odoo_step "$run_db" steps replay "$results" replay
odoo_step "$run_db" steps replay "$results" replay_rerun
odoo_step "$run_db" steps replay-write-floor "$results"

phase "Calibration of the alert threshold (every candidate factor, every company)"
odoo_step "$run_db" steps calibration "$results"

phase "Replayed history of ${REPLAY_CHECK_CLIENTS:-1000} clients against the naive day-by-day replay"
odoo_step "$run_db" steps replay-check "$results" "${REPLAY_CHECK_CLIENTS:-1000}"

phase "Diagnostic: the addon's aggregation query, batched vs in one query (read only)"
odoo_step "$run_db" steps batch-probe "$results"

phase "Raw single SQL pass (the floor), compared with the addon"
odoo_step "$run_db" steps floor "$results" floor

phase "Naive ORM per-client loop on ${NAIVE_CLIENTS:-1000} clients, compared with the addon"
odoo_step "$run_db" steps naive "$results" "${NAIVE_CLIENTS:-1000}"

phase "Nightly scheduled action, daily pass, nobody bought"
odoo_step "$run_db" steps cron "$results" daily_quiet daily

phase "Nightly scheduled action, daily pass: ${DAILY_SHARE:-0.01} of the clients bought today"
odoo_step "$run_db" steps prepare-daily "$results" "${DAILY_SHARE:-0.01}"
odoo_step "$run_db" steps cron "$results" daily daily
odoo_step "$run_db" steps floor "$results" floor_after_daily

phase "Nightly scheduled action, full pass (restarted analysis, commit per batch)"
odoo_step "$run_db" steps cron "$results" cron full

phase "Activity creation for ${ACTIVITIES_K:-1000} clients entering To Win Back"
odoo_step "$run_db" steps activities "$results" "${ACTIVITIES_K:-1000}"

phase "The board as the administrator: column query, progress bars, first cards (read only)"
odoo_step "$run_db" steps board "$results"

phase "The managers' reports as the administrator: indicators, bathtub, win-back analysis (read only)"
odoo_step "$run_db" steps reports "$results"

phase "Upgrade from the 19.0.1 release on the history"
# The newest commit whose manifest still says 19.0.1: the release users upgrade from
# (as tools/check_upgrade.sh finds it).
release=""
for commit in $(git -C "$ROOT" rev-list HEAD); do
    manifest=$(git -C "$ROOT" show "$commit:reconquete_client/__manifest__.py" 2>/dev/null || true)
    if [[ $manifest == *'"version": "19.0.1'* ]]; then
        release=$commit
        break
    fi
done
if [ -z "$release" ]; then
    echo "no 19.0.1 release in the git history: upgrade not measured"
else
    release_dir="$results/addon_19.0.1"
    mkdir -p "$release_dir"
    git -C "$ROOT" archive "$release" reconquete_client | tar -x -C "$release_dir"
    echo "from $(git -C "$ROOT" log -1 --format='%h %s' "$release")"
    copy_db "$data_db" "$upgrade_db"
    # shellcheck disable=SC2086
    if ! "${ODOO_CMD[@]}" -d "$upgrade_db" --addons-path="$release_dir" -i reconquete_client --stop-after-init \
        --http-interface=127.0.0.1 --http-port="$(free_port)" --log-level=warn ${ODOO_ARGS:-} \
        >"$results/install_19.0.1.log" 2>&1; then
        cat "$results/install_19.0.1.log" >&2
        echo "Installing the 19.0.1 release on $upgrade_db failed" >&2
        exit 1
    fi
    odoo_step_with "$release_dir" "$upgrade_db" steps upgrade-source "$results" "$(git -C "$ROOT" rev-parse --short "$release")"
    settle "$upgrade_db"
    log="$results/upgrade.log"
    # At info level the log keeps what the migration says it moved, and how long each part took.
    # shellcheck disable=SC2086
    if ! timed "$results/upgrade.time" "${ODOO_CMD[@]}" -d "$upgrade_db" --addons-path="$addons_dir" -u reconquete_client \
        --stop-after-init --http-interface=127.0.0.1 --http-port="$(free_port)" --log-level=info ${ODOO_ARGS:-} >"$log" 2>&1; then
        cat "$log" >&2
        echo "Upgrading $upgrade_db failed (log: $log)" >&2
        exit 1
    fi
    read -r seconds peak_kib <"$results/upgrade.time"
    errors=$(grep -cE " (ERROR|CRITICAL) " "$log" || true)
    odoo_step "$upgrade_db" steps upgrade-result "$results" "$seconds" "$peak_kib" "$errors"
fi

phase "Report"
odoo_step "$run_db" steps report "$results" "$size" "$output"
if [ "${KEEP_DB:-0}" != 1 ]; then
    drop_db "$run_db"
    drop_db "$upgrade_db"
fi
phase "Done in $(($(date +%s) - run_started)) s; table in $output"
