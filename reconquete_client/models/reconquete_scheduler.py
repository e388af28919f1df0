"""Reconquest work: activities for the right person when a client slips away,
what becomes of them when the client is snoozed, excluded or answers nothing,
and their closing when it comes back.

Planning is state-based: a file in a stage that asks for an activity, with no
activity of that type since it entered the stage, gets one. "Served" means
"has its activity" (open or done): an activity deleted with its user is
planned again by the next run, and a rerun finds nothing to do. The database
refuses a second open activity of a type on a file, even from two jobs at once.
Stage entries that existed when the addon was installed are left to the
managers (``unplanned_entry_date``): no flood of activities on day one.
"""

import logging
from collections import namedtuple

from markupsafe import Markup

from odoo import api, models
from odoo.fields import Command
from odoo.tools import SQL
from odoo.tools.misc import format_date, formatLang

from .. import attrition_rules

_logger = logging.getLogger(__name__)

# One activity to create: on which file, for which stage, of which type, for whom,
# and the client's last purchase document the note quotes.
Plan = namedtuple("Plan", ["file", "stage", "activity_type", "user", "document"])
# A client's latest purchase: the order or invoice name, its day, its sales team id.
PurchaseDocument = namedtuple("PurchaseDocument", ["name", "day", "team_id"])


