"""The attrition rules in SQL, for a whole batch of clients in one statement.

``attrition_rules.assess`` is the product contract, in Python; this is the same
contract as SQL expressions, so that a batch of a hundred thousand clients is
assessed where its figures are, without a trip to Python and back. The test
``test_assessment_sql`` runs both on thousands of cases and requires them to
agree to the day.

The statement builds the temporary table ``reconquete_batch``: one row per
client whose file must change, with the values to write, the stage it had
(to record the change) and, for a win whose purchase no longer counts, the
risk stage it goes back to.
"""

from odoo import api, models
from odoo.tools import SQL

from .. import attrition_rules

# Columns of the ``client`` rows the caller provides, before the stored ones:
# partner_id, file_id, override, purchase_days, first_purchase, last_purchase,
# mean_interval, median_interval, interval_spread, revenue, unanswered.
# Then ``stored_<name>`` for each figure of FIGURE_COLUMNS (NULL for a new file).


class ReconqueteAssessment(models.AbstractModel):
    _name = "reconquete.assessment"
    _description = "Attrition Rules in SQL"

    @api.model
    def _create_batch_table(self, company, today, ctes, client_select, figure_names):
        """CREATE TEMPORARY TABLE reconquete_batch from the ``client`` rows.

        ``ctes`` are the common table expressions ``client_select`` needs
        (SQL(), or a list ending without a comma); ``figure_names`` the columns
        a file stores, in the order the batch table gives them.
        """
        thresholds = company._reconquete_thresholds()
        state = self.env["reconquete.analysis.state"]._for_company(company)
        stage_ids = self.env["reconquete.stage"]._ids_by_code()
        params = {
            "today": today,
            "analysis_start": attrition_rules.months_before(today, thresholds.analysis_months),
            "relationship_start": attrition_rules.months_before(today, 12 * thresholds.strategic_years),
            "analysis_months": thresholds.analysis_months,
            "relationship_months": 12 * thresholds.strategic_years,
            "min_purchase_days": thresholds.min_purchase_days,
            "default_interval": float(thresholds.default_interval),
            "watch_factor": thresholds.watch_factor,
            "at_risk_factor": thresholds.at_risk_factor,
            "lost_days": thresholds.lost_days,
            "solicitation_limit": thresholds.solicitation_limit,
            "strategic_share": thresholds.strategic_share,
            "steady_max_variation": thresholds.steady_max_variation,
            "revenue_total": state.revenue_total,
            "risk": attrition_rules.RISK_STAGES,
            "won_back": attrition_rules.WON_BACK,
            "stage_ids": SQL(", ").join(SQL("(%s, %s)", code, stage_id) for code, stage_id in stage_ids.items()),
        }
        stored = SQL(", ").join(SQL.identifier(f"stored_{name}") for name in figure_names)
        new = SQL(", ").join(SQL.identifier(name) for name in figure_names)
        query = SQL(
            """
            CREATE TEMPORARY TABLE reconquete_batch ON COMMIT DROP AS
            WITH %(ctes)s
            client AS (%(client_select)s),
            stage_code(code, id) AS (VALUES %(stage_ids)s),
            undone AS (
                -- Won Back (dated on the winning purchase) with no purchase since that
                -- day: the win no longer counts, back to the last risk stage entered
                SELECT DISTINCT ON (history.client_id) history.client_id, history.stage_to, history.date
                  FROM reconquete_stage_history AS history
                 WHERE history.client_id IN (
                        SELECT client.file_id FROM client JOIN stage_code ON stage_code.id = client.stored_stage_id
                         WHERE stage_code.code = %(won_back)s
                           AND (client.last_purchase IS NULL OR client.last_purchase < client.stored_stage_date))
                   AND history.stage_to IN %(risk)s
                   -- the addon's first look at a client whose replayed history ends in the same stage is no
                   -- entry: the replay knows the day the client entered it (as reconquete_replay._date_files)
                   AND NOT (history.stage_from IS NULL AND history.is_replayed IS NOT TRUE
                            -- (no replayed line: NULL, and the first look is the entry)
                            AND history.stage_to IS NOT DISTINCT FROM (
                                SELECT replayed.stage_to FROM reconquete_stage_history AS replayed
                                 WHERE replayed.client_id = history.client_id AND replayed.is_replayed
                              ORDER BY replayed.date DESC, replayed.id DESC
                                 LIMIT 1))
              ORDER BY history.client_id, history.date DESC, history.id DESC
            ),
            rhythm AS (
                SELECT client.*,
                       undone.client_id IS NOT NULL AS is_undone,
                       COALESCE(undone.stage_to, stored_stage.code) AS previous_stage,
                       CASE WHEN undone.client_id IS NOT NULL THEN undone.date ELSE client.stored_stage_date END
                           AS previous_date,
                       COALESCE(client.mean_interval, 0) <> 0 AND client.purchase_days >= %(min_purchase_days)s
                           AS has_own_rhythm,
                       %(today)s - client.last_purchase AS silence
                  FROM client
             LEFT JOIN undone ON undone.client_id = client.file_id
             LEFT JOIN stage_code AS stored_stage ON stored_stage.id = client.stored_stage_id
            ),
            interval_ AS (
                SELECT rhythm.*,
                       CASE WHEN has_own_rhythm THEN mean_interval ELSE %(default_interval)s END AS reference_interval,
                       has_own_rhythm AND interval_spread IS NOT NULL
                           AND interval_spread / NULLIF(mean_interval, 0) <= %(steady_max_variation)s AS is_steady,
                       CASE WHEN %(revenue_total)s > 0 AND revenue > 0
                            THEN 100.0 * revenue::float8 / %(revenue_total)s ELSE 0.0 END AS revenue_share
                  FROM rhythm
            ),
            -- MATERIALIZED: the stage is computed once per client. Inlined, PostgreSQL evaluated its CASE
            -- again in every expression below that reads it (a tenth of the batch statement at size S)
            staged AS MATERIALIZED (
                SELECT interval_.*,
                       CASE WHEN last_purchase IS NULL THEN NULL
                            WHEN (previous_stage IN %(risk)s AND previous_date IS NOT NULL
                                  AND last_purchase >= previous_date)
                              OR (previous_stage = %(won_back)s AND previous_date IS NOT NULL
                                  AND %(today)s - previous_date < reference_interval) THEN %(won_back)s
                            WHEN silence > %(lost_days)s AND silence > reference_interval * %(at_risk_factor)s
                                THEN 'lost'
                            WHEN silence > reference_interval * %(at_risk_factor)s
                              OR unanswered >= %(solicitation_limit)s THEN 'at_risk'
                            WHEN silence > reference_interval * %(watch_factor)s THEN 'watch'
                            WHEN NOT has_own_rhythm AND first_purchase >= %(analysis_start)s THEN 'new'
                            ELSE 'active'
                       END AS stage,
                       first_purchase <= %(relationship_start)s AND is_steady AS long_relationship,
                       last_purchase + FLOOR(reference_interval * %(watch_factor)s)::int + 1 AS watch_date,
                       last_purchase + FLOOR(reference_interval * %(at_risk_factor)s)::int + 1 AS alert_date,
                       last_purchase + GREATEST(%(lost_days)s, FLOOR(reference_interval * %(at_risk_factor)s)::int) + 1
                           AS lost_date
                  FROM interval_
            ),
            assessed AS (
                SELECT staged.*,
                       CASE WHEN stage IS NULL THEN NULL
                            WHEN stage = %(won_back)s AND previous_stage IN %(risk)s THEN last_purchase
                            WHEN stage = previous_stage AND previous_date IS NOT NULL THEN previous_date
                            ELSE %(today)s
                       END AS stage_date,
                       CASE WHEN stage IS NULL THEN NULL
                            WHEN override = 'on' THEN 'manager'
                            WHEN override = 'off' THEN NULL
                            WHEN revenue_share >= %(strategic_share)s AND long_relationship THEN 'both'
                            WHEN revenue_share >= %(strategic_share)s THEN 'revenue_share'
                            WHEN long_relationship THEN 'relationship'
                       END AS strategic_reason
                  FROM staged
            ),
            result AS (
                SELECT assessed.partner_id, assessed.file_id, assessed.is_undone,
                       stage_code_previous.id AS previous_stage_id, assessed.previous_date AS previous_stage_date,
                       -- the figures, NULL for a client without purchase (its file is cleared)
                       CASE WHEN stage IS NOT NULL THEN purchase_days END AS purchase_days,
                       CASE WHEN stage IS NOT NULL THEN first_purchase END AS first_purchase_date,
                       CASE WHEN stage IS NOT NULL THEN last_purchase END AS last_purchase_date,
                       CASE WHEN stage IS NOT NULL THEN mean_interval END AS mean_interval,
                       CASE WHEN stage IS NOT NULL THEN median_interval END AS median_interval,
                       CASE WHEN stage IS NOT NULL THEN interval_spread END AS interval_spread,
                       CASE WHEN stage IS NOT NULL THEN reference_interval END AS reference_interval,
                       CASE WHEN stage IS NOT NULL THEN last_purchase + ROUND(reference_interval)::int END
                           AS expected_date,
                       CASE WHEN stage IS NOT NULL THEN watch_date END AS watch_date,
                       CASE WHEN stage IS NOT NULL THEN alert_date END AS alert_date,
                       CASE WHEN stage IS NOT NULL THEN lost_date END AS lost_date,
                       -- the first day anything changes while nothing is bought (see attrition_rules.assess)
                       LEAST(
                           CASE stage
                               WHEN %(won_back)s THEN stage_date + CEIL(reference_interval)::int
                               WHEN 'new' THEN LEAST(watch_date, %(new_end)s)
                               WHEN 'active' THEN watch_date
                               WHEN 'watch' THEN alert_date
                               WHEN 'at_risk' THEN lost_date
                           END,
                           CASE WHEN stage IS NOT NULL AND override = 'auto' AND is_steady
                                     AND first_purchase > %(relationship_start)s
                                THEN %(relationship_day)s END
                       ) AS next_review_date,
                       CASE WHEN stage IS NOT NULL THEN ROUND(revenue, 2) END AS revenue,
                       CASE WHEN stage IS NOT NULL THEN unanswered END AS unanswered_count,
                       CASE WHEN stage IS NOT NULL THEN strategic_reason IS NOT NULL END AS is_strategic,
                       strategic_reason,
                       stage_code_new.id AS stage_id,
                       stage_date,
                       %(stored)s
                  FROM assessed
             LEFT JOIN stage_code AS stage_code_previous ON stage_code_previous.code = assessed.previous_stage
             LEFT JOIN stage_code AS stage_code_new ON stage_code_new.code = assessed.stage
            )
            SELECT partner_id, file_id, is_undone, previous_stage_id, previous_stage_date, %(new)s
              FROM result
             WHERE is_undone OR file_id IS NULL OR (%(new)s) IS DISTINCT FROM (%(stored)s)
            """,
            ctes=SQL("%s,", ctes) if ctes else SQL(),
            client_select=client_select,
            new_end=self._first_day_after(SQL("first_purchase"), thresholds.analysis_months),
            relationship_day=self._first_day_after(SQL("first_purchase - 1"), 12 * thresholds.strategic_years),
            stored=stored,
            new=new,
            **params,
        )
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS reconquete_batch"))
        self.env.cr.execute(query)

    @api.model
    def _first_day_after(self, start, months):
        """SQL for ``attrition_rules.first_day_after``: the first day d with d - months > start.

        PostgreSQL's date - interval clamps to the month's end as months_before
        does; the answer is a day to four after start + months.
        """
        shifted = SQL("(%s + %s * INTERVAL '1 month')::date", start, months)
        cases = SQL(" ").join(
            SQL(
                "WHEN (%s + %s - %s * INTERVAL '1 month')::date > %s THEN %s + %s",
                shifted,
                offset,
                months,
                start,
                shifted,
                offset,
            )
            for offset in range(4)
        )
        return SQL("CASE %s ELSE %s + 4 END", cases, shifted)
