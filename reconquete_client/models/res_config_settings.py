"""The "Reconquête" block of Settings: the company's attrition rules, its replayed history and its calibration."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    reconquete_purchase_source = fields.Selection(related="company_id.reconquete_purchase_source", readonly=False)
    reconquete_analysis_months = fields.Integer(related="company_id.reconquete_analysis_months", readonly=False)
    reconquete_revenue_months = fields.Integer(related="company_id.reconquete_revenue_months", readonly=False)
    reconquete_min_purchase_days = fields.Integer(related="company_id.reconquete_min_purchase_days", readonly=False)
    reconquete_default_interval = fields.Integer(related="company_id.reconquete_default_interval", readonly=False)
    reconquete_watch_factor = fields.Float(related="company_id.reconquete_watch_factor", readonly=False)
    reconquete_at_risk_factor = fields.Float(related="company_id.reconquete_at_risk_factor", readonly=False)
    reconquete_lost_days = fields.Integer(related="company_id.reconquete_lost_days", readonly=False)
    reconquete_solicitation_limit = fields.Integer(related="company_id.reconquete_solicitation_limit", readonly=False)
    reconquete_strategic_share = fields.Float(related="company_id.reconquete_strategic_share", readonly=False)
    reconquete_strategic_years = fields.Integer(related="company_id.reconquete_strategic_years", readonly=False)
    reconquete_steady_max_variation = fields.Float(related="company_id.reconquete_steady_max_variation", readonly=False)

    reconquete_false_alarm_rate = fields.Float(related="company_id.reconquete_false_alarm_rate", readonly=False)
    reconquete_calibration_html = fields.Html(
        string="Calibration",
        compute="_compute_reconquete_calibration",
        sanitize=False,  # built here, every value escaped
    )
    reconquete_suggested_factor = fields.Float(
        string="Suggested Factor",
        compute="_compute_reconquete_calibration",
        digits=(4, 2),
        help="The alert factor that warns earliest while keeping false alarms within the accepted rate.",
    )
    reconquete_replay_summary = fields.Char(string="Replayed History", compute="_compute_reconquete_replay_summary")

    reconquete_default_user_id = fields.Many2one(
        related="company_id.reconquete_default_user_id",
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    reconquete_executive_user_id = fields.Many2one(
        related="company_id.reconquete_executive_user_id",
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )

    @api.depends("company_id", "reconquete_false_alarm_rate", "reconquete_at_risk_factor")
    def _compute_reconquete_calibration(self):
        calibration = self.env["reconquete.calibration"].sudo()
        for settings in self:
            rows = calibration.search([("company_id", "=", settings.company_id.id)])
            suggested = rows._suggested_factor(settings.reconquete_false_alarm_rate)
            settings.reconquete_suggested_factor = suggested or 0.0
            settings.reconquete_calibration_html = rows._html(
                settings.reconquete_at_risk_factor, suggested, settings.reconquete_false_alarm_rate
            )

    @api.depends("company_id")
    def _compute_reconquete_replay_summary(self):
        for settings in self:
            # A search, not _for_company: reading the settings creates nothing.
            state = self.env["reconquete.replay.state"].sudo().search([("company_id", "=", settings.company_id.id)])
            if state.replay_date:
                summary = self.env._(
                    "Replayed on %(date)s: %(lines)s stage changes and %(wins)s reconquests before the first logged "
                    "day of each client.",
                    date=format_date(self.env, state.replay_date),
                    lines=state.replayed_lines,
                    wins=state.replayed_wins,
                )
            else:
                summary = self.env._("Not replayed yet.")
            if state.requested or state.next_client_id:
                summary += " " + self.env._("A new replay is on its way: it runs after the day's analysis.")
            settings.reconquete_replay_summary = summary

    def action_reconquete_replay(self):
        """Rebuild the company's replayed history from its purchases (the scheduled action runs it)."""
        self.ensure_one()
        self.env["reconquete.client"]._check_reconquete_user(manager=True)
        self.env["reconquete.replay"]._request_replay(self.company_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "The history is being replayed from the purchases, after the day's analysis: the indicators "
                    "show it within minutes."
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "reload"},
            },
        }

    def action_reconquete_apply_factor(self):
        """Use the suggested alert factor: the analysis and the replay start over with it."""
        self.ensure_one()
        self.env["reconquete.client"]._check_reconquete_user(manager=True)
        if not self.reconquete_suggested_factor:
            raise UserError(self.env._("There is no calibration to apply yet: replay the history first."))
        self.company_id.write({"reconquete_at_risk_factor": self.reconquete_suggested_factor})
        return {"type": "ir.actions.client", "tag": "reload"}

    @api.model_create_multi
    def create(self, vals_list):
        # Related settings reach the company one field at a time, each checked
        # alone, while the lost delay is only valid together with the new
        # interval: write the company's rules in one go instead.
        setting_names = self.env["res.company"]._reconquete_setting_names()
        for vals in vals_list:
            rules = {name: vals.pop(name) for name in setting_names if name in vals}
            if rules:
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                company.write(rules)
        return super().create(vals_list)
