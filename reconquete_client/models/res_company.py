"""Per-company settings of the attrition rules, and their validation.

Every number has bounds that keep every date the rules compute valid; a bad
value is refused before it reaches the database, with a message naming the
value and what is allowed.
"""

import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..attrition_rules import Thresholds

# The purchase source of a company, and the model whose documents are its purchases.
SOURCE_MODELS = {"sale": "sale.order", "invoice": "account.move"}


class ResCompany(models.Model):
    _inherit = "res.company"

    reconquete_purchase_source = fields.Selection(
        selection=[
            ("sale", "Confirmed sale orders"),
            ("invoice", "Posted customer invoices, net of credit notes"),
        ],
        string="Purchases Counted From",
        default="sale",
        required=True,
        help="Which documents make a purchase: the date a sale order was confirmed, or the date of a posted "
        "customer invoice (credit notes reduce the revenue).",
    )
    reconquete_analysis_months = fields.Integer(
        string="Analysis Window (months)",
        default=24,
        help="How far back purchases are used to learn each client's rhythm.",
    )
    reconquete_revenue_months = fields.Integer(
        string="Revenue Window (months)",
        default=12,
        help="How far back revenue is summed for the revenue share and the revenue at risk.",
    )
    reconquete_min_purchase_days = fields.Integer(
        string="Purchase Days for a Rhythm",
        default=3,
        help="Below this number of purchase days in the analysis window, a client has no reliable rhythm yet and "
        "the default interval is used instead of its own.",
    )
    reconquete_default_interval = fields.Integer(
        string="Default Interval (days)",
        default=90,
        help="Days expected between two purchases of a client without a reliable rhythm.",
    )
    reconquete_watch_factor = fields.Float(
        string="To Watch After (x interval)",
        default=1.0,
        digits=(4, 2),
        help='A client goes to "To Watch" once its silence exceeds its interval times this factor.',
    )
    reconquete_at_risk_factor = fields.Float(
        string="To Win Back After (x interval)",
        default=1.5,
        digits=(4, 2),
        help='A client goes to "To Win Back" once its silence exceeds its interval times this factor: this is '
        "the client's alert threshold.",
    )
    reconquete_lost_days = fields.Integer(
        string="Lost After (days)",
        default=365,
        help="A client silent for longer than this, and beyond its own alert threshold, is lost.",
    )
    reconquete_solicitation_limit = fields.Integer(
        string="Unanswered Solicitations",
        default=3,
        help='A client that has not answered this many solicitations in a row goes to "To Win Back", whatever '
        "its rhythm.",
    )
    reconquete_strategic_share = fields.Float(
        string="Revenue Share Threshold (%)",
        default=5.0,
        digits=(5, 2),
        help="A client whose revenue over the revenue window reaches this percentage of the company's revenue is "
        "strategic.",
    )
    reconquete_strategic_years = fields.Integer(
        string="Minimum Relationship (years)",
        default=3,
        help="A client buying for at least this many years, with a steady rhythm, is strategic.",
    )
    reconquete_steady_max_variation = fields.Float(
        string="Max. Variation of a Steady Rhythm",
        default=1.0,
        digits=(4, 2),
        help="A rhythm is steady when the spread of its intervals (standard deviation) is at most this multiple "
        "of its mean interval.",
    )
    reconquete_false_alarm_rate = fields.Float(
        string="Accepted False Alarms (%)",
        default=30.0,
        digits=(5, 1),
        help="The calibration suggests the alert factor that warns earliest while at most this share of its "
        "alerts are false alarms (clients who bought again on their own before being lost).",
    )
    reconquete_default_user_id = fields.Many2one(
        "res.users",
        string="Default Reconquest User",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Receives the reconquest activities of clients that have neither an active salesperson nor a sales "
        "team leader.",
    )
    reconquete_executive_user_id = fields.Many2one(
        "res.users",
        string="Executive",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="The company head, who personally calls strategic clients that are slipping away.",
    )

    @api.model
    def _reconquete_bounds(self):
        """{setting: (lowest, highest, is the lowest excluded)} of every number."""
        return {
            "reconquete_analysis_months": (1, 120, False),
            "reconquete_revenue_months": (1, 120, False),
            "reconquete_min_purchase_days": (2, 1000, False),
            "reconquete_default_interval": (1, 3650, False),
            "reconquete_watch_factor": (1.0, 10.0, False),
            "reconquete_at_risk_factor": (1.0, 10.0, False),
            "reconquete_lost_days": (1, 40000, False),
            "reconquete_solicitation_limit": (1, 100, False),
            "reconquete_strategic_share": (0.0, 100.0, True),
            "reconquete_strategic_years": (1, 50, False),
            "reconquete_steady_max_variation": (0.0, 100.0, True),
            "reconquete_false_alarm_rate": (0.0, 100.0, False),
        }

    def _reconquete_value_problem(self, name, value):
        """A message naming the setting, the value and the allowed range, or None."""
        lowest, highest, open_below = self._reconquete_bounds()[name]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            too_low = value <= lowest if open_below else value < lowest
            if not too_low and value <= highest:
                return None
        label = self._fields[name]._description_string(self.env)
        if open_below:
            return self.env._(
                '"%(setting)s" must be above %(lowest)s and at most %(highest)s (got %(value)s).',
                setting=label,
                lowest=lowest,
                highest=highest,
                value=value,
            )
        return self.env._(
            '"%(setting)s" must be between %(lowest)s and %(highest)s (got %(value)s).',
            setting=label,
            lowest=lowest,
            highest=highest,
            value=value,
        )

    @api.constrains(
        "reconquete_analysis_months",
        "reconquete_revenue_months",
        "reconquete_min_purchase_days",
        "reconquete_default_interval",
        "reconquete_watch_factor",
        "reconquete_at_risk_factor",
        "reconquete_lost_days",
        "reconquete_solicitation_limit",
        "reconquete_strategic_share",
        "reconquete_strategic_years",
        "reconquete_steady_max_variation",
        "reconquete_false_alarm_rate",
    )
    def _check_reconquete_settings(self):
        for company in self:
            problem = company._reconquete_settings_problem()
            if problem:
                raise ValidationError(problem)

    def _reconquete_settings_problem(self):
        """A message naming the first bad setting and what is allowed, or None."""
        self.ensure_one()
        for name in self._reconquete_bounds():
            problem = self._reconquete_value_problem(name, self[name])
            if problem:
                return problem
        if self.reconquete_at_risk_factor < self.reconquete_watch_factor:
            return self.env._(
                '"To Win Back After" must be at least "To Watch After", %(minimum)s (got %(value)s).',
                minimum=self.reconquete_watch_factor,
                value=self.reconquete_at_risk_factor,
            )
        alert_threshold = self.reconquete_default_interval * self.reconquete_at_risk_factor
        if self.reconquete_lost_days <= alert_threshold:
            return self.env._(
                '"Lost After" must be longer than the alert threshold of a client without a rhythm, %(threshold)s '
                'days (default interval x "To Win Back After") (got %(value)s days).',
                threshold=round(alert_threshold, 1),
                value=self.reconquete_lost_days,
            )
        return None

    def _reconquete_thresholds(self):
        """The company's settings as the attrition rules expect them."""
        self.ensure_one()
        return Thresholds(
            analysis_months=self.reconquete_analysis_months,
            revenue_months=self.reconquete_revenue_months,
            min_purchase_days=self.reconquete_min_purchase_days,
            default_interval=self.reconquete_default_interval,
            watch_factor=self.reconquete_watch_factor,
            at_risk_factor=self.reconquete_at_risk_factor,
            lost_days=self.reconquete_lost_days,
            solicitation_limit=self.reconquete_solicitation_limit,
            strategic_share=self.reconquete_strategic_share,
            strategic_years=self.reconquete_strategic_years,
            steady_max_variation=self.reconquete_steady_max_variation,
        )

    def _reconquete_source_model(self):
        """The model whose documents are this company's purchases (extend SOURCE_MODELS for another source)."""
        self.ensure_one()
        return SOURCE_MODELS[self.reconquete_purchase_source]

    def write(self, vals):
        # Out-of-range numbers are refused here, before the database does it with a
        # low-level error (an integer past 2^31, say).
        for name in self._reconquete_bounds().keys() & vals.keys():
            problem = self._reconquete_value_problem(name, vals[name])
            if problem:
                raise ValidationError(problem)
        rule_names = [name for name in self._reconquete_rule_names() if name in vals]
        changed = self.filtered(
            lambda company: any(
                company._fields[name].convert_to_write(company[name], company) != vals[name] for name in rule_names
            )
        )
        res = super().write(vals)
        if changed:
            # New rules or a new purchase source: redo today's analysis from scratch,
            # then the replayed history with the same rules.
            self.env["reconquete.analysis"]._restart_analysis(changed)
            self.env["reconquete.replay"]._request_replay(changed)
        return res

    @api.model
    def _reconquete_setting_names(self):
        """Every reconquest setting an administrator edits."""
        return [name for name in self._fields if name.startswith("reconquete_")]

    @api.model
    def _reconquete_rule_names(self):
        """The settings that change figures or stages (not who receives activities, nor the calibration's goal)."""
        others = {"reconquete_default_user_id", "reconquete_executive_user_id", "reconquete_false_alarm_rate"}
        return [name for name in self._reconquete_setting_names() if name not in others]
