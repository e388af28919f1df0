"""After 19.0.2 is loaded: move the 1.0 figures, history and work into the new tables.

1.0 kept every figure in company-dependent (jsonb) columns of res_partner and
its activities on the partner; 2.0 has one reconquete.client row per client
and company, with its activities and history. Nothing is recomputed from the
documents: the stored figures move as they are, then each file is classified
again from them, which fills the threshold dates 2.0 adds.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# 1.0 column of res_partner (a jsonb keyed by company id, renamed with a _v1 suffix
# by pre-migrate.py), 2.0 column of reconquete_client, SQL type.
MOVED_COLUMNS = [
    ("reconquete_purchase_days", "purchase_days", "int4"),
    ("reconquete_first_purchase_date", "first_purchase_date", "date"),
    ("reconquete_last_purchase_date", "last_purchase_date", "date"),
    ("reconquete_mean_interval", "mean_interval", "float8"),
    ("reconquete_median_interval", "median_interval", "float8"),
    ("reconquete_interval_spread", "interval_spread", "float8"),
    ("reconquete_reference_interval", "reference_interval", "float8"),
    ("reconquete_expected_date", "expected_date", "date"),
    ("reconquete_revenue", "revenue", "numeric"),
    ("reconquete_unanswered_count", "unanswered_count", "int4"),
    ("reconquete_is_strategic", "is_strategic", "bool"),
    ("reconquete_strategic_reason", "strategic_reason", "varchar"),
    ("reconquete_strategic_override", "strategic_override", "varchar"),
    ("reconquete_stage_id", "stage_id", "int4"),
    ("reconquete_stage_date", "stage_date", "date"),
    ("reconquete_departure_reason_id", "departure_reason_id", "int4"),
    ("reconquete_departure_note", "departure_note", "text"),
    ("reconquete_snoozed_until", "snoozed_until", "date"),
    ("reconquete_excluded", "excluded", "bool"),
    ("reconquete_pause_reason", "pause_reason", "varchar"),
]
DROPPED_PARTNER_COLUMNS = [f"{old}_v1" for old, _new, _type in MOVED_COLUMNS] + [
    "reconquete_activities_stage_date_v1",
]
DROPPED_COMPANY_COLUMNS = [
    "reconquete_revenue_total",
    "reconquete_analysis_date",
    "reconquete_next_client_id",
    "reconquete_full_analysis_date",
    "reconquete_pass_is_full",
    "reconquete_pass_started_at",
    "reconquete_pass_message_id",
    "reconquete_changes_since",
    "reconquete_messages_since_id",
]


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    if not _column_exists(cr, "res_partner", "reconquete_stage_id_v1"):
        return  # nothing of 1.0 left to move
    # The JIT compiler spends longer planning the jsonb reads below than running them.
    cr.execute(SQL("SET LOCAL jit = off"))
    _move_files(cr)
    _move_activities(env)
    _move_activity_delays(env)
    _move_history(cr)
    _move_states(cr)
    _drop_v1(cr)
    # 2.0 dates Won Back on the day of the purchase that won the client back, 1.0 on
    # the day the analysis saw it: move it back to that purchase when it came later.
    cr.execute(
        SQL(
            """
            UPDATE reconquete_client AS file SET stage_date = file.last_purchase_date
              FROM reconquete_stage AS stage
             WHERE stage.id = file.stage_id AND stage.code = 'won_back' AND file.last_purchase_date < file.stage_date
            """
        )
    )
    env.invalidate_all()
    # Classify every file again from the figures it brought: fills the threshold dates.
    cr.execute(SQL("UPDATE reconquete_client SET next_review_date = '1900-01-01' WHERE stage_id IS NOT NULL"))
    analysis = env["reconquete.analysis"]
    today = env["reconquete.client"]._today()
    for company in env["res.company"].search([]):  # pylint: disable=no-search-all
        result = analysis._reclassify_due(company, today)
        _logger.info("Reconquête 2.0: %s files of %s moved and classified", result.written, company.name)


def _column_exists(cr, table, column):
    cr.execute(
        SQL("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s", table, column)
    )
    return bool(cr.fetchone())


def _move_files(cr):
    """One file per (partner, company) that 1.0 knew anything about."""
    present = [
        (f"{old}_v1", new, sql_type)
        for old, new, sql_type in MOVED_COLUMNS
        if _column_exists(cr, "res_partner", f"{old}_v1")
    ]
    keys = SQL(" UNION ").join(
        SQL(
            "SELECT id AS partner_id, jsonb_object_keys(%s)::int AS company_id FROM res_partner WHERE %s IS NOT NULL",
            SQL.identifier(old),
            SQL.identifier(old),
        )
        for old, _new, _type in present
    )
    values = {
        new: SQL("(partner.%s ->> pair.company_id::text)::%s", SQL.identifier(old), SQL(sql_type))
        for old, new, sql_type in present
    }
    values["strategic_override"] = SQL("COALESCE(%s, 'auto')", values.get("strategic_override", SQL("NULL")))
    values["excluded"] = SQL("COALESCE(%s, FALSE)", values.get("excluded", SQL("NULL")))
    served = SQL(
        "CASE WHEN partner.reconquete_activities_stage_date_v1 ->> pair.company_id::text "
        "= partner.reconquete_stage_date_v1 ->> pair.company_id::text "
        "THEN (partner.reconquete_stage_date_v1 ->> pair.company_id::text)::date END"
    )
    cr.execute(
        SQL(
            """
            INSERT INTO reconquete_client (partner_id, company_id, user_id, %(columns)s, unplanned_entry_date,
                                           create_uid, create_date, write_uid, write_date)
            SELECT pair.partner_id, pair.company_id, partner.user_id, %(values)s, %(served)s,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM (%(keys)s UNION SELECT partner_id, company_id FROM reconquete_stage_history_v1) AS pair
              JOIN res_partner AS partner ON partner.id = pair.partner_id
              JOIN res_company AS company ON company.id = pair.company_id
            -- a file created by this upgrade's demo data: 1.0 knows better
            ON CONFLICT (partner_id, company_id) DO UPDATE SET %(update)s
            """,
            columns=SQL(", ").join(SQL.identifier(new) for new in values),
            update=SQL(", ").join(
                SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
                for name in [*values, "unplanned_entry_date"]
            ),
            values=SQL(", ").join(values.values()),
            served=served,
            keys=keys,
            uid=SUPERUSER_ID,
        )
    )
    _logger.info("Reconquête 2.0: %s reconquest files created from the 1.0 columns", cr.rowcount)


def _move_activities(env):
    """Reconquest activities (open and done) go from the partner to its file in their company."""
    cr = env.cr
    types = [
        env.ref(f"reconquete_client.{xmlid}", raise_if_not_found=False)
        for xmlid in (
            "mail_activity_type_reconquest_call",
            "mail_activity_type_winback_invitation",
            "mail_activity_type_executive_call",
        )
    ]
    cr.execute(
        SQL(
            "UPDATE mail_activity_type SET res_model = 'reconquete.client' WHERE id = ANY(%s)",
            [activity_type.id for activity_type in types if activity_type],
        )
    )
    no_answer = env.ref("reconquete_client.mt_reconquete_no_answer", raise_if_not_found=False)
    if no_answer:
        cr.execute(SQL("UPDATE mail_message_subtype SET res_model = 'reconquete.client' WHERE id = %s", no_answer.id))
    if not _column_exists(cr, "mail_activity", "reconquete_company_id"):
        return
    cr.execute(
        SQL(
            """
            UPDATE mail_activity AS activity
               SET res_model = 'reconquete.client', res_model_id = %(model_id)s, res_id = file.id
              FROM reconquete_client AS file
             WHERE activity.res_model = 'res.partner'
               AND activity.res_id = file.partner_id
               AND activity.reconquete_company_id = file.company_id
            """,
            model_id=env["ir.model"]._get_id("reconquete.client"),
        )
    )
    _logger.info("Reconquête 2.0: %s reconquest activities moved to their files", cr.rowcount)
    # 1.0 counted an entry as served once planned; 2.0 when it has its activity.
    # An entry 1.0 marked served without any activity (at install) stays the managers' call.
    cr.execute(
        SQL(
            """
            UPDATE reconquete_client AS file SET unplanned_entry_date = NULL
             WHERE unplanned_entry_date IS NOT NULL
               AND EXISTS (SELECT 1 FROM mail_activity AS activity
                            WHERE activity.res_model = 'reconquete.client' AND activity.res_id = file.id)
            """
        )
    )


def _move_activity_delays(env):
    """2.0 takes an activity's delay from its type, as Odoo does: 1.0 kept it on the stage.

    The types are data the administrator may edit (not updated by an upgrade):
    give them the stages' delays, and the invitation its email and its meeting.
    """
    cr = env.cr
    if _column_exists(cr, "reconquete_stage", "activity_delay_days"):
        cr.execute(
            SQL(
                """
                UPDATE mail_activity_type AS activity_type
                   SET delay_count = stage.activity_delay_days, delay_unit = 'days'
                  FROM reconquete_stage AS stage
                 WHERE stage.activity_type_id = activity_type.id AND stage.activity_delay_days IS NOT NULL
                """
            )
        )
        cr.execute(SQL("ALTER TABLE reconquete_stage DROP COLUMN activity_delay_days"))
    invitation = env.ref("reconquete_client.mail_activity_type_winback_invitation", raise_if_not_found=False)
    template = env.ref("reconquete_client.mail_template_winback_invitation", raise_if_not_found=False)
    meeting = env.ref("reconquete_client.mail_activity_type_winback_meeting", raise_if_not_found=False)
    if invitation and template and meeting:
        invitation.write(
            {
                "mail_template_ids": [Command.link(template.id)],
                "chaining_type": "suggest",
                "suggested_next_type_ids": [Command.link(meeting.id)],
            }
        )


def _move_history(cr):
    cr.execute(
        SQL(
            """
            INSERT INTO reconquete_stage_history (client_id, date, stage_from, stage_to, user_id, revenue, is_strategic)
            SELECT file.id, history.date, stage_from.code, stage_to.code, history.user_id, history.revenue,
                   history.is_strategic
              FROM reconquete_stage_history_v1 AS history
              JOIN reconquete_client AS file
                ON file.partner_id = history.partner_id AND file.company_id = history.company_id
         LEFT JOIN reconquete_stage AS stage_from ON stage_from.id = history.stage_from_id
         LEFT JOIN reconquete_stage AS stage_to ON stage_to.id = history.stage_to_id
          ORDER BY history.id
            """
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO reconquete_reconquest (client_id, partner_id, company_id, user_id, from_stage_id, risk_date,
                                               won_back_date, days_to_win_back, document_name,
                                               create_uid, create_date, write_uid, write_date)
            SELECT file.id, old.partner_id, old.company_id, old.user_id, old.from_stage_id, old.risk_date,
                   old.won_back_date, old.days_to_win_back, old.document_name,
                   old.create_uid, old.create_date, old.write_uid, old.write_date
              FROM reconquete_reconquest_v1 AS old
              JOIN reconquete_client AS file ON file.partner_id = old.partner_id AND file.company_id = old.company_id
          ORDER BY old.id
            """
        )
    )


