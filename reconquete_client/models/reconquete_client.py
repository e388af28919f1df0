"""A client's reconquest file in one company: its figures, its stage, the work on it.

One row per commercial partner and company, written by the analysis only
(``reconquete.analysis``), in SQL, in its own narrow table: the nightly batch
never writes ``res_partner``, the busiest table of an Odoo database, and every
question the job asks ("whose alert falls today?") is an index lookup. Users
read it through the Reconquête groups and change the parts that are theirs
(departure reason, snooze, exclusion, the manager's strategic override) only
through the actions below, which check the rights and sign the chatter.
Reconquest activities and notes live on this record, so they follow its
company rule.
"""

from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.misc import format_date

from .. import attrition_rules

REASON_SELECTION = [
    (attrition_rules.REASON_SHARE, "Large share of revenue"),
    (attrition_rules.REASON_RELATIONSHIP, "Long relationship with a steady rhythm"),
    (attrition_rules.REASON_BOTH, "Large share of revenue and long relationship"),
    (attrition_rules.REASON_MANAGER, "Set by a manager"),
]
OVERRIDE_SELECTION = [
    (attrition_rules.OVERRIDE_AUTO, "Automatic"),
    (attrition_rules.OVERRIDE_ON, "Always strategic"),
    (attrition_rules.OVERRIDE_OFF, "Never strategic"),
]


