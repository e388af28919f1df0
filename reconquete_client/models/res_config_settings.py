"""The "Reconquête" block of Settings: the company's attrition rules."""

from odoo import api, fields, models


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
