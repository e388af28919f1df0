"""Before 19.0.2: the figures move from res_partner to their own table.

Set the 1.0 tables aside (the new models create theirs with another shape);
``post-migrate.py`` moves their content and drops them.
"""

from odoo.tools import SQL

# res_partner columns of 1.0 (jsonb, keyed by company), renamed out of the way: 2.0
# has non-stored fields of the same names, which Odoo would otherwise take for
# company-dependent ones because of the jsonb column.
PARTNER_COLUMNS = [
    "reconquete_purchase_days",
    "reconquete_first_purchase_date",
    "reconquete_last_purchase_date",
    "reconquete_mean_interval",
    "reconquete_median_interval",
    "reconquete_interval_spread",
    "reconquete_reference_interval",
    "reconquete_expected_date",
    "reconquete_revenue",
    "reconquete_unanswered_count",
    "reconquete_is_strategic",
    "reconquete_strategic_reason",
    "reconquete_strategic_override",
    "reconquete_stage_id",
    "reconquete_stage_date",
    "reconquete_departure_reason_id",
    "reconquete_departure_note",
    "reconquete_snoozed_until",
    "reconquete_excluded",
    "reconquete_pause_reason",
    "reconquete_activities_stage_date",
]


def migrate(cr, version):
    cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' "
            "AND column_name = ANY(%s)",
            PARTNER_COLUMNS,
        )
    )
    for (column,) in cr.fetchall():
        cr.execute(
            SQL(
                "ALTER TABLE res_partner RENAME COLUMN %s TO %s", SQL.identifier(column), SQL.identifier(f"{column}_v1")
            )
        )
    for table in ("reconquete_stage_history", "reconquete_reconquest"):
        # A copy, not a rename: no index or sequence name to clash with the new table's.
        cr.execute(SQL("CREATE TABLE %s AS TABLE %s", SQL.identifier(f"{table}_v1"), SQL.identifier(table)))
        cr.execute(SQL("DROP TABLE %s CASCADE", SQL.identifier(table)))
    # The 1.0 index on open activities names a column that goes away; 2.0 creates its own.
    cr.execute(SQL("DROP INDEX IF EXISTS mail_activity_reconquete_unique_open"))
    # The 1.0 board (on res.partner) gives its URL /odoo/reconquete to the 2.0 board; it is
    # removed with the other 1.0 records at the end of the upgrade.
    cr.execute(
        SQL(
            "UPDATE ir_act_window SET path = NULL WHERE id IN (SELECT res_id FROM ir_model_data "
            "WHERE module = 'reconquete_client' AND name = 'res_partner_action_reconquete')"
        )
    )