class ReconqueteScheduler(models.AbstractModel):
    _name = "reconquete.scheduler"
    _description = "Reconquest Activity Scheduler"

    # Files handled per transaction of the scheduled action.
    _batch_size = 500

    # ------------------------------------------------------------------
    # Which files wait for their activities
    # ------------------------------------------------------------------

    @api.model
    def _pending_files(self, company, today, files=None, exclude=()):
        """The next files of ``company`` whose stage asks for an activity they do not have.

        A file has it when one of that type is open, whenever it was planned (a
        salesperson may plan the call before the client slips), or was planned
        since the file entered its stage (done since). The open one must count:
        the scheduler plans no second one, and a file it cannot serve that stayed
        pending would be taken again and again.
        """
        self.env.flush_all()
        query = SQL(
            """
            SELECT file.id
              FROM reconquete_client AS file
              JOIN reconquete_stage AS stage ON stage.id = file.stage_id AND stage.activity_type_id IS NOT NULL
             WHERE file.company_id = %(company_id)s
               AND file.excluded IS NOT TRUE
               AND COALESCE(file.snoozed_until, '-infinity') <= %(today)s
               AND file.stage_date IS DISTINCT FROM file.unplanned_entry_date
               AND NOT EXISTS (SELECT 1 FROM mail_activity AS activity
                                WHERE activity.res_model = 'reconquete.client'
                                  AND activity.res_id = file.id
                                  AND activity.activity_type_id = stage.activity_type_id
                                  AND (activity.active OR activity.create_date >= file.stage_date))
               AND file.id <> ALL(%(exclude)s)
               AND (%(file_ids)s::int[] IS NULL OR file.id = ANY(%(file_ids)s::int[]))
          ORDER BY file.id
             LIMIT %(limit)s
            """,
            company_id=company.id,
            today=today,
            exclude=list(exclude),
            file_ids=files.ids if files is not None else None,
            limit=self._batch_size,
        )
        return self.env["reconquete.client"].browse(file_id for (file_id,) in self.env.execute_query(query))

    @api.model
    def _schedule_pending(self, company, today, files=None, remaining=None):
        """Plan what the stages of ``company``'s files ask for, in batches.

        Files nobody can take are retried at the next run; a batch that fails
        is rolled back alone. Within the scheduled action, ``remaining`` is its
        function telling the runner how much work is left: each batch is then
        committed, and False is returned when the action runs out of time;
        otherwise the activities created are returned.
        """
        postponed = set()  # this company's files left for the next run
        created = self.env["mail.activity"]
        while batch := self._pending_files(company, today, files, postponed):
            try:
                with self.env.cr.savepoint():
                    activities, waiting = self._schedule(batch, today)
                created |= activities
                postponed.update(waiting.ids)
            except Exception:
                _logger.exception(
                    "Reconquête: planning activities for %s clients of %s failed; retried at the next run",
                    len(batch),
                    company.name,
                )
                postponed.update(batch.ids)
            # The work left, not the files planned, for the runner: by default it counts these off
            # the work left and, at zero, would take the job for done until the next night.
            if remaining and not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining()):
                return False
        return created if not remaining else True

    @api.model
    def _schedule(self, files, today):
        """Create the activities the files' stages ask for; return them and the files nobody can take."""
        plans, served = self._plan(files)
        waiting = files - served
        if waiting:
            _logger.warning(
                "Reconquête: no active user to take the reconquest of %s clients of %s; set a default reconquest "
                "user in the settings. They are retried at the next run.",
                len(waiting),
                waiting.company_id.name,
            )
        return self._create_activities(plans, today), waiting

    @api.model
    def _schedule_manually(self, files):
        """A manager asks for a reconquest now: the stage's activity, or the reconquest call."""
        files = files.filtered(lambda file: file.stage_id and not file.excluded)
        fallback_stage = self.env.ref("reconquete_client.reconquete_stage_at_risk")
        plans, _served = self._plan(files, fallback_stage)
        return self._create_activities(plans, self.env["reconquete.client"]._today())

    @api.model
    def _plan(self, files, fallback_stage=None):
        """The activities the files' stages ask for, and the files served.

        A file is served when its stage's activity found someone to take it.
        The executive's activity is planned only when the company names one.
        """
        plans = []
        served = self.env["reconquete.client"]
        for company, company_files in files.grouped("company_id").items():
            documents = self._last_purchase_documents(company, company_files.partner_id.ids)
            executive = company.reconquete_executive_user_id
            for file in company_files:
                stage = file.stage_id
                if not stage.activity_type_id and fallback_stage:
                    stage = fallback_stage
                document = documents.get(file.partner_id.id)
                assignee = self._stage_assignee(file, stage, document)
                if not assignee:
                    continue
                served |= file
                plans.append(Plan(file, stage, stage.activity_type_id, assignee, document))
                if file.is_strategic and stage.executive_activity_type_id and executive:
                    plans.append(Plan(file, stage, stage.executive_activity_type_id, executive, document))
        return plans, served

    @api.model
    def _create_activities(self, plans, today):
        """Create the planned activities in one batch, skipping types a file already has open."""
        plans = [plan for plan in plans if plan.activity_type]
        if not plans:
            return self.env["mail.activity"]
        files = self.env["reconquete.client"].concat(*(plan.file for plan in plans))
        already_open = {(activity.res_id, activity.activity_type_id.id) for activity in self._open_activities(files)}
        model_id = self.env["ir.model"]._get_id("reconquete.client")
        vals_list = []
        for plan in plans:
            if (plan.file.id, plan.activity_type.id) in already_open:
                continue
            already_open.add((plan.file.id, plan.activity_type.id))
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": plan.file.id,
                    "activity_type_id": plan.activity_type.id,
                    "summary": plan.activity_type.summary,
                    "note": self._activity_note(plan.file, plan.document, plan.user),
                    "date_deadline": plan.file._activity_due_date(activity_type=plan.activity_type),
                    "user_id": plan.user.id,
                    "automated": True,
                }
            )
        # quick update: no notification email rendered per activity
        return self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)

    @api.model
    def _stage_assignee(self, file, stage, document=None, leaving=()):
        """Who the stage's activity goes to; an empty recordset when nobody can take it.

        For the salesperson: the client's salesperson, else the leader of a
        sales team serving the client (its CRM team, the salesperson's team,
        the team of its last purchase), else the company's default user.
        """
        company = file.company_id
        if stage.activity_assignee == "executive":
            candidates = [company.reconquete_executive_user_id]
        elif stage.activity_assignee == "default_user":
            candidates = [company.reconquete_default_user_id]
        else:
            partner = file.partner_id.sudo()
            salesperson = partner.user_id
            last_purchase_team = self.env["crm.team"].sudo().browse(document.team_id if document else False)
            candidates = [
                salesperson,
                partner.team_id.user_id if "team_id" in partner._fields else None,  # with CRM
                salesperson.sale_team_id.user_id,
                last_purchase_team.user_id,
                company.reconquete_default_user_id,
            ]
        for user in candidates:
            if self._can_take_reconquest(user, company, leaving):
                return user
        return self.env["res.users"]

    @api.model
    def _can_take_reconquest(self, user, company, leaving=()):
        if not user or user in leaving:
            return False
        user = user.sudo()
        return user.active and not user.share and company in user.company_ids

    @api.model
    def _hand_over(self, activities, leaving):
        """Give open activities held by users who leave to the next person in their stage's chain.

        Activities nobody can take are left to go with their user: the next
        run plans them again, a file without its activity not being served.
        """
        files = self.env["reconquete.client"].sudo().browse(activities.mapped("res_id"))
        documents = {}
        for company, company_files in files.grouped("company_id").items():
            documents.update(self._last_purchase_documents(company, company_files.partner_id.ids))
        stages = self.env["reconquete.stage"].sudo().search([])  # pylint: disable=no-search-all
        for activity in activities:
            file = files.browse(activity.res_id)
            if activity.activity_type_id in stages.executive_activity_type_id:
                executive = file.company_id.reconquete_executive_user_id
                successor = executive if self._can_take_reconquest(executive, file.company_id, leaving) else None
            else:
                stage = stages.filtered(
                    lambda stage, activity=activity: stage.activity_type_id == activity.activity_type_id
                )
                document = documents.get(file.partner_id.id)
                successor = self._stage_assignee(file, stage[:1] or file.stage_id, document, leaving=leaving)
            if not successor:
                continue
            file._log_note(
                self.env._(
                    "%(user)s leaves: their %(activity)s goes to %(successor)s.",
                    user=activity.user_id.name,
                    activity=activity.activity_type_id.name,
                    successor=successor.name,
                )
            )
            activity.user_id = successor

    @api.model
    def _last_purchase_documents(self, company, partner_ids):
        """{partner id: PurchaseDocument} of each client's latest purchase."""
        if not partner_ids:
            return {}
        source = self.env[company._reconquete_source_model()]
        self.env.flush_all()
        rows = self.env.execute_query(source._reconquete_last_documents_query(company, partner_ids))
        return {partner_id: PurchaseDocument(name, day, team_id) for partner_id, name, day, team_id in rows}

    @api.model
    def _activity_note(self, file, document, user):
        """Why this activity exists, in the assignee's language, with the figures behind it."""
        env = self.with_context(lang=user.lang or self.env.lang).env
        file = file.with_env(env).sudo()
        company = file.company_id
        lines = []
        silence, interval = file.silence_days, round(file.reference_interval)
        rhythm = attrition_rules.Rhythm(file.purchase_days, mean_interval=file.mean_interval)
        if attrition_rules.has_own_rhythm(rhythm, company._reconquete_thresholds()):
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
                    "Silent for %(silence)s days; not enough history for a rhythm of its own, the default interval "
                    "is %(interval)s days.",
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
                share=formatLang(env, file.revenue_share, digits=1),
            )
        )
        if file.is_strategic:
            reason = dict(file._fields["strategic_reason"]._description_selection(env)).get(file.strategic_reason)
            lines.append(env._("Strategic client: %(reason)s.", reason=reason))
        if file.unanswered_count >= company.reconquete_solicitation_limit:
            lines.append(env._("Did not answer the last %(count)s solicitations.", count=file.unanswered_count))
        return Markup("").join(Markup("<p>%s</p>") % line for line in lines)

    # ------------------------------------------------------------------
    # What users do with the activities
    # ------------------------------------------------------------------

    @api.model
    def _open_activities(self, files):
        """The open activities on these reconquest files."""
        return (
            self.env["mail.activity"]
            .sudo()
            .search([("res_model", "=", "reconquete.client"), ("res_id", "in", files.ids)])
        )

    @api.model
    def _record_no_answer(self, file):
        """Count a solicitation without answer; close the file's open activity of its stage, if any.

        Only the stage's own activity (the Reconquest Call when To Win Back) is
        closed, never the executive's. Returns the closed activity.
        """
        subtype = self.env.ref("reconquete_client.mt_reconquete_no_answer")
        stage_type = file.stage_id.activity_type_id
        activity = self._open_activities(file).filtered(lambda activity: activity.activity_type_id == stage_type)[:1]
        if activity:
            message_id = activity.with_user(self.env.user).action_feedback(feedback=self.env._("No answer"))
            self.env["mail.message"].browse(message_id).sudo().subtype_id = subtype
        else:
            file.message_post(body=self.env._("No answer to a solicitation."), subtype_id=subtype.id)
        self.env["reconquete.analysis"]._analyse_files(file, file.company_id)
        return activity

    @api.model
    def _postpone_activities(self, files, until):
        """Snoozed: the open activities wait until the snooze ends. Returns a sentence per file."""
        outcome = {}
        for file, activities in self._open_activities(files).grouped("res_id").items():
            activities.write({"date_deadline": until})
            outcome[file] = self.env._(
                "Open activities postponed to %(date)s: %(names)s.",
                date=format_date(self.env, until),
                names=", ".join(activities.mapped("activity_type_id.name")),
            )
        return outcome

    @api.model
    def _cancel_activities(self, files, why):
        """Excluded: the open activities are cancelled. Returns a sentence per file."""
        outcome = {}
        for file, activities in self._open_activities(files).grouped("res_id").items():
            outcome[file] = self.env._(
                "Open activities cancelled (%(why)s): %(names)s.",
                why=why,
                names=", ".join(activities.mapped("activity_type_id.name")),
            )
            activities.unlink()
        return outcome

    @api.model
    def _resume_activities(self, files):
        """Resumed: the postponed activities are due again, and what the stage asks for is planned."""
        outcome = {}
        today = self.env["reconquete.client"]._today()
        for file_id, activities in self._open_activities(files).grouped("res_id").items():
            file = files.browse(file_id)
            for activity in activities.filtered(lambda activity: activity.date_deadline > today):
                activity.date_deadline = file._activity_due_date(activity_type=activity.activity_type_id)
        for company, company_files in files.grouped("company_id").items():
            for activity in self._schedule_pending(company, today, company_files):
                outcome[activity.res_id] = self.env._(
                    "Planned again: %(name)s for %(user)s.",
                    name=activity.activity_type_id.name,
                    user=activity.user_id.name,
                )
        return outcome

    # ------------------------------------------------------------------
    # Won back
    # ------------------------------------------------------------------

    @api.model
    def _on_won_back(self, company, previous_stages, today):
        """Close the reconquest of clients that bought again, and record it.

        ``previous_stages`` maps each won-back file id to the (stage id, entry
        date) it was won back from.
        """
        files = self.env["reconquete.client"].sudo().browse(list(previous_stages))
        documents = self._last_purchase_documents(company, files.partner_id.ids)
        risk_dates = self._risk_start_dates(files)
        open_activities = self._open_activities(files).grouped("res_id")
        reconquests, notes = [], {}
        for file in files:
            stage_id, stage_date = previous_stages[file.id]
            name, day = documents[file.partner_id.id][:2] if file.partner_id.id in documents else ("", today)
            risk_date = risk_dates.get(file.id) or stage_date or today
            date = format_date(self.env, day)
            activities = open_activities.get(file.id, self.env["mail.activity"])
            if activities:
                activities.action_feedback(
                    feedback=self.env._("Won back: %(document)s on %(date)s.", document=name, date=date)
                )
            notes[file.id] = Markup("<p>%s</p>") % self.env._(
                'Won back %(days)s days after entering "To Win Back": %(document)s on %(date)s.',
                days=(day - risk_date).days,
                document=name,
                date=date,
            )
            reconquests.append(
                {
                    "client_id": file.id,
                    "user_id": file.user_id.id,
                    "from_stage_id": stage_id,
                    "risk_date": risk_date,
                    "won_back_date": day,
                    "document_name": name,
                    "closed_activity_ids": [Command.set(activities.ids)],
                }
            )
        # One batch of notes, signed by whoever caused the purchase (a note of the system).
        files._message_log_batch(notes, author_id=self.env.user.partner_id.id)
        self.env["reconquete.reconquest"].sudo().create(reconquests)

    @api.model
    def _on_risk_cleared(self, file_ids):
        """Back among living clients without a win (a backdated invoice, say): the open activities have no object."""
        files = self.env["reconquete.client"].sudo().browse(file_ids)
        for file_id, activities in self._open_activities(files).grouped("res_id").items():
            activities.action_feedback(
                feedback=self.env._(
                    'Closed: the client is no longer at risk, its purchases say "%(stage)s".',
                    stage=files.browse(file_id).stage_id.name,
                )
            )

    @api.model
    def _on_win_undone(self, company, restored):
        """The purchase that won these clients back no longer counts (cancelled, reset to draft).

        ``restored`` maps each file id to the (risk stage code, entry date) it
        goes back to. The win is undone: its reconquest record and its history
        line go, the activities it closed are open again, and the chatter says why.
        """
        files = self.env["reconquete.client"].sudo().browse(list(restored))
        reconquests = self.env["reconquete.reconquest"].sudo().search([("client_id", "in", files.ids)])
        stage_names = dict(self.env["reconquete.stage.history"]._fields["stage_to"]._description_selection(self.env))
        notes = {}
        for file in files:
            stage, since = restored[file.id]
            undone = reconquests.filtered(
                lambda reconquest, file=file, since=since: (
                    reconquest.client_id == file and reconquest.won_back_date >= since
                )
            )
            # the closed activities are archived: read the link with them
            reopened = undone.with_context(active_test=False).closed_activity_ids
            reopened.write({"active": True, "date_done": False, "feedback": False})
            notes[file.id] = Markup("<p>%s</p>") % self.env._(
                "The purchase that won this client back no longer counts (%(documents)s cancelled or reset): back "
                'to "%(stage)s" since %(date)s. Reconquest activities open again: %(activities)s.',
                documents=", ".join(undone.mapped("document_name")) or self.env._("its order"),
                stage=stage_names.get(stage, stage),
                date=format_date(self.env, since),
                activities=", ".join(reopened.mapped("activity_type_id.name")) or self.env._("none"),
            )
            undone.unlink()
            self.env.cr.execute(
                SQL(
                    "DELETE FROM reconquete_stage_history WHERE client_id = %s AND stage_to = %s AND date >= %s",
                    file.id,
                    attrition_rules.WON_BACK,
                    since,
                )
            )
        self.env["reconquete.stage.history"].invalidate_model()
        files._message_log_batch(notes, author_id=self.env.user.partner_id.id)

    @api.model
    def _risk_start_dates(self, files):
        """{file id: day it last entered the risk from a stage outside it}."""
        query = SQL(
            """
            SELECT DISTINCT ON (client_id) client_id, date
              FROM reconquete_stage_history
             WHERE client_id = ANY(%(file_ids)s)
               AND stage_to IN %(risk)s
               AND (stage_from IS NULL OR stage_from NOT IN %(risk)s)
          ORDER BY client_id, date DESC, id DESC
            """,
            file_ids=files.ids,
            risk=attrition_rules.RISK_STAGES,
        )
        return dict(self.env.execute_query(query))

    @api.model
    def _leave_entries_to_managers(self, company):
        """The addon's first look: the stages ``company``'s clients are in get no automatic activity.

        Those reconquests are the managers' call (action "Schedule Reconquest").
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE reconquete_client SET unplanned_entry_date = stage_date "
                "WHERE company_id = %s AND unplanned_entry_date IS DISTINCT FROM stage_date",
                company.id,
            )
        )
        self.env["reconquete.client"].invalidate_model(["unplanned_entry_date"])
