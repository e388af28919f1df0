"""Attrition, win-back, revenue at risk and the clients gained, per month and salesperson.

A read-only SQL view over the stage history, logged and replayed (so it
covers the analysis window from the day the addon is installed). Rates are
ratios of sums, so the pivot recomputes them at every level of grouping
instead of averaging rates.
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
    gained = fields.Integer(
        string="Clients Gained",
        readonly=True,
        help="Clients whose first purchase was during the month.",
    )
    net_change = fields.Integer(
        string="Net Change of Active Clients",
        readonly=True,
        help="Clients gained, won back or back in an active stage, minus the clients that left the active stages "
        '(New, Active, To Watch, Won Back) for "To Win Back" or "Lost" during the month. Clients first seen in a '
        "stage when the history starts are no change.",
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
        return self._indicator_query()

    def _indicator_query(self):
        """The monthly figures per company and salesperson, from the stage history (logged and replayed).

        A client in a stage from one change to the next counts at the start of
        every month in between: each change adds one at the first month after
        it and takes it back at the first month after the next change, and a
        running sum per salesperson does the rest (no join of every month with
        every change: the history holds years of replayed changes).
        """
        return SQL(
            """
            WITH change AS (
                SELECT file.company_id, history.user_id, history.revenue,
                       date_trunc('month', history.date)::date AS month,
                       history.stage_to AS to_code, history.stage_from AS from_code,
                       date_trunc('month', LEAD(history.date) OVER (
                           PARTITION BY history.client_id ORDER BY history.date, history.id
                       ))::date AS next_month
                  FROM reconquete_stage_history AS history
                  JOIN reconquete_client AS file ON file.id = history.client_id
            ),
            kind AS (
                -- the changes counted once per kind: the branches below read a few thousand rows,
                -- not every change five times (the history holds a million replayed changes)
                SELECT month, next_month, company_id, user_id, to_code, from_code,
                       COUNT(*) AS changes, SUM(revenue) AS revenue
                  FROM change
              GROUP BY month, next_month, company_id, user_id, to_code, from_code
            ),
            month AS (
                SELECT month_start::date
                  FROM generate_series(
                           (SELECT MIN(month) FROM kind),
                           date_trunc('month', CURRENT_DATE),
                           INTERVAL '1 month'
                       ) AS month_start
            ),
            measure AS (
                -- active on the first day of every month after the change, until the month after the next one
                SELECT (month + INTERVAL '1 month')::date AS month, company_id, user_id,
                       changes AS active_at_start, 0.0 AS revenue_at_risk,
                       0 AS entered_lost, 0 AS entered_risk, 0 AS won_back, 0 AS gained, 0 AS net_change
                  FROM kind
                 WHERE to_code IN %(living)s
                UNION ALL
                SELECT (next_month + INTERVAL '1 month')::date, company_id, user_id, -changes, 0.0, 0, 0, 0, 0, 0
                  FROM kind
                 WHERE to_code IN %(living)s AND next_month IS NOT NULL
                UNION ALL
                -- to win back at the end of every month from the change's to the one before the next change's
                SELECT month, company_id, user_id, 0, revenue, 0, 0, 0, 0, 0
                  FROM kind
                 WHERE to_code = %(at_risk)s
                UNION ALL
                SELECT next_month, company_id, user_id, 0, -revenue, 0, 0, 0, 0, 0
                  FROM kind
                 WHERE to_code = %(at_risk)s AND next_month IS NOT NULL
                UNION ALL
                -- what happened during the month (a client's first classification is no event)
                SELECT month, company_id, user_id, 0, 0.0,
                       changes * (to_code = %(lost)s AND from_code IS NOT NULL)::int,
                       changes * (to_code IN %(risk)s AND from_code NOT IN %(risk)s)::int,
                       changes * (to_code = %(won_back)s)::int,
                       0,
                       CASE WHEN from_code IS NULL THEN 0
                            ELSE changes * (COALESCE(to_code IN %(living)s, FALSE)::int
                                            - (from_code IN %(living)s)::int)
                       END
                  FROM kind
                UNION ALL
                -- clients gained: their first purchase, from the first month of the history on
                SELECT date_trunc('month', file.first_purchase_date)::date, file.company_id, file.user_id,
                       0, 0.0, 0, 0, 0, 1, 1
                  FROM reconquete_client AS file
                 WHERE file.first_purchase_date >= (SELECT MIN(month_start) FROM month)
            ),
            monthly AS (
                SELECT month, company_id, user_id,
                       SUM(active_at_start) AS active_at_start, SUM(revenue_at_risk) AS revenue_at_risk,
                       SUM(entered_lost) AS entered_lost, SUM(entered_risk) AS entered_risk,
                       SUM(won_back) AS won_back, SUM(gained) AS gained, SUM(net_change) AS net_change
                  FROM measure
              GROUP BY month, company_id, user_id
            ),
            running AS (
                SELECT month.month_start AS month, pair.company_id, pair.user_id,
                       SUM(COALESCE(monthly.active_at_start, 0)) OVER salesperson AS active_at_start,
                       SUM(COALESCE(monthly.revenue_at_risk, 0)) OVER salesperson AS revenue_at_risk,
                       COALESCE(monthly.entered_lost, 0) AS entered_lost,
                       COALESCE(monthly.entered_risk, 0) AS entered_risk,
                       COALESCE(monthly.won_back, 0) AS won_back,
                       COALESCE(monthly.gained, 0) AS gained,
                       COALESCE(monthly.net_change, 0) AS net_change
                  FROM month
            CROSS JOIN (SELECT DISTINCT company_id, user_id FROM monthly) AS pair
             LEFT JOIN monthly ON monthly.month = month.month_start
                              AND monthly.company_id = pair.company_id
                              AND monthly.user_id IS NOT DISTINCT FROM pair.user_id
                WINDOW salesperson AS (PARTITION BY pair.company_id, pair.user_id ORDER BY month.month_start)
            )
            SELECT ROW_NUMBER() OVER (ORDER BY running.month, running.company_id, running.user_id) AS id,
                   running.month,
                   running.company_id,
                   company.currency_id,
                   running.user_id,
                   running.active_at_start,
                   running.entered_lost,
                   running.entered_risk,
                   running.won_back,
                   running.gained,
                   running.net_change,
                   running.revenue_at_risk,
                   100.0 * running.entered_lost / NULLIF(running.active_at_start, 0) AS attrition_rate,
                   100.0 * running.won_back / NULLIF(running.entered_risk, 0) AS win_back_rate
              FROM running
              JOIN res_company AS company ON company.id = running.company_id
             WHERE running.active_at_start <> 0 OR running.revenue_at_risk <> 0 OR running.entered_lost <> 0
                OR running.entered_risk <> 0 OR running.won_back <> 0 OR running.gained <> 0
                OR running.net_change <> 0
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
