"""Win-back rate per departure reason and per reconquest action.

One row per episode at risk of a client: from the day it entered "To Win
Back" or "Lost" (from any other stage, or when its history starts there) to
the day it left them, by a purchase (won back) or not, or still open. The
actions are the activities marked done on the client's file during the
episode, except those the win itself closed: "which actions were done before
the client came back". Grouped by departure reason or by action, the win-back
rate is the company's own version of "10% with mailings, 75% with the
key-account meetings". Replayed episodes have no action: manual work is not
replayed.

Two SQL views, made in ``init``: the episodes, and the relation of episodes
to the types of their actions (a many2many the pivot can group by).
"""

from odoo import fields, models, tools
from odoo.tools import SQL

from ..attrition_rules import RISK_STAGES, WON_BACK

ACTION_RELATION = "reconquete_episode_activity_type_rel"


class ReconqueteEpisode(models.Model):
    _name = "reconquete.episode"
    _description = "Reconquest Episode"
    _auto = False
    _order = "risk_date desc, id desc"
    _rec_name = "partner_id"

    client_id = fields.Many2one("reconquete.client", string="Reconquest File", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    departure_reason_id = fields.Many2one(
        "reconquete.departure.reason", readonly=True, help="The departure reason recorded on the client."
    )
    risk_date = fields.Date(
        string="At Risk Since", readonly=True, help='The day the client entered "To Win Back" or "Lost".'
    )
    end_date = fields.Date(string="Left the Risk On", readonly=True)
    won_back_date = fields.Date(readonly=True)
    action_type_ids = fields.Many2many(
        "mail.activity.type",
        relation=ACTION_RELATION,
        column1="episode_id",
        column2="activity_type_id",
        string="Actions Done",
        readonly=True,
        help="Types of the activities marked done on the client during the episode, before it came back.",
    )
    is_replayed = fields.Boolean(
        string="Replayed", readonly=True, help="Found in the replayed history: no action of that time is known."
    )
    episodes = fields.Integer(readonly=True, help="Episodes at risk: each time a client entered the risk.")
    won_back = fields.Integer(readonly=True, help="Episodes that ended with a purchase.")
    days_to_win_back = fields.Integer(
        string="Days to Win Back",
        readonly=True,
        aggregator="avg",
        help="Days from entering the risk to the purchase that won the client back.",
    )
    win_back_rate = fields.Float(
        string="Win-back Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Episodes won back out of the episodes, for the reason or action of the row.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, ACTION_RELATION)
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %(table)s AS (
                WITH line AS (
                    SELECT history.id, history.client_id, history.date, history.is_replayed,
                           COALESCE(history.stage_to, '') AS stage_to,
                           LAG(COALESCE(history.stage_to, '')) OVER client_history AS previous_to
                      FROM reconquete_stage_history AS history
                    WINDOW client_history AS (PARTITION BY history.client_id ORDER BY history.date, history.id)
                ),
                marked AS (
                    -- an episode starts when the client enters the risk (the previous line, logged or
                    -- replayed, tells: the first logged line of a client may restate a replayed stage)
                    SELECT line.*,
                           line.stage_to IN %(risk)s AND COALESCE(line.previous_to NOT IN %(risk)s, TRUE) AS is_start
                      FROM line
                ),
                numbered AS (
                    SELECT marked.*,
                           SUM(marked.is_start::int) OVER (PARTITION BY marked.client_id
                                                           ORDER BY marked.date, marked.id) AS episode
                      FROM marked
                ),
                episode AS (
                    SELECT client_id,
                           MIN(id) FILTER (WHERE is_start) AS id,
                           MIN(date) FILTER (WHERE is_start) AS risk_date,
                           BOOL_OR(is_replayed) FILTER (WHERE is_start) AS is_replayed,
                           MIN(date) FILTER (WHERE stage_to NOT IN %(risk)s) AS end_date,
                           (ARRAY_AGG(stage_to ORDER BY date, id) FILTER (WHERE stage_to NOT IN %(risk)s))[1]
                               AS end_stage
                      FROM numbered
                     WHERE episode > 0
                  GROUP BY client_id, episode
                )
                SELECT episode.id, episode.client_id, file.partner_id, file.company_id, file.user_id,
                       file.departure_reason_id, episode.risk_date, episode.end_date,
                       CASE WHEN episode.end_stage = %(won_back)s THEN episode.end_date END AS won_back_date,
                       COALESCE(episode.is_replayed, FALSE) AS is_replayed,
                       1 AS episodes,
                       (episode.end_stage IS NOT DISTINCT FROM %(won_back)s)::int AS won_back,
                       CASE WHEN episode.end_stage = %(won_back)s THEN episode.end_date - episode.risk_date END
                           AS days_to_win_back,
                       CASE WHEN episode.end_stage = %(won_back)s THEN 100.0 ELSE 0.0 END AS win_back_rate
                  FROM episode
                  JOIN reconquete_client AS file ON file.id = episode.client_id
                )
                """,
                table=SQL.identifier(self._table),
                risk=RISK_STAGES,
                won_back=WON_BACK,
            )
        )
        closed = self.env["reconquete.reconquest"]._fields["closed_activity_ids"]
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %(relation)s AS (
                SELECT DISTINCT episode.id AS episode_id, activity.activity_type_id
                  FROM %(table)s AS episode
                  JOIN mail_activity AS activity
                    ON activity.res_model = 'reconquete.client' AND activity.res_id = episode.client_id
                 WHERE activity.active IS NOT TRUE
                   AND activity.date_done BETWEEN episode.risk_date AND COALESCE(episode.end_date, CURRENT_DATE)
                   -- closed by the win, not done before it
                   AND NOT EXISTS (SELECT 1 FROM %(closed)s AS closed WHERE closed.%(closed_activity)s = activity.id)
                )
                """,
                relation=SQL.identifier(ACTION_RELATION),
                table=SQL.identifier(self._table),
                closed=SQL.identifier(closed.relation),
                closed_activity=SQL.identifier(closed.column2),
            )
        )

    def _read_group_select(self, aggregate_spec, query):
        # A rate over several episodes is the ratio of their sums, not the mean of their rates.
        if aggregate_spec != "win_back_rate:avg":
            return super()._read_group_select(aggregate_spec, query)
        return SQL(
            "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
            self._field_to_sql(self._table, "won_back", query),
            self._field_to_sql(self._table, "episodes", query),
        )
