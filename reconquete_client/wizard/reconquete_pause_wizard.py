"""Snooze a reconquest until a date, or exclude clients from it, saying why."""

from odoo import fields, models


class ReconquetePauseWizard(models.TransientModel):
    _name = "reconquete.pause.wizard"
    _description = "Snooze or Exclude from Reconquest"

    mode = fields.Selection(
        selection=[("snooze", "Snooze until a date"), ("exclude", "Exclude")],
        required=True,
        default="snooze",
    )
    client_ids = fields.Many2many("reconquete.client", string="Clients", required=True)
    snoozed_until = fields.Date(
        string="Until",
        help="No reconquest activity before this day, e.g. the client said it orders in the third quarter.",
    )
    reason = fields.Char(required=True, help="Shown in the client's chatter with your name.")

    def action_apply(self):
        self.ensure_one()
        if self.mode == "snooze":
            self.client_ids._pause(snoozed_until=self.snoozed_until, reason=self.reason)
        else:
            self.client_ids._pause(excluded=True, reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
