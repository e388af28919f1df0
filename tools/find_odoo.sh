# Sourced by test.sh and run.sh: find an installed Odoo 19.
# Sets ODOO_CMD (an array) or leaves it empty, and ODOO_MISSING_REASON.
#   ODOO_BIN   path to the odoo (or odoo-bin) executable; otherwise `odoo` or
#              `odoo-bin` on PATH is used.
ODOO_CMD=()
ODOO_MISSING_REASON=""
if [ -n "${ODOO_BIN:-}" ]; then
    if [ -x "$ODOO_BIN" ] || command -v "$ODOO_BIN" >/dev/null 2>&1; then
        ODOO_CMD=("$ODOO_BIN")
    else
        ODOO_MISSING_REASON="ODOO_BIN is set to '$ODOO_BIN', which is not an executable"
    fi
elif command -v odoo >/dev/null 2>&1; then
    ODOO_CMD=(odoo)
elif command -v odoo-bin >/dev/null 2>&1; then
    ODOO_CMD=(odoo-bin)
else
    ODOO_MISSING_REASON="no 'odoo' or 'odoo-bin' on PATH and ODOO_BIN is not set"
fi
if [ ${#ODOO_CMD[@]} -gt 0 ]; then
    version=$("${ODOO_CMD[@]}" --version 2>/dev/null || true)
    case "$version" in
        *" 19.0"*) ;;
        *) ODOO_MISSING_REASON="'${ODOO_CMD[*]}' is not Odoo 19 (it says: ${version:-nothing})"; ODOO_CMD=() ;;
    esac
fi
