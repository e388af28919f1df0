"""Reconquest work: activities for the right person when a client slips away,
and their closing when it comes back.

Scheduling is state-based, not event-based: a client in a stage that asks
for an activity, whose current stage entry has not been served yet, gets it.
So a job interrupted after the analysis catches up at its next call, and a
rerun finds nothing to do. The entry served is remembered on the client
(``reconquete_activities_stage_date``) in the same transaction as the
activities, and the database refuses a second open activity of a type.
"""

import logging
from collections import namedtuple
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_date, formatLang

from .. import attrition_rules

_logger = logging.getLogger(__name__)

# One activity to schedule: for which client and stage, of which type, for whom,
# and the client's last purchase document the note quotes.
Plan = namedtuple("Plan", ["client", "stage", "activity_type", "user", "document"])


class ReconqueteScheduler(models.AbstractModel):
    _name = "reconquete.scheduler"
    _description = "Reconquest Activity Scheduler"

    # Clients handled per transaction of the scheduled action.
    _batch_size = 500

    # ------------------------------------------------------------------
    # Which clients wait for their activities
    # ------------------------------------------------------------------

    @api.model
    def _pending_clients_sql(self, company, today, exclude_ids=(), client_ids=None):
        """WHERE clause on res_partner: clients whose stage entry awaits its activities."""
        stage_ids = self.env["reconquete.stage"].sudo().search([("activity_type_id", "!=", False)]).ids
        key = str(company.id)
        return SQL(
            """
                active
            AND (reconquete_stage_id ->> %(key)s)::int = ANY(%(stage_ids)s)
            AND (reconquete_stage_date ->> %(key)s) IS DISTINCT FROM (reconquete_activities_stage_date ->> %(key)s)
            AND (reconquete_excluded ->> %(key)s) IS DISTINCT FROM 'true'
            AND COALESCE((reconquete_snoozed_until ->> %(key)s)::date, '-infinity') <= %(today)s
            AND id <> ALL(%(exclude_ids)s)
            AND (%(client_ids)s IS NULL OR id = ANY(%(client_ids)s))
            """,
            key=key,
            stage_ids=stage_ids,
            today=today,
            exclude_ids=list(exclude_ids),
            client_ids=client_ids,
        )

    @api.model
    def _pending_clients(self, company, today, exclude_ids=(), client_ids=None):
        """The next batch of clients of ``company`` waiting for their activities."""
        self.env["res.partner"].flush_model()
        query = SQL(
            "SELECT id FROM res_partner WHERE %s ORDER BY id LIMIT %s",
            self._pending_clients_sql(company, today, exclude_ids, client_ids),
            self._batch_size,
        )
        return self.env["res.partner"].browse(client_id for (client_id,) in self.env.execute_query(query))

    @api.model
    def _mark_served(self, clients, company):
        """Remember that the clients' current stage entry has its activities."""
        if not clients:
            return
        self.env["res.partner"].flush_model()
        key = str(company.id)
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner
                   SET reconquete_activities_stage_date = COALESCE(reconquete_activities_stage_date, '{}'::jsonb)
                       || jsonb_build_object(%(key)s, reconquete_stage_date -> %(key)s)
                 WHERE id = ANY(%(ids)s)
                """,
                key=key,
                ids=clients.ids,
            )
        )
        self.env["res.partner"].invalidate_model(["reconquete_activities_stage_date"])

    @api.model
    def _mark_all_served(self):
        """Consider every client's current stage as served (at install: no flood of activities)."""
        self.env["res.partner"].flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET reconquete_activities_stage_date = reconquete_stage_date "
                "WHERE reconquete_stage_id IS NOT NULL"
            )
        )
        self.env["res.partner"].invalidate_model(["reconquete_activities_stage_date"])

    # ------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------

    @api.model
    def _schedule_for_clients(self, clients, company, today):
        """Schedule what the clients' stages ask for, and mark their entries served.

        Returns the clients left waiting because nobody could take their
        activity; they are retried at the next run.
        """
        plans, served = self._plan(clients.with_company(company), company)
        waiting = clients - served
        if waiting:
            _logger.warning(
                "Reconquête: no active user to take the reconquest of %s clients of %s; set a default "
                "reconquest user in the settings. They are retried at the next run.",
                len(waiting),
                company.name,
            )
        self._create_activities(company, today, plans)
        self._mark_served(served, company)
        return waiting

    @api.model
    def _schedule_manually(self, clients, company):
        """A manager asks for a reconquest now: the stage's activity, or the reconquest call."""
        clients = clients.with_company(company).filtered(
            lambda client: client.reconquete_stage_id and not client.reconquete_excluded
        )
        fallback_stage = self.env.ref("reconquete_client.reconquete_stage_at_risk")
        planned, served = self._plan(clients, company, fallback_stage)
        activities = self._create_activities(company, fields.Date.context_today(self), planned)
        self._mark_served(served, company)
        return activities

    @api.model
    def _plan(self, clients, company, fallback_stage=None):
        """The activities the clients' stages ask for, and the clients served.

        A client is served when its stage's activity found someone to take it.
        The executive's activity is planned only when the company names one.
        """
        documents = self.env["reconquete.analysis"]._last_purchase_documents(company, clients.ids)
        plans = []
        served = self.env["res.partner"]
        executive = company.reconquete_executive_user_id
        for client in clients:
            stage = client.reconquete_stage_id
            if not stage.activity_type_id and fallback_stage:
                stage = fallback_stage
            document = documents.get(client.id)
            assignee = self._stage_assignee(client, company, stage, document)
            if not assignee:
                continue
            served |= client
            plans.append(Plan(client, stage, stage.activity_type_id, assignee, document))
            if client.reconquete_is_strategic and stage.executive_activity_type_id and executive:
                plans.append(Plan(client, stage, stage.executive_activity_type_id, executive, document))
        return plans, served

    @api.model
    def _create_activities(self, company, today, plans):
        """Create the planned activities in one batch.

        Skips plans without an activity type, and clients that already have an
        open reconquest activity of that type for this company.
        """
        plans = [plan for plan in plans if plan.activity_type]
        if not plans:
            return self.env["mail.activity"]
        clients = self.env["res.partner"].concat(*(plan.client for plan in plans))
        already_open = {
            (activity.res_id, activity.activity_type_id.id)
            for activity in self._open_reconquest_activities(clients, company)
        }
        partner_model = self.env["ir.model"]._get_id("res.partner")
        vals_list = []
        for plan in plans:
            if (plan.client.id, plan.activity_type.id) in already_open:
                continue
            already_open.add((plan.client.id, plan.activity_type.id))
            vals_list.append(
                {
                    "res_model_id": partner_model,
                    "res_id": plan.client.id,
                    "activity_type_id": plan.activity_type.id,
                    "summary": plan.activity_type.summary,
                    "note": self._activity_note(plan.client, company, plan.document, plan.user),
                    "date_deadline": today + timedelta(days=plan.stage.activity_delay_days),
                    "user_id": plan.user.id,
                    "automated": True,
                    "reconquete_company_id": company.id,
                }
            )
        # quick update: no notification email rendered per activity
        return self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)

    @api.model
    def _stage_assignee(self, client, company, stage, document=None):
        """Who the stage's activity goes to; an empty recordset when nobody can take it.

        For the salesperson: the client's salesperson, else the leader of a
        sales team serving the client (its CRM team, the salesperson's team,
        the team of its last purchase), else the company's default user.
        """
        if stage.activity_assignee == "executive":
            candidates = [company.reconquete_executive_user_id]
        elif stage.activity_assignee == "default_user":
            candidates = [company.reconquete_default_user_id]
        else:
            salesperson = client.user_id.sudo()
            last_purchase_team = self.env["crm.team"].sudo().browse(document.team_id if document else False)
            candidates = [
                salesperson,
                client.sudo().team_id.user_id if "team_id" in client._fields else None,  # with CRM
                salesperson.sale_team_id.user_id,
                last_purchase_team.user_id,
                company.reconquete_default_user_id,
            ]
        for user in candidates:
            if self._can_take_reconquest(user, company):
                return user
        return self.env["res.users"]

    @api.model
    def _can_take_reconquest(self, user, company):
        if not user:
            return False
        user = user.sudo()
        return user.active and not user.share and company in user.company_ids

    @api.model
    def _activity_note(self, client, company, document, user):
        """Why this activity exists, in the assignee's language, with the figures behind it."""
        env = self.with_context(lang=user.lang or self.env.lang).env
        client = client.with_env(env).with_company(company)
        lines = []
        silence, interval = client.reconquete_silence_days, round(client.reconquete_reference_interval)
        if attrition_rules.has_own_rhythm(
            attrition_rules.Rhythm(client.reconquete_purchase_days, mean_interval=client.reconquete_mean_interval),
            company._reconquete_thresholds(),
        ):
            lines.append(
                env._(
                    "Silent for %(silence)s days; usually orders every %(interval)s days.",
                    silence=silence,
                    interval=interval,
                )
            )
        else:
            lines.append(
                env._(
                    "Silent for %(silence)s days; not enough history for a rhythm of its own, "
                    "the default interval is %(interval)s days.",
                    silence=silence,
                    interval=interval,
                )
            )
        if document:
            lines.append(
                env._(
                    "Last purchase: %(document)s on %(date)s.",
                    document=document.name,
                    date=format_date(env, document.day),
                )
            )
        lines.append(
            env._(
                "%(share)s%% of revenue over the revenue window.",
                share=formatLang(env, client.reconquete_revenue_share, digits=1),
            )
        )
        if client.reconquete_is_strategic:
            reason = dict(client._fields["reconquete_strategic_reason"]._description_selection(env)).get(
                client.reconquete_strategic_reason
            )
            lines.append(env._("Strategic client: %(reason)s.", reason=reason))
        limit = company.reconquete_solicitation_limit
        if client.reconquete_unanswered_count >= limit:
            lines.append(
                env._("Did not answer the last %(count)s solicitations.", count=client.reconquete_unanswered_count)
            )
        return Markup("").join(Markup("<p>%s</p>") % line for line in lines)

    # ------------------------------------------------------------------
    # Won back
    # ------------------------------------------------------------------

    @api.model
    def _open_reconquest_activities(self, clients, company):
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", clients.ids),
                    ("reconquete_company_id", "=", company.id),
                ]
            )
        )

    @api.model
    def _on_won_back(self, company, previous_stages, today):
        """Close the reconquest of clients that bought again, and record it.

        ``previous_stages`` maps each won-back client id to the (stage id,
        entry date) it was won back from.
        """
        clients = self.env["res.partner"].browse(list(previous_stages)).with_company(company)
        documents = self.env["reconquete.analysis"]._last_purchase_documents(company, clients.ids)
        risk_dates = self._risk_start_dates(company, clients.ids)
        open_activities = self._open_reconquest_activities(clients, company).grouped("res_id")
        reconquests, notes = [], {}
        for client in clients:
            stage_id, stage_date = previous_stages[client.id]
            name, day = documents[client.id][:2] if client.id in documents else ("", today)
            risk_date = risk_dates.get(client.id) or stage_date or today
            feedback = self.env._("Won back: %(document)s on %(date)s.", document=name, date=format_date(self.env, day))
            if client.id in open_activities:
                open_activities[client.id].action_feedback(feedback=feedback)
            notes[client.id] = Markup("<p>%s</p>") % self.env._(
                'Won back %(days)s days after entering "To Win Back": %(document)s on %(date)s.',
                days=(day - risk_date).days,
                document=name,
                date=format_date(self.env, day),
            )
            reconquests.append(
                {
                    "partner_id": client.id,
                    "company_id": company.id,
                    "user_id": client.user_id.id,
                    "from_stage_id": stage_id,
                    "risk_date": risk_date,
                    "won_back_date": day,
                    "days_to_win_back": (day - risk_date).days,
                    "document_name": name,
                }
            )
        # One batch of notes (a note of the system, signed by whoever confirmed the order).
        clients._message_log_batch(notes, author_id=self.env.user.partner_id.id)
        self.env["reconquete.reconquest"].sudo().create(reconquests)

    @api.model
    def _risk_start_dates(self, company, client_ids):
        """{client id: day it last entered the risk from a stage outside it}."""
        risk_stage_ids = [
            stage_id
            for code, stage_id in self.env["reconquete.stage"]._ids_by_code().items()
            if code in attrition_rules.RISK_STAGES
        ]
        query = SQL(
            """
            SELECT DISTINCT ON (partner_id) partner_id, date
              FROM reconquete_stage_history
             WHERE company_id = %(company_id)s
               AND partner_id = ANY(%(client_ids)s)
               AND stage_to_id = ANY(%(risk)s)
               AND (stage_from_id IS NULL OR stage_from_id <> ALL(%(risk)s))
          ORDER BY partner_id, date DESC, id DESC
            """,
            company_id=company.id,
            client_ids=client_ids,
            risk=risk_stage_ids,
        )
        return dict(self.env.execute_query(query))
