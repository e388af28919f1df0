"""Per-company settings of the attrition rules, and their validation."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..attrition_rules import Thresholds


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
        help="Which documents make a purchase: the date a sale order was confirmed, "
        "or the date of a posted customer invoice (credit notes reduce the revenue).",
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
        help="Below this number of purchase days in the analysis window, a client has no "
        "reliable rhythm yet and the default interval is used instead of its own.",
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
        help='A client goes to "To Win Back" once its silence exceeds its interval times this '
        "factor: this is the client's alert threshold.",
    )
    reconquete_lost_days = fields.Integer(
        string="Lost After (days)",
        default=365,
        help="A client silent for longer than this, and beyond its own alert threshold, is lost.",
    )
    reconquete_solicitation_limit = fields.Integer(
        string="Unanswered Solicitations",
        default=3,
        help="A client that has not answered this many solicitations in a row goes to "
        '"To Win Back", whatever its rhythm.',
    )
    reconquete_strategic_share = fields.Float(
        string="Revenue Share Threshold (%)",
        default=5.0,
        digits=(5, 2),
        help="A client whose revenue over the revenue window reaches this percentage of the "
        "company's revenue is strategic.",
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
        help="A rhythm is steady when the spread of its intervals (standard deviation) is at "
        "most this multiple of its mean interval.",
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
    # Bookkeeping of the daily analysis, not settings.
    reconquete_revenue_total = fields.Float(
        string="Revenue over the Revenue Window",
        readonly=True,
        help="Revenue of all clients over the revenue window, as of the last analysis.",
    )
    reconquete_analysis_date = fields.Date(
        string="Last Complete Analysis",
        readonly=True,
    )
    reconquete_next_client_id = fields.Integer(
        string="Analysis Resumes at Client",
        readonly=True,
        help="Technical: where an interrupted analysis resumes (0 when none is under way).",
    )
    reconquete_full_analysis_date = fields.Date(
        string="Last Full Analysis",
        readonly=True,
        help="Day of the last analysis that re-read every order; the daily runs in between re-read "
        "only the clients whose documents changed.",
    )
    reconquete_pass_is_full = fields.Boolean(
        string="Analysis Under Way Re-reads All", readonly=True, help="Technical: the analysis under way re-reads all."
    )
    reconquete_pass_started_at = fields.Datetime(
        string="Analysis Under Way Started At", readonly=True, help="Technical: start of the analysis under way."
    )
    reconquete_pass_message_id = fields.Integer(
        string="Last Message at Analysis Start",
        readonly=True,
        help="Technical: the last message when the analysis under way started.",
    )
    reconquete_changes_since = fields.Datetime(
        string="Documents Changed Since",
        readonly=True,
        help="Technical: documents written from this moment on are re-read by the next daily run.",
    )
    reconquete_messages_since_id = fields.Integer(
        string="Messages Read Up To",
        readonly=True,
        help="Technical: messages after this one are re-read by the next daily run.",
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
    )
    def _check_reconquete_settings(self):
        for company in self:
            problem = company._reconquete_settings_problem()
            if problem:
                raise ValidationError(problem)

    def _reconquete_settings_problem(self):
        """Return a message naming the first bad setting and what is allowed, or None."""
        self.ensure_one()
        if not 1 <= self.reconquete_analysis_months <= 120:
            return self.env._(
                "The analysis window must be between 1 and 120 months (got %(value)s).",
                value=self.reconquete_analysis_months,
            )
        if not 1 <= self.reconquete_revenue_months <= 120:
            return self.env._(
                "The revenue window must be between 1 and 120 months (got %(value)s).",
                value=self.reconquete_revenue_months,
            )
        if self.reconquete_min_purchase_days < 2:
            return self.env._(
                "A rhythm needs at least 2 purchase days (got %(value)s).",
                value=self.reconquete_min_purchase_days,
            )
        if self.reconquete_default_interval < 1:
            return self.env._(
                "The default interval must be at least 1 day (got %(value)s).",
                value=self.reconquete_default_interval,
            )
        if self.reconquete_watch_factor < 1:
            return self.env._(
                '"To Watch After" must be at least 1 (got %(value)s).',
                value=self.reconquete_watch_factor,
            )
        if self.reconquete_at_risk_factor < self.reconquete_watch_factor:
            return self.env._(
                '"To Win Back After" must be at least "To Watch After", %(minimum)s (got %(value)s).',
                minimum=self.reconquete_watch_factor,
                value=self.reconquete_at_risk_factor,
            )
        alert_threshold = self.reconquete_default_interval * self.reconquete_at_risk_factor
        if self.reconquete_lost_days <= alert_threshold:
            return self.env._(
                '"Lost After" must be longer than the alert threshold of a client without a rhythm, '
                '%(threshold)s days (default interval x "To Win Back After") (got %(value)s days).',
                threshold=round(alert_threshold, 1),
                value=self.reconquete_lost_days,
            )
        if self.reconquete_solicitation_limit < 1:
            return self.env._(
                "The number of unanswered solicitations must be at least 1 (got %(value)s).",
                value=self.reconquete_solicitation_limit,
            )
        if not 0 < self.reconquete_strategic_share <= 100:
            return self.env._(
                "The strategic revenue share must be above 0 and at most 100%% (got %(value)s).",
                value=self.reconquete_strategic_share,
            )
        if self.reconquete_strategic_years < 1:
            return self.env._(
                "The strategic relationship must last at least 1 year (got %(value)s).",
                value=self.reconquete_strategic_years,
            )
        if self.reconquete_steady_max_variation <= 0:
            return self.env._(
                "The steady rhythm variation must be above 0 (got %(value)s).",
                value=self.reconquete_steady_max_variation,
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

    def write(self, vals):
        rule_names = [name for name in self._reconquete_rule_names() if name in vals]
        changed = self.filtered(
            lambda company: any(
                company._fields[name].convert_to_write(company[name], company) != vals[name] for name in rule_names
            )
        )
        res = super().write(vals)
        if changed:
            # New rules or a new purchase source: redo today's analysis from scratch.
            self.env["reconquete.analysis"]._restart_analysis(changed)
        return res

    @api.model
    def _reconquete_setting_names(self):
        """Every reconquest setting an administrator edits."""
        return [name for name in self._fields if name.startswith("reconquete_") and not self._fields[name].readonly]

    @api.model
    def _reconquete_rule_names(self):
        """The settings that change figures or stages (not who receives activities)."""
        people = {"reconquete_default_user_id", "reconquete_executive_user_id"}
        return [name for name in self._reconquete_setting_names() if name not in people]
