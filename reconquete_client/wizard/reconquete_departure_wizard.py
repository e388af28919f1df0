"""Record why a client left, in its words (the only way the departure reason changes)."""

from odoo import api, fields, models


class ReconqueteDepartureWizard(models.TransientModel):
    _name = "reconquete.departure.wizard"
    _description = "Record a Departure Reason"

    client_ids = fields.Many2many("reconquete.client", string="Clients", required=True)
    reason_id = fields.Many2one("reconquete.departure.reason", string="Departure Reason", required=True)
    follow_up = fields.Selection(related="reason_id.follow_up")
    note = fields.Text(string="Details", help="What the client said, in its words.")
    user_id = fields.Many2one(
        "res.users",
        string="New Salesperson",
        domain="[('share', '=', False)]",
        help="The relationship with the salesperson is at stake: the client and its open reconquest activities "
        "can go to another salesperson.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        clients = self.env["reconquete.client"].browse(self.env.context.get("default_client_ids") or [])
        if len(clients) == 1:
            values.setdefault("reason_id", clients.departure_reason_id.id)
            values.setdefault("note", clients.departure_note)
        return values

    def action_apply(self):
        self.ensure_one()
        self.client_ids._set_departure(self.reason_id, self.note)
        if self.user_id:
            self.client_ids._reassign(self.user_id)
        return {"type": "ir.actions.act_window_close"}
