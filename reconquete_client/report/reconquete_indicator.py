"""Attrition, win-back and revenue at risk, per month and salesperson.

A read-only SQL view over the stage history. Rates are ratios of sums, so the
pivot recomputes them at every level of grouping instead of averaging rates.
"""

from odoo import fields, models
from odoo.tools import SQL

from ..attrition_rules import AT_RISK, LIVING_STAGES, LOST, RISK_STAGES, WON_BACK


class ReconqueteIndicator(models.Model):
    _name = "reconquete.indicator"
    _description = "Reconquest Indicators"
    _auto = False
    _order = "month desc"
    _rec_name = "month"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    active_at_start = fields.Integer(
        string="Active Clients at Start",
        readonly=True,
        help="Clients in New, Active, To Watch or Won Back on the first day of the month.",
    )
    entered_lost = fields.Integer(
        string="Clients Lost",
        readonly=True,
        help="Clients that entered Lost during the month.",
    )
    entered_risk = fields.Integer(
        string="Clients Newly at Risk",
        readonly=True,
        help='Clients that entered "To Win Back" or "Lost" from another stage during the month.',
    )
    won_back = fields.Integer(
        string="Clients Won Back",
        readonly=True,
        help='Clients that bought again after being in "To Win Back" or "Lost".',
    )
    revenue_at_risk = fields.Monetary(
        readonly=True,
        help='Revenue over the revenue window of the clients in "To Win Back" on the last day of the month '
        "(today for the current month).",
    )
    attrition_rate = fields.Float(
        string="Monthly Attrition Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Clients that entered Lost during the month / active clients on its first day. Over several "
        "months: all clients lost / the sum of the active clients at the start of each month.",
    )
    win_back_rate = fields.Float(
        string="Win-back Rate (%)",
        readonly=True,
        aggregator="avg",
        help='Clients won back during the period / clients that entered "To Win Back" or "Lost" during it.',
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH change AS (
                SELECT file.company_id, history.user_id, history.revenue, history.date,
                       history.stage_to AS to_code, history.stage_from AS from_code,
                       LEAD(history.date) OVER (
                           PARTITION BY history.client_id ORDER BY history.date, history.id
                       ) AS next_date
                  FROM reconquete_stage_history AS history
                  JOIN reconquete_client AS file ON file.id = history.client_id
            ),
            month AS (
                SELECT month_start::date,
                       LEAST((month_start + INTERVAL '1 month - 1 day')::date, CURRENT_DATE) AS month_end
                  FROM generate_series(
                           (SELECT date_trunc('month', MIN(date)) FROM reconquete_stage_history),
                           date_trunc('month', CURRENT_DATE),
                           INTERVAL '1 month'
                       ) AS month_start
            ),
            measure AS (
                -- the stage a client was in on the first day of the month
                SELECT month.month_start, change.company_id, change.user_id,
                       1 AS active_at_start, 0 AS entered_lost, 0 AS entered_risk, 0 AS won_back,
                       0.0 AS revenue_at_risk
                  FROM month
                  JOIN change ON change.date < month.month_start
                             AND (change.next_date IS NULL OR change.next_date >= month.month_start)
                 WHERE change.to_code IN %(living)s
                UNION ALL
                -- the clients to win back on the last day of the month, and their revenue
                SELECT month.month_start, change.company_id, change.user_id,
                       0, 0, 0, 0, change.revenue
                  FROM month
                  JOIN change ON change.date <= month.month_end
                             AND (change.next_date IS NULL OR change.next_date > month.month_end)
                 WHERE change.to_code = %(at_risk)s
                UNION ALL
                -- what happened during the month (a client's first classification is no event)
                SELECT date_trunc('month', change.date)::date, change.company_id, change.user_id,
                       0,
                       (change.to_code = %(lost)s AND change.from_code IS NOT NULL)::int,
                       (change.to_code IN %(risk)s AND change.from_code NOT IN %(risk)s)::int,
                       (change.to_code = %(won_back)s)::int,
                       0.0
                  FROM change
            )
            SELECT ROW_NUMBER() OVER (ORDER BY measure.month_start, measure.company_id, measure.user_id) AS id,
                   measure.month_start AS month,
                   measure.company_id,
                   company.currency_id,
                   measure.user_id,
                   SUM(measure.active_at_start) AS active_at_start,
                   SUM(measure.entered_lost) AS entered_lost,
                   SUM(measure.entered_risk) AS entered_risk,
                   SUM(measure.won_back) AS won_back,
                   SUM(measure.revenue_at_risk) AS revenue_at_risk,
                   100.0 * SUM(measure.entered_lost) / NULLIF(SUM(measure.active_at_start), 0) AS attrition_rate,
                   100.0 * SUM(measure.won_back) / NULLIF(SUM(measure.entered_risk), 0) AS win_back_rate
              FROM measure
              JOIN res_company AS company ON company.id = measure.company_id
          GROUP BY measure.month_start, measure.company_id, company.currency_id, measure.user_id
            """,
            living=LIVING_STAGES,
            risk=RISK_STAGES,
            at_risk=AT_RISK,
            lost=LOST,
            won_back=WON_BACK,
        )

    def _read_group_select(self, aggregate_spec, query):
        # A rate over several rows is the ratio of their sums, not the mean of their rates.
        ratios = {
            "attrition_rate:avg": ("entered_lost", "active_at_start"),
            "win_back_rate:avg": ("won_back", "entered_risk"),
        }
        if aggregate_spec not in ratios:
            return super()._read_group_select(aggregate_spec, query)
        numerator, denominator = ratios[aggregate_spec]
        return SQL(
            "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
            self._field_to_sql(self._table, numerator, query),
            self._field_to_sql(self._table, denominator, query),
        )