def _move_states(cr):
    """The job's bookkeeping leaves the company's settings for its own table."""
    if not _column_exists(cr, "res_company", "reconquete_analysis_date"):
        return
    cr.execute(
        SQL(
            """
            INSERT INTO reconquete_analysis_state (company_id, analysis_date, full_analysis_date, changes_since,
                                                   messages_since_id, revenue_total, next_client_id, pass_is_full,
                                                   create_uid, create_date, write_uid, write_date)
            SELECT id, reconquete_analysis_date, reconquete_full_analysis_date, reconquete_changes_since,
                   reconquete_messages_since_id, reconquete_revenue_total, 0, FALSE,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM res_company
            ON CONFLICT (company_id) DO NOTHING
            """,
            uid=SUPERUSER_ID,
        )
    )


def _drop_v1(cr):
    for table, columns in (
        ("res_partner", DROPPED_PARTNER_COLUMNS),
        ("res_company", DROPPED_COMPANY_COLUMNS),
        ("mail_activity", ["reconquete_company_id"]),
    ):
        for column in columns:
            cr.execute(SQL("ALTER TABLE %s DROP COLUMN IF EXISTS %s", SQL.identifier(table), SQL.identifier(column)))
    cr.execute(SQL("DROP TABLE IF EXISTS reconquete_stage_history_v1, reconquete_reconquest_v1"))
    cr.execute(
        SQL(
            "DELETE FROM ir_rule WHERE id IN (SELECT res_id FROM ir_model_data WHERE module = 'reconquete_client' "
            "AND name = 'reconquete_stage_history_rule_company' AND model = 'ir.rule')"
        )
    )
