"""The bathtub: clients flowing in and out of the active portfolio, month by month.

One row per month, company, salesperson and flow (gained, won back, lost,
and the net change), from the monthly indicators: a bar graph shows the
inflows above zero and the clients lost below it, side by side with the net
change of the active clients.
"""

from odoo import fields, models
from odoo.tools import SQL

FLOW_SELECTION = [
    ("gained", "Gained"),
    ("won_back", "Won Back"),
    ("lost", "Lost"),
    ("net_change", "Net Change"),
]


class ReconqueteFlow(models.Model):
    _name = "reconquete.flow"
    _description = "Client Flows"
    _auto = False
    _order = "month desc, flow"
    _rec_name = "month"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    flow = fields.Selection(FLOW_SELECTION, readonly=True)
    clients = fields.Integer(
        readonly=True,
        help="Gained: first purchase during the month. Won back: bought again after entering To Win Back or "
        "Lost. Lost: entered Lost (counted below zero). Net change: active clients gained or lost over the month.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT ROW_NUMBER() OVER (ORDER BY indicator.month, indicator.company_id, indicator.user_id, flow.code)
                       AS id,
                   indicator.month, indicator.company_id, indicator.user_id,
                   flow.code AS flow, flow.clients
              FROM (%s) AS indicator
      CROSS JOIN LATERAL (VALUES ('gained', indicator.gained),
                                 ('won_back', indicator.won_back),
                                 ('lost', -indicator.entered_lost),
                                 ('net_change', indicator.net_change)) AS flow(code, clients)
             WHERE flow.clients <> 0
            """,
            self.env["reconquete.indicator"]._indicator_query(),
        )
