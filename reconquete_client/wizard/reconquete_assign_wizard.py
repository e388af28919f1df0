"""A manager gives clients to another salesperson; their open reconquest activities follow."""

from odoo import fields, models


class ReconqueteAssignWizard(models.TransientModel):
    _name = "reconquete.assign.wizard"
    _description = "Assign a Salesperson"

    client_ids = fields.Many2many("reconquete.client", string="Clients", required=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        domain="[('share', '=', False)]",
        help="The clients, and the open reconquest activities their current salesperson holds, go to this user.",
    )

    def action_apply(self):
        self.ensure_one()
        self.client_ids._reassign(self.user_id)
        return {"type": "ir.actions.act_window_close"}
