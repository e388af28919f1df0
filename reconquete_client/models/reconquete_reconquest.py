"""A won-back client: when it entered the risk, when it bought again, how long it took."""

from odoo import api, fields, models


class ReconqueteReconquest(models.Model):
    _name = "reconquete.reconquest"
    _description = "Client Reconquest"
    _order = "won_back_date desc, id desc"
    _rec_name = "partner_id"

    client_id = fields.Many2one(
        "reconquete.client", string="Reconquest File", required=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="client_id.partner_id", string="Client", store=True, index=True)
    company_id = fields.Many2one(related="client_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", string="Salesperson", ondelete="set null")
    from_stage_id = fields.Many2one(
        "reconquete.stage",
        string="Won Back From",
        ondelete="restrict",
        help="The stage the client was in when it bought again.",
    )
    risk_date = fields.Date(
        string="At Risk Since",
        required=True,
        help='The day the client entered "To Win Back" (or "Lost") in this episode.',
    )
    won_back_date = fields.Date(required=True, index=True)
    days_to_win_back = fields.Integer(
        string="Days to Win Back",
        compute="_compute_days_to_win_back",
        store=True,
        aggregator="avg",
        help='Days between entering "To Win Back" (or "Lost") and the purchase that won the client back.',
    )
    document_name = fields.Char(string="Winning Document", help="The order or invoice that won the client back.")
    closed_activity_ids = fields.Many2many(
        "mail.activity",
        string="Activities Closed",
        help="The reconquest activities this win closed: opened again if the winning purchase is cancelled.",
    )

    @api.depends("risk_date", "won_back_date")
    def _compute_days_to_win_back(self):
        for reconquest in self:
            reconquest.days_to_win_back = (reconquest.won_back_date - reconquest.risk_date).days
