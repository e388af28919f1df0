"""Stage changes of each client, the ground of attrition and win-back indicators."""

from odoo import fields, models


class ReconqueteStageHistory(models.Model):
    _name = "reconquete.stage.history"
    _description = "Attrition Stage Change"
    _order = "date desc, id desc"
    _rec_name = "stage_to_id"

    partner_id = fields.Many2one("res.partner", string="Client", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    date = fields.Date(required=True, index=True)
    stage_from_id = fields.Many2one("reconquete.stage", string="From Stage", ondelete="restrict")
    stage_to_id = fields.Many2one("reconquete.stage", string="To Stage", ondelete="restrict")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        ondelete="set null",
        help="The client's salesperson on the day of the change.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    revenue = fields.Monetary(
        help="The client's revenue over the revenue window on the day of the change.",
    )
    is_strategic = fields.Boolean(string="Strategic", help="Whether the client was strategic on the day of the change.")
