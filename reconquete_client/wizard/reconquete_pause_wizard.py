"""Snooze a reconquest until a date, or exclude clients from it, saying why."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date


class ReconquetePauseWizard(models.TransientModel):
    _name = "reconquete.pause.wizard"
    _description = "Snooze or Exclude from Reconquest"

    mode = fields.Selection(
        selection=[("snooze", "Snooze until a date"), ("exclude", "Exclude")],
        required=True,
        default="snooze",
    )
    partner_ids = fields.Many2many("res.partner", string="Clients", required=True)
    snoozed_until = fields.Date(
        string="Until",
        help="No reconquest activity before this day, e.g. the client said it orders in the third quarter.",
    )
    reason = fields.Char(required=True, help="Shown in the client's chatter with your name.")

    @api.constrains("mode", "snoozed_until")
    def _check_snoozed_until(self):
        today = fields.Date.context_today(self)
        for wizard in self.filtered(lambda wizard: wizard.mode == "snooze"):
            if not wizard.snoozed_until or wizard.snoozed_until <= today:
                raise UserError(
                    self.env._(
                        "A snooze needs a day after today (got %(value)s).",
                        value=format_date(self.env, wizard.snoozed_until)
                        if wizard.snoozed_until
                        else self.env._("no date"),
                    )
                )

    def action_apply(self):
        self.ensure_one()
        if self.mode == "snooze":
            self.partner_ids._reconquete_pause(snoozed_until=self.snoozed_until, reason=self.reason)
        else:
            self.partner_ids._reconquete_pause(excluded=True, reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
