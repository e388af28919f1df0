"""A client's buying rhythm, strategic flag and attrition stage, per company.

Every figure is ``company_dependent``: a partner shared between companies has
independent figures in each, and the user sees those of the current company.
None is indexed (Odoo indexes company-dependent columns by default): searches
read the current company's key inside the jsonb, which such an index cannot
serve, while each index slows every write of a client (see benchmark/).
The daily analysis (``reconquete.analysis``) writes them in SQL; they are
read-only here except the manager's strategic override.
"""

from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools.misc import format_date

from .. import attrition_rules

REASON_SELECTION = [
    (attrition_rules.REASON_SHARE, "Large share of revenue"),
    (attrition_rules.REASON_RELATIONSHIP, "Long relationship with a steady rhythm"),
    (attrition_rules.REASON_BOTH, "Large share of revenue and long relationship"),
    (attrition_rules.REASON_MANAGER, "Set by a manager"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    reconquete_purchase_days = fields.Integer(
        string="Purchase Days",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Days with at least one purchase over the analysis window (several orders on the same day count once).",
    )
    reconquete_first_purchase_date = fields.Date(
        string="First Purchase",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Day of the client's first purchase ever.",
    )
    reconquete_last_purchase_date = fields.Date(
        string="Last Purchase",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Day of the client's most recent purchase.",
    )
    reconquete_mean_interval = fields.Float(
        string="Mean Interval (days)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="Mean number of days between two purchase days over the analysis window.",
    )
    reconquete_median_interval = fields.Float(
        string="Median Interval (days)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="Middle value of the days between two purchase days: unlike the mean, "
        "one unusually long pause barely moves it.",
    )
    reconquete_interval_spread = fields.Float(
        string="Spread of Intervals (days)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="How much the intervals between purchase days vary around their mean (standard deviation): "
        "small for a steady client.",
    )
    reconquete_reference_interval = fields.Float(
        string="Usual Interval (days)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 1),
        help="The interval silence is measured against: the client's mean interval when it has "
        "enough purchase days, otherwise the company's default interval.",
    )
    reconquete_expected_date = fields.Date(
        string="Expected Next Purchase",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Last purchase plus the usual interval.",
    )
    reconquete_revenue = fields.Float(
        string="Revenue (revenue window)",
        company_dependent=True,
        index=False,
        readonly=True,
        digits=(16, 2),
        help="Untaxed revenue over the revenue window, in the company's currency, "
        "net of credit notes when purchases are counted from invoices.",
    )
    reconquete_is_strategic = fields.Boolean(
        string="Strategic Client",
        company_dependent=True,
        index=False,
        readonly=True,
        help="A client to care for first: large share of revenue, long relationship with a "
        "steady rhythm, or set by a manager.",
    )
    reconquete_strategic_reason = fields.Selection(
        selection=REASON_SELECTION,
        string="Strategic Because",
        company_dependent=True,
        index=False,
        readonly=True,
    )
    reconquete_strategic_override = fields.Selection(
        selection=[
            (attrition_rules.OVERRIDE_AUTO, "Automatic"),
            (attrition_rules.OVERRIDE_ON, "Always strategic"),
            (attrition_rules.OVERRIDE_OFF, "Never strategic"),
        ],
        string="Strategic Flag",
        company_dependent=True,
        index=False,
        groups="reconquete_client.group_reconquete_manager",
        help='"Automatic" follows the rules; a manager can force the flag on or off.',
    )
    reconquete_stage_id = fields.Many2one(
        comodel_name="reconquete.stage",
        string="Attrition Stage",
        company_dependent=True,
        index=False,
        readonly=True,
        group_expand="_read_group_expand_full",
        help="Where the client stands against its own buying rhythm; updated every day.",
    )
    reconquete_stage_code = fields.Selection(related="reconquete_stage_id.code", string="Attrition Stage Code")
    reconquete_stage_date = fields.Date(
        string="In Stage Since",
        company_dependent=True,
        index=False,
        readonly=True,
    )
    reconquete_unanswered_count = fields.Integer(
        string="Unanswered Solicitations",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Emails sent to the client from its chatter (or its contacts') and calls marked "
        "'No answer' since its last purchase or its last message to us. At the company's limit "
        '(3 by default) the client goes to "To Win Back".',
    )
    reconquete_departure_reason_id = fields.Many2one(
        comodel_name="reconquete.departure.reason",
        string="Departure Reason",
        company_dependent=True,
        index=False,
        groups="reconquete_client.group_reconquete_user",
        help="Why the client stopped buying, as the client said it.",
    )
    reconquete_departure_follow_up = fields.Selection(related="reconquete_departure_reason_id.follow_up")
    reconquete_departure_note = fields.Text(
        string="Departure Details",
        company_dependent=True,
        index=False,
        groups="reconquete_client.group_reconquete_user",
    )
    reconquete_snoozed_until = fields.Date(
        string="Reconquest Snoozed Until",
        company_dependent=True,
        index=False,
        readonly=True,
        help="No reconquest activity before this day (the client said it orders later).",
    )
    reconquete_excluded = fields.Boolean(
        string="Excluded from Reconquest",
        company_dependent=True,
        index=False,
        readonly=True,
        help="The client gets no reconquest activity (business closed, or a manager's decision).",
    )
    reconquete_pause_reason = fields.Char(
        string="Pause Reason",
        company_dependent=True,
        index=False,
        readonly=True,
    )
    reconquete_activities_stage_date = fields.Date(
        string="Activities Scheduled for Stage Entry",
        company_dependent=True,
        index=False,
        readonly=True,
        help="Technical: the stage entry whose reconquest activities were scheduled.",
    )
    reconquete_reconquest_ids = fields.One2many(
        comodel_name="reconquete.reconquest",
        inverse_name="partner_id",
        string="Reconquests",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        readonly=True,
    )
    reconquete_stage_history_ids = fields.One2many(
        comodel_name="reconquete.stage.history",
        inverse_name="partner_id",
        string="Stage History",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        readonly=True,
    )
    # Figures that move every day are computed on read, not stored: storing
    # them would rewrite every client daily.
    reconquete_silence_days = fields.Integer(
        string="Days of Silence",
        compute="_compute_reconquete_silence_days",
        search="_search_reconquete_silence_days",
        help="Days since the last purchase.",
    )
    reconquete_interval_days = fields.Integer(
        string="Usual Interval",
        compute="_compute_reconquete_silence_days",
        help="The usual interval rounded to whole days.",
    )
    reconquete_silence_ratio = fields.Float(
        string="Silence vs Usual Interval (%)",
        compute="_compute_reconquete_silence_days",
        help="Days of silence as a percentage of the usual interval: above 100% the client is late.",
    )
    reconquete_currency_id = fields.Many2one(
        "res.currency", string="Company Currency", compute="_compute_reconquete_revenue_share"
    )
    reconquete_revenue_share = fields.Float(
        string="Share of Revenue (%)",
        compute="_compute_reconquete_revenue_share",
        search="_search_reconquete_revenue_share",
        digits=(16, 2),
        help="The client's revenue as a percentage of the company's revenue over the revenue window.",
    )
    reconquete_relationship_years = fields.Float(
        string="Client For (years)",
        compute="_compute_reconquete_relationship_years",
        digits=(16, 1),
        help="Years since the first purchase.",
    )

    @api.depends("reconquete_last_purchase_date", "reconquete_reference_interval")
    @api.depends_context("company")
    def _compute_reconquete_silence_days(self):
        today = fields.Date.context_today(self)
        for partner in self:
            last = partner.reconquete_last_purchase_date
            silence = (today - last).days if last else 0
            interval = partner.reconquete_reference_interval
            partner.reconquete_silence_days = silence
            partner.reconquete_interval_days = round(interval)
            partner.reconquete_silence_ratio = 100.0 * silence / interval if last and interval else 0.0

    def _search_reconquete_silence_days(self, operator, value):
        # silence > n  <=>  last purchase < today - n: the comparison flips.
        flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
        if operator not in flipped:
            return NotImplemented
        today = fields.Date.context_today(self)
        return Domain("reconquete_last_purchase_date", flipped[operator], today - timedelta(days=value))

    @api.depends("reconquete_revenue")
    @api.depends_context("company")
    def _compute_reconquete_revenue_share(self):
        company = self.env.company
        total = company.reconquete_revenue_total
        for partner in self:
            partner.reconquete_currency_id = company.currency_id
            partner.reconquete_revenue_share = 100.0 * partner.reconquete_revenue / total if total > 0 else 0.0

    def _search_reconquete_revenue_share(self, operator, value):
        if operator not in (">", ">=", "<", "<="):
            return NotImplemented
        total = self.env.company.reconquete_revenue_total
        if total <= 0:
            return Domain.FALSE
        return Domain("reconquete_revenue", operator, value * total / 100.0)

    @api.depends("reconquete_first_purchase_date")
    @api.depends_context("company")
    def _compute_reconquete_relationship_years(self):
        today = fields.Date.context_today(self)
        for partner in self:
            first = partner.reconquete_first_purchase_date
            partner.reconquete_relationship_years = (today - first).days / 365.25 if first else 0.0

    def write(self, vals):
        res = super().write(vals)
        if "reconquete_strategic_override" in vals:
            # The flag follows the override at once, not at tomorrow's analysis.
            self.env["reconquete.analysis"]._analyse_clients(self.commercial_partner_id, self.env.company)
        if vals.get("reconquete_departure_reason_id"):
            reason = self.env["reconquete.departure.reason"].browse(vals["reconquete_departure_reason_id"])
            if reason.follow_up == "exclude":
                self.filtered(lambda partner: not partner.reconquete_excluded)._reconquete_pause(
                    excluded=True, reason=reason.name
                )
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_reconquete_group(self, manager=False):
        if manager and not self.env.user.has_group("reconquete_client.group_reconquete_manager"):
            raise AccessError(self.env._("Only Reconquête managers can do this."))
        if not self.env.user.has_group("reconquete_client.group_reconquete_user"):
            raise AccessError(self.env._("Only Reconquête users can do this."))

    def action_reconquete_analyse(self):
        """Recompute figures and stages of the selected clients now."""
        self._check_reconquete_group(manager=True)
        analysis = self.env["reconquete.analysis"]
        for company in self.env.companies:
            analysis._refresh_clients(self.commercial_partner_id, company)
        return True

    def action_reconquete_schedule(self):
        """Schedule the reconquest activities of the selected clients now."""
        self._check_reconquete_group(manager=True)
        scheduler = self.env["reconquete.scheduler"]
        created = scheduler._schedule_manually(self.commercial_partner_id, self.env.company)
        message = self.env._(
            "Reconquest activities scheduled: %(count)s (selected clients: %(clients)s).",
            count=len(created),
            clients=len(self.commercial_partner_id),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "success" if created else "warning",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_reconquete_no_answer(self):
        """Record a solicitation that got no answer (closing the open reconquest call)."""
        self.ensure_one()
        self._check_reconquete_group()
        client = self.commercial_partner_id
        company = self.env.company
        subtype = self.env.ref("reconquete_client.mt_reconquete_no_answer")
        open_activities = self.env["reconquete.scheduler"]._open_reconquest_activities(client, company)
        if open_activities:
            activity = open_activities.sorted("date_deadline")[0]
            message = self.env["mail.message"].browse(activity.action_feedback(feedback=self.env._("No answer")))
            message.sudo().subtype_id = subtype
        else:
            client.message_post(body=self.env._("No answer to a solicitation."), subtype_id=subtype.id)
        self.env["reconquete.analysis"]._refresh_clients(client, company)
        return True

    def action_reconquete_snooze(self):
        return self._reconquete_pause_wizard("snooze")

    def action_reconquete_exclude(self):
        return self._reconquete_pause_wizard("exclude")

    def action_reconquete_resume(self):
        """End a snooze or an exclusion: the client gets reconquest activities again."""
        self.commercial_partner_id._reconquete_pause(resume=True)
        return True

    def _reconquete_pause_wizard(self, mode):
        return {
            "type": "ir.actions.act_window",
            "res_model": "reconquete.pause.wizard",
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Snooze Reconquest") if mode == "snooze" else self.env._("Exclude from Reconquest"),
            "context": {"default_mode": mode, "default_partner_ids": self.commercial_partner_id.ids},
        }

    def _reconquete_pause(self, snoozed_until=False, excluded=False, reason="", resume=False):
        """Snooze, exclude or resume the clients in the current company, saying who and why in the chatter."""
        self._check_reconquete_group()
        values = {
            "reconquete_snoozed_until": snoozed_until,
            "reconquete_excluded": excluded,
            "reconquete_pause_reason": reason,
        }
        if resume:
            body = self.env._("Reconquest resumed by %(user)s.", user=self.env.user.name)
        elif excluded:
            body = self.env._(
                "Excluded from reconquest by %(user)s: %(reason)s", user=self.env.user.name, reason=reason
            )
        else:
            body = self.env._(
                "Reconquest snoozed until %(date)s by %(user)s: %(reason)s",
                date=format_date(self.env, snoozed_until),
                user=self.env.user.name,
                reason=reason,
            )
        # sudo: the fields are read-only in forms, only this path changes them.
        self.sudo().write(values)
        # One batch of notes, signed by the user, whatever the number of clients.
        note = Markup("<p>%s</p>") % body
        self._message_log_batch(dict.fromkeys(self.ids, note), author_id=self.env.user.partner_id.id)
