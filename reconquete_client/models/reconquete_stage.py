"""Attrition stages: where a client stands against its own buying rhythm."""

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from .. import attrition_rules

# The stage codes of the rules, with the names users see (translatable).
STAGE_SELECTION = [
    (attrition_rules.NEW, "New"),
    (attrition_rules.ACTIVE, "Active"),
    (attrition_rules.WATCH, "To Watch"),
    (attrition_rules.AT_RISK, "To Win Back"),
    (attrition_rules.LOST, "Lost"),
    (attrition_rules.WON_BACK, "Won Back"),
]


class ReconqueteStage(models.Model):
    _name = "reconquete.stage"
    _description = "Attrition Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        selection=STAGE_SELECTION,
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
    # The reconquest playbook: what entering this stage asks of whom.
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity on Entry",
        domain="[('res_model', 'in', [False, 'reconquete.client'])]",
        ondelete="set null",
        help="Activity scheduled for each client entering this stage (none: nothing is scheduled); it is due "
        "after the delay set on the activity type.",
    )
    activity_assignee = fields.Selection(
        selection=[
            ("salesperson", "The client's salesperson"),
            ("default_user", "The default reconquest user"),
            ("executive", "The executive"),
        ],
        string="Assigned To",
        default="salesperson",
        required=True,
        help="When the client's salesperson is archived or missing, the activity goes to the leader of a "
        "sales team serving the client, then to the company's default reconquest user.",
    )
    executive_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Executive Activity for Strategic Clients",
        domain="[('res_model', 'in', [False, 'reconquete.client'])]",
        ondelete="set null",
        help="Also scheduled for the company's executive when the client is strategic.",
    )

    _code_unique = models.UniqueIndex("(code)", "Each attrition stage code exists once.")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_rule_stage(self):
        raise UserError(
            self.env._("Attrition stages follow fixed rules and cannot be deleted; rename or fold them instead.")
        )

    @api.model
    @tools.ormcache()
    def _ids_by_code(self):
        """{code: id} of every stage, for the analysis (stages are never created nor deleted)."""
        return {stage.code: stage.id for stage in self.sudo().search([])}
