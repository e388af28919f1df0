# Sourced by test.sh and run.sh: find Odoo 19 and PostgreSQL, or set up private ones.
#
#   odoo_env_odoo       sets ODOO_CMD (an array): ODOO_BIN, else `odoo`/`odoo-bin` on
#                       PATH if it is Odoo 19, else the private Odoo under .odoo/odoo,
#                       set up from ODOO_SOURCE (directory, .tar.* archive or URL).
#   odoo_env_postgres   sets ODOO_DB_ARGS (an array): the server named by PGHOST/PGPORT/
#                       PGUSER or by --db_* options in ODOO_ARGS (it must answer), else
#                       a local server, else a private one (RECONQUETE_PG=private forces it).
#   odoo_env_db_options prints the database options of both, for `odoo db`.
#   odoo_env_cleanup    stops the private PostgreSQL if this script started it; call it
#                       from the caller's EXIT trap.
#   odoo_env_check_database PREFIX  both of the above for a lifecycle check: sets $work
#                       and $db, dropped (and the private server stopped) on exit.
#
# Both print one line saying what is used. Errors stop the caller (exit 1).

ODOO_ENV_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/odoo_env.py"
ODOO_ENV_PG_STARTED=0
ODOO_CMD=()
ODOO_DB_ARGS=()

odoo_env_odoo() {
    ODOO_CMD=()
    local candidate version
    if [ -n "${ODOO_BIN:-}" ]; then
        if ! [ -x "$ODOO_BIN" ] && ! command -v "$ODOO_BIN" >/dev/null 2>&1; then
            echo "ODOO_BIN is set to '$ODOO_BIN', which is not an executable." >&2
            exit 1
        fi
        version=$("$ODOO_BIN" --version 2>/dev/null || true)
        case "$version" in
            *" 19.0"*) ODOO_CMD=("$ODOO_BIN") ;;
            *) echo "ODOO_BIN '$ODOO_BIN' is not Odoo 19 (it says: ${version:-nothing})." >&2; exit 1 ;;
        esac
    else
        for candidate in odoo odoo-bin; do
            command -v "$candidate" >/dev/null 2>&1 || continue
            version=$("$candidate" --version 2>/dev/null || true)
            case "$version" in
                *" 19.0"*) ODOO_CMD=("$candidate"); break ;;
                *) echo "Found '$candidate' on PATH, but it is not Odoo 19 (${version:-no version}): using a private Odoo." ;;
            esac
        done
    fi
    if [ ${#ODOO_CMD[@]} -eq 0 ]; then
        local launcher
        launcher=$(python3 "$ODOO_ENV_PY" odoo) || exit 1
        ODOO_CMD=("$launcher")
        version=$("$launcher" --version 2>/dev/null || true)
    fi
    echo "Odoo: ${ODOO_CMD[*]} (${version:-unknown version})"
}

odoo_env_postgres() {
    ODOO_DB_ARGS=()
    local found lines
    # shellcheck disable=SC2086 # ODOO_ARGS holds several options
    found=$(python3 "$ODOO_ENV_PY" postgres-find ${ODOO_ARGS:-}) || exit 1
    mapfile -t lines <<<"$found"
    if [ "${lines[0]}" = private ]; then
        local started reason="${lines[1]}"
        # Stop it however the caller ends (Ctrl-C and errors included).
        trap 'exit 130' INT
        trap 'exit 143' TERM
        started=$(python3 "$ODOO_ENV_PY" postgres-start) || exit 1
        mapfile -t lines <<<"$started"
        [ "${lines[0]}" = started ] && ODOO_ENV_PG_STARTED=1
        ODOO_DB_ARGS=("${lines[@]:1}")
        echo "PostgreSQL: private server in .odoo/pgdata, ${lines[0]} ($reason)"
    else
        [ -n "${lines[2]:-}" ] && ODOO_DB_ARGS=("${lines[@]:2}")
        echo "PostgreSQL: ${lines[1]}"
    fi
}

# The database options of ODOO_DB_ARGS and ODOO_ARGS, one per word (for `odoo db`).
odoo_env_db_options() {
    local option keep=0
    # shellcheck disable=SC2086
    for option in "${ODOO_DB_ARGS[@]}" ${ODOO_ARGS:-}; do
        if [ $keep = 1 ]; then echo "$option"; keep=0; continue; fi
        case "$option" in
            --db_*=* | --pg_path=*) echo "$option" ;;
            --db_* | -r | -w | --pg_path) echo "$option"; keep=1 ;;
        esac
    done
}

odoo_env_cleanup() {
    if [ "$ODOO_ENV_PG_STARTED" = 1 ]; then
        python3 "$ODOO_ENV_PY" postgres-stop
        ODOO_ENV_PG_STARTED=0
        echo "PostgreSQL: private server stopped"
    fi
}

# For the lifecycle checks (tools/check_*.sh): Odoo and PostgreSQL found or
# started, a scratch directory $work and a database $db named after PREFIX, the
# database dropped and a private server stopped when the script exits.
odoo_env_check_database() { # odoo_env_check_database PREFIX
    work=$(mktemp -d -t "$1_XXXX")
    db="$1_$$"
    trap 'odoo_env_drop_check_database' EXIT
    odoo_env_odoo >/dev/null
    odoo_env_postgres >/dev/null
}

odoo_env_drop_check_database() {
    # shellcheck disable=SC2046  # one option per word
    "${ODOO_CMD[@]}" db $(odoo_env_db_options) drop "$db" >/dev/null 2>&1 || true
    odoo_env_cleanup >/dev/null
}
