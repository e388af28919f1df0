"""A manager forces a client's strategic flag on or off, or gives it back to the rules."""

from odoo import fields, models

from ..models.reconquete_client import OVERRIDE_SELECTION


class ReconqueteStrategicWizard(models.TransientModel):
    _name = "reconquete.strategic.wizard"
    _description = "Force the Strategic Flag"

    client_ids = fields.Many2many("reconquete.client", string="Clients", required=True)
    override = fields.Selection(OVERRIDE_SELECTION, string="Strategic Flag", required=True, default="auto")

    def action_apply(self):
        self.ensure_one()
        self.client_ids._set_strategic_override(self.override)
        return {"type": "ir.actions.act_window_close"}