class ReconqueteClient(models.Model):
    _name = "reconquete.client"
    _description = "Reconquest"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    # Who to call first: an overdue activity, then the longest past its alert
    # threshold, strategic clients first on a tie (see _field_to_sql).
    _order = "urgency, id"
    _rec_name = "partner_id"
    _check_company_auto = True
    # Whoever may read the file may work on it: post, email, plan activities.
    _mail_post_access = "read"
    # The activity menu opens reconquests on the board.
    _systray_view = "kanban"

    partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        required=True,
        readonly=True,
        ondelete="cascade",
        bypass_search_access=True,
    )
    # Both are searched through the composite indexes below, which start with them.
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        related="partner_id.user_id",
        string="Salesperson",
        store=True,
        help="The client's salesperson, who receives its reconquest activities.",
    )
    phone = fields.Char(related="partner_id.phone")
    email = fields.Char(related="partner_id.email")

    # ---- Written by the analysis only ---------------------------------
    stage_id = fields.Many2one(
        "reconquete.stage",
        string="Attrition Stage",
        readonly=True,
        ondelete="restrict",
        group_expand="_read_group_expand_full",
        help="Where the client stands against its own buying rhythm; updated every night.",
    )
    stage_code = fields.Selection(related="stage_id.code")
    stage_date = fields.Date(string="In Stage Since", readonly=True)
    purchase_days = fields.Integer(
        readonly=True,
        help="Days with at least one purchase over the analysis window (several orders on the same day count once).",
    )
    first_purchase_date = fields.Date(
        string="First Purchase", readonly=True, help="Day of the client's first purchase."
    )
    last_purchase_date = fields.Date(
        string="Last Purchase", readonly=True, help="Day of the client's most recent purchase."
    )
    mean_interval = fields.Float(
        string="Mean Interval (days)",
        readonly=True,
        digits=(16, 1),
        help="Mean number of days between two purchase days over the analysis window.",
    )
    median_interval = fields.Float(
        string="Median Interval (days)",
        readonly=True,
        digits=(16, 1),
        help="Middle value of the days between two purchase days: unlike the mean, one unusually long pause "
        "barely moves it.",
    )
    interval_spread = fields.Float(
        string="Spread of Intervals (days)",
        readonly=True,
        digits=(16, 1),
        help="How much the intervals between purchase days vary around their mean (standard deviation): small "
        "for a steady client.",
    )
    reference_interval = fields.Float(
        string="Usual Interval (days)",
        readonly=True,
        digits=(16, 1),
        help="The interval silence is measured against: the client's mean interval when it has enough purchase "
        "days, otherwise the company's default interval.",
    )
    expected_date = fields.Date(
        string="Expected Next Purchase", readonly=True, help="Last purchase plus the usual interval."
    )
    watch_date = fields.Date(
        string="To Watch From", readonly=True, help='The day the client goes to "To Watch" if it buys nothing.'
    )
    alert_date = fields.Date(
        string="Alert From",
        readonly=True,
        help='The day the client goes to "To Win Back" if it buys nothing: its alert threshold.',
    )
    lost_date = fields.Date(string="Lost From", readonly=True, help='The day the client is "Lost" if it buys nothing.')
    next_review_date = fields.Date(
        readonly=True,
        help="Technical: the first day the stage or the strategic flag changes without a new purchase; the "
        "nightly job looks only at the clients due that day.",
    )
    revenue = fields.Monetary(
        string="Revenue (revenue window)",
        readonly=True,
        help="Untaxed revenue over the revenue window, in the company's currency, net of credit notes when "
        "purchases are counted from invoices.",
    )
    unanswered_count = fields.Integer(
        string="Unanswered Solicitations",
        readonly=True,
        help="Emails sent to the client and calls marked 'No answer' since its last purchase or its last message "
        'to us. At the company\'s limit (3 by default) the client goes to "To Win Back".',
    )
    is_strategic = fields.Boolean(
        string="Strategic",
        readonly=True,
        help="A client to care for first: large share of revenue, long relationship with a steady rhythm, or set "
        "by a manager.",
    )
    strategic_reason = fields.Selection(REASON_SELECTION, string="Strategic Because", readonly=True)

    # ---- Changed by users, through the actions --------------------------
    strategic_override = fields.Selection(
        OVERRIDE_SELECTION,
        string="Strategic Flag",
        default=attrition_rules.OVERRIDE_AUTO,
        required=True,
        readonly=True,
        help='"Automatic" follows the rules; a manager can force the flag on or off.',
    )
    departure_reason_id = fields.Many2one(
        "reconquete.departure.reason",
        readonly=True,
        help="Why the client stopped buying, as the client said it.",
    )
    departure_follow_up = fields.Selection(related="departure_reason_id.follow_up")
    departure_note = fields.Text(string="Departure Details", readonly=True)
    snoozed_until = fields.Date(
        readonly=True,
        help="No reconquest activity before this day (the client said it orders later).",
    )
    excluded = fields.Boolean(
        readonly=True,
        help="The client gets no reconquest activity (business closed, or a manager's decision).",
    )
    pause_reason = fields.Char(readonly=True)
    unplanned_entry_date = fields.Date(
        readonly=True,
        help="Technical: the stage entry (its date) the client was in when the addon was installed; it gets no "
        "automatic activity, managers schedule those reconquests themselves.",
    )

    reconquest_ids = fields.One2many("reconquete.reconquest", "client_id", string="Reconquests", readonly=True)
    history_ids = fields.One2many("reconquete.stage.history", "client_id", string="Stage History", readonly=True)
    next_activity_date = fields.Date(
        readonly=True,
        help="Due date of the earliest open activity on this reconquest (kept by the activities themselves).",
    )
    urgency = fields.Integer(
        compute="_compute_urgency",
        help="Technical: the order of the board (overdue activity first, then days past the alert threshold, "
        "strategic clients first on a tie).",
    )

    # ---- Figures that move every day: computed on read ----------------
    silence_days = fields.Integer(
        string="Days of Silence",
        compute="_compute_silence_days",
        search="_search_silence_days",
        help="Days since the last purchase.",
    )
    interval_days = fields.Integer(
        string="Usual Interval", compute="_compute_silence_days", help="The usual interval in whole days."
    )
    revenue_share = fields.Float(
        string="Share of Revenue (%)",
        compute="_compute_revenue_share",
        search="_search_revenue_share",
        digits=(16, 2),
        help="The client's revenue as a percentage of the company's revenue over the revenue window.",
    )
    relationship_years = fields.Float(
        string="Client For (years)",
        compute="_compute_relationship_years",
        digits=(16, 1),
        help="Years since the first purchase.",
    )

    _partner_company_unique = models.UniqueIndex(
        "(partner_id, company_id)", "A client has one reconquest file per company."
    )
    # "Who changes stage today?" as an index lookup.
    _next_review_idx = models.Index("(company_id, next_review_date)")
    # A board column (its count, then its first cards) reads its own clients instead of
    # the whole table: 73 ms to 29 ms for "To Win Back" at size S, for 2% more on a full
    # pass (README: Performance). No other index: each one costs on every nightly write.
    _board_column_idx = models.Index("(company_id, stage_id)")

    @api.model
    def _today(self):
        """The day of the analysis, and of every figure users see (the server's UTC date)."""
        return fields.Date.today()

    @api.depends("last_purchase_date", "reference_interval")
    def _compute_silence_days(self):
        today = self._today()
        for client in self:
            last = client.last_purchase_date
            client.silence_days = (today - last).days if last else 0
            client.interval_days = round(client.reference_interval)

    def _search_silence_days(self, operator, value):
        # silence > n  <=>  last purchase < today - n: the comparison flips.
        flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
        if operator not in flipped:
            return NotImplemented
        return Domain("last_purchase_date", flipped[operator], self._today() - timedelta(days=value))

    @api.depends("revenue", "company_id")
    def _compute_revenue_share(self):
        totals = self.env["reconquete.analysis.state"]._revenue_totals(self.company_id)
        for client in self:
            total = totals.get(client.company_id.id, 0.0)
            client.revenue_share = max(0.0, 100.0 * client.revenue / total) if total > 0 else 0.0

    def _search_revenue_share(self, operator, value):
        if operator not in (">", ">=", "<", "<="):
            return NotImplemented
        totals = self.env["reconquete.analysis.state"]._revenue_totals(self.env.companies)
        return Domain.OR(
            Domain("company_id", "=", company_id) & Domain("revenue", operator, value * total / 100.0)
            for company_id, total in totals.items()
            if total > 0
        )

    def _compute_urgency(self):
        # Only an order: the value itself is computed in SQL (_field_to_sql).
        for client in self:
            client.urgency = 0

    def _field_to_sql(self, alias, field_expr, query=None):
        if field_expr != "urgency":
            return super()._field_to_sql(alias, field_expr, query)
        column = lambda name: SQL.identifier(alias, name)  # noqa: E731
        return SQL(
            "ROW(CASE WHEN %s < %s THEN 0 ELSE 1 END, %s, NOT COALESCE(%s, FALSE))",
            column("next_activity_date"),
            self._today(),
            column("alert_date"),
            column("is_strategic"),
        )

    @api.depends("first_purchase_date")
    def _compute_relationship_years(self):
        today = self._today()
        for client in self:
            first = client.first_purchase_date
            client.relationship_years = (today - first).days / 365.25 if first else 0.0

    # ------------------------------------------------------------------
    # Chatter
    # ------------------------------------------------------------------

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        """Whoever may read the file may add its followers.

        Planning an activity for a colleague makes them follow the file, which
        mail allows only with write access, and only the analysis writes files.
        """
        self.check_access("read")
        return super(ReconqueteClient, self.sudo()).message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    # ------------------------------------------------------------------
    # Actions: the only ways users change a file
    # ------------------------------------------------------------------

    def _check_reconquete_user(self, manager=False):
        """The user works on these files: Reconquête group, and read access to each."""
        group = "reconquete_client.group_reconquete_manager" if manager else "reconquete_client.group_reconquete_user"
        if not self.env.user.has_group(group):
            raise AccessError(
                self.env._("Only Reconquête managers can do this.")
                if manager
                else self.env._("Only Reconquête users can do this.")
            )
        self.check_access("read")

    def _log_note(self, body):
        """One note per file, signed by the user, in one batch."""
        note = Markup("<p>%s</p>") % body
        self.sudo()._message_log_batch(dict.fromkeys(self.ids, note), author_id=self.env.user.partner_id.id)

    def action_analyse(self):
        """Recompute the figures and stage of these clients now, and say what changed."""
        self._check_reconquete_user(manager=True)
        return self.env["reconquete.analysis"]._refresh_files(self)

    def action_schedule(self):
        """Schedule the reconquest activities of these clients now."""
        self._check_reconquete_user(manager=True)
        created = self.env["reconquete.scheduler"]._schedule_manually(self)
        return self._notification(
            self.env._(
                "Reconquest activities scheduled: %(count)s (selected clients: %(clients)s).",
                count=len(created),
                clients=len(self),
            ),
            "success" if created else "warning",
        )

    def action_no_answer(self):
        """The client did not answer: count a solicitation, close its call, offer to plan the next try."""
        self.ensure_one()
        self._check_reconquete_user()
        closed = self.env["reconquete.scheduler"]._record_no_answer(self)
        if not self.stage_id.activity_type_id:
            return True
        # Like "Done & Schedule Next": the same kind of activity, due when the stage asks.
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Plan the Next Try"),
            "res_model": "mail.activity",
            "view_mode": "form",
            "views": [(self.env.ref("mail.mail_activity_view_form_popup").id, "form")],
            "target": "new",
            "context": {
                "default_res_model": self._name,
                "default_res_id": self.id,
                "default_activity_type_id": self.stage_id.activity_type_id.id,
                "default_date_deadline": fields.Date.to_string(self._activity_due_date()),
                "default_user_id": (closed.user_id or self.user_id or self.env.user).id,
                "default_summary": self.stage_id.activity_type_id.summary,
            },
        }

    def action_snooze(self):
        return self._open_wizard("reconquete.pause.wizard", self.env._("Snooze Reconquest"), {"default_mode": "snooze"})

    def action_exclude(self):
        return self._open_wizard(
            "reconquete.pause.wizard", self.env._("Exclude from Reconquest"), {"default_mode": "exclude"}
        )

    def action_record_departure(self):
        return self._open_wizard("reconquete.departure.wizard", self.env._("Departure Reason"), {})

    def action_assign(self):
        self._check_reconquete_user(manager=True)
        return self._open_wizard("reconquete.assign.wizard", self.env._("Assign a Salesperson"), {})

    def action_change_strategic_flag(self):
        self._check_reconquete_user(manager=True)
        return self._open_wizard("reconquete.strategic.wizard", self.env._("Strategic Flag"), {})

    def action_resume(self):
        """End a snooze or an exclusion: the client gets its reconquest activities again."""
        self._check_reconquete_user()
        paused = self.filtered(lambda client: client.snoozed_until or client.excluded)
        paused._pause(resume=True)
        return True

    @api.model
    def _board_action(self):
        """The board, opened on what the user works on: all clients for managers, the team's for
        team leaders, their own for salespeople."""
        action = self.env["ir.actions.act_window"]._for_xml_id("reconquete_client.reconquete_client_action")
        user = self.env.user
        if user.has_group("reconquete_client.group_reconquete_manager"):
            action["context"] = {}
        elif self.env["crm.team"].search_count([("user_id", "=", user.id)], limit=1):
            action["context"] = {"search_default_my_team": 1}
        else:
            action["context"] = {"search_default_my_clients": 1}
        return action

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }

    def _open_wizard(self, model, name, context):
        self._check_reconquete_user()
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "name": name,
            "context": {**context, "default_client_ids": self.ids},
        }

    def _notification(self, message, kind="success"):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": kind, "next": {"type": "ir.actions.act_window_close"}},
        }

    def _pause(self, snoozed_until=False, excluded=False, reason="", resume=False):
        """Snooze, exclude or resume, saying who and why in the chatter, and what became of the activities."""
        self._check_reconquete_user()
        if excluded and not self.env.user.has_group("reconquete_client.group_reconquete_manager"):
            closed_business = self.env.ref("reconquete_client.departure_reason_closed", raise_if_not_found=False)
            if not closed_business or self.departure_reason_id != closed_business:
                raise AccessError(
                    self.env._(
                        'Only Reconquête managers can exclude a client, unless its departure reason is "%(reason)s".',
                        reason=closed_business.name if closed_business else "",
                    )
                )
        if snoozed_until and snoozed_until <= self._today():
            raise ValidationError(
                self.env._(
                    "A snooze needs a day after today (got %(value)s).", value=format_date(self.env, snoozed_until)
                )
            )
        user = self.env.user.name
        if resume:
            body = self.env._("Reconquest resumed by %(user)s.", user=user)
        elif excluded:
            body = self.env._("Excluded from reconquest by %(user)s: %(reason)s", user=user, reason=reason)
        else:
            body = self.env._(
                "Reconquest snoozed until %(date)s by %(user)s: %(reason)s",
                date=format_date(self.env, snoozed_until),
                user=user,
                reason=reason,
            )
        # sudo: the fields are read-only for everybody, this path alone changes them.
        self.sudo().write({"snoozed_until": snoozed_until, "excluded": excluded, "pause_reason": reason})
        scheduler = self.env["reconquete.scheduler"]
        if resume:
            outcome = scheduler._resume_activities(self)
        elif excluded:
            outcome = scheduler._cancel_activities(self, self.env._("excluded from reconquest"))
        else:
            outcome = scheduler._postpone_activities(self, snoozed_until)
        for client in self:
            client._log_note(Markup("%s %s") % (body, outcome.get(client.id, "")))

    def _set_departure(self, reason, note):
        self._check_reconquete_user()
        self.sudo().write({"departure_reason_id": reason.id, "departure_note": note})
        for client in self:
            client._log_note(
                self.env._(
                    "Departure reason recorded by %(user)s: %(reason)s. %(note)s",
                    user=self.env.user.name,
                    reason=reason.name,
                    note=note or "",
                )
            )
        if reason.follow_up == "exclude":
            self.filtered(lambda client: not client.excluded)._pause(excluded=True, reason=reason.name)

    def _set_strategic_override(self, override):
        self._check_reconquete_user(manager=True)
        labels = dict(self._fields["strategic_override"]._description_selection(self.env))
        changed = self.filtered(lambda client: client.strategic_override != override)
        changed.sudo().write({"strategic_override": override})
        changed._log_note(
            self.env._("Strategic flag set to %(flag)s by %(user)s.", flag=labels[override], user=self.env.user.name)
        )
        # The flag follows the override at once, not at tomorrow's analysis.
        for company, clients in changed.grouped("company_id").items():
            self.env["reconquete.analysis"]._analyse_files(clients, company)

    def _reassign(self, user):
        """Give these clients to another salesperson (their open activities follow, see res.partner)."""
        self._check_reconquete_user(manager=True)
        self.partner_id.sudo().write({"user_id": user.id})

    def _activity_due_date(self, stage=None, activity_type=None):
        """When an activity (by default the stage's) is due if planned today: after its type's delay."""
        activity_type = activity_type or (stage or self.stage_id).activity_type_id
        return activity_type._get_date_deadline()
