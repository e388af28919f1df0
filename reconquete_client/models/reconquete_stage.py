"""Attrition stages: where a client stands against its own buying rhythm."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import attrition_rules


class ReconqueteStage(models.Model):
    _name = "reconquete.stage"
    _description = "Attrition Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        selection=[
            (attrition_rules.NEW, "New"),
            (attrition_rules.ACTIVE, "Active"),
            (attrition_rules.WATCH, "To Watch"),
            (attrition_rules.AT_RISK, "To Win Back"),
            (attrition_rules.LOST, "Lost"),
            (attrition_rules.WON_BACK, "Won Back"),
        ],
        required=True,
        readonly=True,
        help="Technical code the attrition rules use; the name can be changed freely.",
    )
    sequence = fields.Integer(default=10)
    fold = fields.Boolean(string="Folded in Kanban")
    description = fields.Text(
        translate=True,
        help="The rule that places a client in this stage, as shown to users.",
    )

    _code_unique = models.UniqueIndex("(code)", "Each attrition stage code exists once.")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_rule_stage(self):
        raise UserError(
            self.env._("Attrition stages follow fixed rules and cannot be deleted; rename or fold them instead.")
        )

    @api.model
    def _ids_by_code(self):
        """{code: id} of every stage, for the analysis."""
        return {stage.code: stage.id for stage in self.sudo().search([])}
