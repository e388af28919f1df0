"""The analysis: purchases aggregated in SQL, the rules applied, changed files written in bulk.

A **full pass** walks the clients of a company in ranges of partner ids. For
each range one SQL statement rolls orders (or invoices) up to the commercial
partner, collapses them into purchase days, computes the rhythm with window
functions and assesses it with the attrition rules written in SQL
(``reconquete.assessment``, the same contract as ``attrition_rules.assess``),
keeping in a temporary table only the files that must change; one UPDATE and
one INSERT write them. The number of statements depends on the number of
batches, never on the number of clients, and no figure makes a trip to Python.

A **nightly pass** (between full passes) reads only two kinds of clients: those
whose documents or messages changed since the last pass, or whose documents
crossed the edge of a window (their purchases are re-read), and those whose
``next_review_date`` has come (an index lookup; they are classified again
from their stored figures). No other client is read or written.

The job writes nothing but its own tables. A file another transaction holds
or changed meanwhile is skipped, never the batch, and re-read later; a batch
that fails is rolled back alone and re-read by the next pass.
"""

import logging
from collections import namedtuple
from contextlib import contextmanager
from datetime import timedelta

from psycopg2 import errors

from odoo import api, models
from odoo.tools import SQL

from .. import attrition_rules

_logger = logging.getLogger(__name__)

# What the analysis writes on a file, with the SQL type of its column.
FIGURE_COLUMNS = (
    ("purchase_days", "int4"),
    ("first_purchase_date", "date"),
    ("last_purchase_date", "date"),
    ("mean_interval", "float8"),
    ("median_interval", "float8"),
    ("interval_spread", "float8"),
    ("reference_interval", "float8"),
    ("expected_date", "date"),
    ("watch_date", "date"),
    ("alert_date", "date"),
    ("lost_date", "date"),
    ("next_review_date", "date"),
    ("revenue", "numeric"),
    ("unanswered_count", "int4"),
    ("is_strategic", "bool"),
    ("strategic_reason", "varchar"),
    ("stage_id", "int4"),
    ("stage_date", "date"),
)
FIGURE_NAMES = tuple(name for name, _type in FIGURE_COLUMNS)

# What one batch did: files written, and the partner ids of the clients skipped
# because another transaction held or changed their file.
BatchResult = namedtuple("BatchResult", ["written", "skipped"])
# The partner ids a batch covers: a range (first, last) or a list.
Scope = namedtuple("Scope", ["first", "last", "ids"])


def scope_sql(scope, column):
    """SQL condition restricting ``column`` (partner ids) to ``scope``."""
    if scope.ids is not None:
        return SQL("%s = ANY(%s)", column, list(scope.ids))
    return SQL("%s BETWEEN %s AND %s", column, scope.first, scope.last)


class ReconqueteAnalysis(models.AbstractModel):
    _name = "reconquete.analysis"
    _description = "Client Rhythm Analysis"

    # Partner ids per batch of a full pass: bounds a transaction's time and locks.
    # Each batch scans the company's documents once: wide batches, few scans.
    _batch_size = 200000
    # Clients re-read per batch of a nightly pass (their documents through indexes).
    _reread_batch_size = 5000
    # A full pass re-reads every document at least this often, to catch what the
    # nightly passes cannot see (a contact moved to another company, say).
    _full_pass_every_days = 7

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_analyse(self):
        """Scheduled action: bring every company's clients up to today, then plan their activities.

        Each batch is committed through ``_commit_progress``; when time runs out
        the runner calls again and the job resumes where it stopped.
        """
        cron = self.env["ir.cron"]
        today = self.env["reconquete.client"]._today()
        # Companies are a handful: loading them all is fine.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        states = {company: self.env["reconquete.analysis.state"]._for_company(company) for company in companies}
        scheduled = set()  # companies whose activities are planned

        def remaining():
            # What the runner needs is "more to do or not": one per company not yet
            # analysed today, and one per company whose activities are not planned yet.
            return (
                sum(not self._is_analysed(state, today) for state in states.values()) + len(companies) - len(scheduled)
            )

        cron._commit_progress(remaining=remaining())
        for company, state in states.items():
            with self._company_lock(company) as locked:
                if not locked:
                    continue
                while not self._is_analysed(state, today):
                    self._run_batch(company, state, today)
                    if not cron._commit_progress(1, remaining=remaining()):
                        return  # out of time: the runner calls again and we resume
        scheduler = self.env["reconquete.scheduler"]
        for company in companies:
            if not scheduler._schedule_pending(company, today, remaining=remaining):
                return  # out of time
            scheduled.add(company.id)
            if not cron._commit_progress(1, remaining=remaining()):
                return
        # A replay asked for (at install, after a rule changed) waits for the day's analysis: now it can start.
        self.env["reconquete.replay"]._trigger_if_due(today)
        cron._commit_progress(remaining=0)

    @api.model
    def _analyse_all_companies(self):
        """Analyse every client of every company now, without committing (install, tests).

        Returns the number of files written.
        """
        today = self.env["reconquete.client"]._today()
        written = 0
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            state = self.env["reconquete.analysis.state"]._for_company(company)
            self._restart(state)
            with self._company_lock(company, wait=True):
                while not self._is_analysed(state, today):
                    written += self._run_batch(company, state, today).written
        return written

    @api.model
    def _refresh_partners(self, partners, company):
        """A document of these clients changed: analyse them now and plan what their stages ask for."""
        clients = partners.commercial_partner_id
        if not clients:
            return BatchResult(0, [])
        today = self.env["reconquete.client"]._today()
        result = self._analyse(company.sudo(), today, Scope(None, None, clients.ids), count_solicitations=True)
        files = (
            self.env["reconquete.client"]
            .sudo()
            .search([("partner_id", "in", clients.ids), ("company_id", "=", company.id)])
        )
        self.env["reconquete.scheduler"]._schedule_pending(company, today, files)
        return result

    @api.model
    def _analyse_files(self, files, company):
        """Analyse these files of one company now (a manager's override)."""
        today = self.env["reconquete.client"]._today()
        return self._analyse(company.sudo(), today, Scope(None, None, files.partner_id.ids), count_solicitations=True)

    @api.model
    def _refresh_files(self, files):
        """*Analyze Now*: analyse the files, plan their activities, and say what changed."""
        today = self.env["reconquete.client"]._today()
        scheduler = self.env["reconquete.scheduler"]
        stages = {file.id: file.stage_id for file in files}
        planned = self.env["mail.activity"]
        skipped = []
        for company, company_files in files.grouped("company_id").items():
            skipped += self._analyse_files(company_files, company).skipped
            planned |= scheduler._schedule_pending(company, today, company_files)
        files.invalidate_recordset()
        lines = [
            self.env._(
                "%(client)s: %(before)s → %(after)s",
                client=file.partner_id.display_name,
                before=stages[file.id].name or self.env._("no stage"),
                after=file.stage_id.name or self.env._("no stage"),
            )
            for file in files
            if file.stage_id != stages[file.id]
        ] or [self.env._("No stage changed.")]
        lines.append(self.env._("Reconquest activities planned: %(count)s.", count=len(planned)))
        if skipped:
            lines.append(
                self.env._("%(count)s client(s) were being changed by someone else: try again.", count=len(skipped))
            )
        return files._notification("\n".join(lines), "warning" if skipped else "success")

    @api.model
    def _request_first_look(self, companies):
        """At install: the scheduled action analyses every client of these companies right away.

        Not within the install itself: on years of orders that is a long
        transaction, which an install from the Apps menu would run in a web
        request under the server's time limit; the scheduled action commits
        batch after batch and resumes. The stages this first pass finds are
        left to the managers.
        """
        for company in companies:
            self.env["reconquete.analysis.state"]._for_company(company).first_look = True
        self._restart_analysis(companies)

    @api.model
    def _restart_analysis(self, companies):
        """The rules changed: the next run analyses these companies from scratch, documents' revenue included."""
        for company in companies:
            self._restart(self.env["reconquete.analysis.state"]._for_company(company), recount_revenue=True)
        cron = self.env.ref("reconquete_client.ir_cron_reconquete_analysis", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    @api.model
    def _restart(self, state, recount_revenue=False):
        state.write(
            {"analysis_date": False, "next_client_id": 0, "pass_is_full": False, "recount_revenue": recount_revenue}
        )

    # ------------------------------------------------------------------
    # Passes and batches
    # ------------------------------------------------------------------

    @contextmanager
    def _company_lock(self, company, wait=False):
        """One analysis of a company at a time, across processes (a PostgreSQL advisory lock).

        Held for the whole pass (across commits); released at the end, or by
        PostgreSQL if the process dies. Yields False when another process holds
        it and ``wait`` is not set: that caller then leaves the company alone.
        """
        key = SQL("hashtext('reconquete.analysis'), %s", company.id)
        if wait:
            self.env.cr.execute(SQL("SELECT pg_advisory_lock(%s)", key))
            locked = True
        else:
            locked = self.env.execute_query(SQL("SELECT pg_try_advisory_lock(%s)", key))[0][0]
        if not locked:
            _logger.info("Reconquête: the analysis of %s is already running in another process", company.name)
        try:
            yield locked
        finally:
            if locked:
                self.env.cr.execute(SQL("SELECT pg_advisory_unlock(%s)", key))

    @api.model
    def _is_analysed(self, state, today):
        return state.analysis_date == today and not state.next_client_id

    @api.model
    def _run_batch(self, company, state, today):
        """The next batch of the pass under way (opening it if needed); a failure costs this batch only."""
        if not state.next_client_id:
            self._start_pass(company, state, today)
        scope = self._next_scope(state)
        try:
            with self.env.cr.savepoint():
                result = self._analyse_scope(company, state, today, scope)
        except Exception:
            _logger.exception(
                "Reconquête: analysis of %s failed for clients %s to %s; they are re-read by the next pass",
                company.name,
                scope.first,
                scope.last,
            )
            state.retry_ranges = [*(state.retry_ranges or []), [scope.first, scope.last]]
            result = BatchResult(0, [])
        if result.skipped:
            state.retry_client_ids = sorted({*(state.retry_client_ids or []), *result.skipped})
        self._move_cursor(company, state, today, scope)
        return result

    @api.model
    def _start_pass(self, company, state, today):
        """Open a pass: full or nightly, the clients a nightly one re-reads, the revenue total."""
        last_full = state.full_analysis_date
        full = (
            not state.analysis_date  # never analysed, or settings changed
            or not state.changes_since
            or not last_full
            or (today - last_full).days >= self._full_pass_every_days
        )
        values = {
            "pass_is_full": full,
            # An hour of margin: a document written by a transaction still open
            # now keeps its earlier write date, and must be seen next time.
            "pass_started_at": self.env.cr.now() - timedelta(hours=1),
            "pass_message_id": self.env.execute_query(SQL("SELECT COALESCE(MAX(id), 0) FROM mail_message"))[0][0],
            **dict(
                zip(
                    ("pass_client_ids", "pass_recount_ids"),
                    ([], []) if full else self._changed_client_ids(company, state, today),
                    strict=True,
                )
            ),
            # Leftovers of the previous pass: a full pass re-reads them anyway.
            "retry_client_ids": [],
            "retry_ranges": [],
            # The files' revenues are the base of the shares; the documents only when
            # there are no files yet or the revenue window may have changed.
            "revenue_total": (
                self._documents_revenue_total(company, today)
                if state.recount_revenue or not state.revenue_total
                else state.revenue_total  # the files' total, as the previous pass left it
            ),
            "recount_revenue": False,
        }
        if full:
            values["documents_left_out"] = self._count_left_out(company)
        state.write(values)

    @api.model
    def _next_scope(self, state):
        first_id = state.next_client_id or 1
        if state.pass_is_full:
            return Scope(first_id, first_id + self._batch_size - 1, None)
        ids = [client_id for client_id in state.pass_client_ids or [] if client_id >= first_id][
            : self._reread_batch_size
        ]
        return Scope(first_id, ids[-1] if ids else first_id, ids)

    @api.model
    def _analyse_scope(self, company, state, today, scope):
        if state.pass_is_full:
            # Solicitations change only with new messages or purchases, which the
            # nightly passes re-read: a full pass counts them only the first time.
            return self._analyse(company, today, scope, count_solicitations=not state.full_analysis_date)
        result = BatchResult(0, [])
        recount = set(state.pass_recount_ids or [])
        written = [client_id for client_id in scope.ids if client_id in recount]
        crossed = [client_id for client_id in scope.ids if client_id not in recount]
        for ids, windowed in ((written, False), (crossed, True)):
            if ids:
                part = self._analyse(
                    company, today, Scope(ids[0], ids[-1], ids), count_solicitations=not windowed, windowed=windowed
                )
                result = BatchResult(result.written + part.written, result.skipped + part.skipped)
        if scope.last < max(state.pass_client_ids or [0]):
            return result
        # The last re-read batch: then every client whose thresholds fall due today.
        due = self._reclassify_due(company, today)
        return BatchResult(result.written + due.written, result.skipped + due.skipped)

    @api.model
    def _move_cursor(self, company, state, today, scope):
        if state.pass_is_full:
            more = scope.last < self._last_partner_id()
        else:
            more = scope.last < max(state.pass_client_ids or [0])
        if more:
            state.next_client_id = scope.last + 1
            return
        # The pass is complete: the next nightly pass looks for what changed since it started.
        values = {
            "next_client_id": 0,
            "analysis_date": today,
            "changes_since": state.pass_started_at,
            "messages_since_id": state.pass_message_id,
            "pass_client_ids": [],
            "pass_recount_ids": [],
            "revenue_total": self._stored_revenue_total(company),
        }
        if state.pass_is_full:
            values["full_analysis_date"] = today
            if state.first_look:
                # Files it created were born so; those that were already there now follow.
                self.env["reconquete.scheduler"]._leave_entries_to_managers(company)
                values["first_look"] = False
        state.write(values)

    @api.model
    def _reclassify_due(self, company, today):
        """Classify again, from their stored figures, the clients whose next review has come."""
        self.env.flush_all()
        client_select = SQL(
            """
            SELECT file.partner_id, file.id AS file_id, file.strategic_override AS override,
                   file.purchase_days, file.first_purchase_date AS first_purchase,
                   file.last_purchase_date AS last_purchase, file.mean_interval, file.median_interval,
                   file.interval_spread, file.revenue, file.unanswered_count AS unanswered, %(stored)s
              FROM reconquete_client AS file
             WHERE file.company_id = %(company_id)s AND file.next_review_date <= %(today)s
            """,
            stored=self._stored_columns(),
            company_id=company.id,
            today=today,
        )
        self.env["reconquete.assessment"]._create_batch_table(company, today, SQL(), client_select, FIGURE_NAMES)
        return self._write_batch(company, today)

    @api.model
    def _last_partner_id(self):
        return self.env.execute_query(SQL("SELECT COALESCE(MAX(id), 0) FROM res_partner"))[0][0]

    # ------------------------------------------------------------------
    # What changed since the last pass
    # ------------------------------------------------------------------

    @api.model
    def _source(self, company):
        """The model whose documents are the company's purchases."""
        return self.env[company._reconquete_source_model()]

    @api.model
    def _changed_client_ids(self, company, state, today):
        """(clients to re-read, those of them whose solicitations to count again), both sorted.

        To re-read: their documents or messages were written since the last
        pass of ``company``, one of their documents left the analysis or revenue
        window or reached its day, or an earlier pass could not write them. The
        solicitations change only with a message or a purchase: they are counted
        again for the clients whose documents or messages were written.
        """
        last_day = state.analysis_date
        thresholds = company._reconquete_thresholds()
        edges = [
            (attrition_rules.months_before(last_day, months), attrition_rules.months_before(today, months))
            for months in (thresholds.analysis_months, thresholds.revenue_months)
        ]
        edges.append((last_day + timedelta(days=1), today + timedelta(days=1)))
        everyone = SQL("TRUE")
        source = self._source(company)
        written = SQL(
            """
            %(documents)s
            UNION
            SELECT partner.commercial_partner_id
              FROM mail_message AS message
              JOIN res_partner AS partner ON partner.id = message.author_id
             WHERE message.id > %(message_id)s
            UNION
            SELECT partner.commercial_partner_id
              FROM mail_message AS message
              JOIN res_partner AS partner ON partner.id = message.res_id AND message.model = 'res.partner'
             WHERE message.id > %(message_id)s
            UNION
            SELECT file.partner_id
              FROM mail_message AS message
              JOIN reconquete_client AS file ON file.id = message.res_id AND message.model = 'reconquete.client'
             WHERE message.id > %(message_id)s AND file.company_id = %(company_id)s
            """,
            documents=source._reconquete_changed_clients_query(company, state.changes_since, [], everyone),
            message_id=state.messages_since_id,
            company_id=company.id,
        )
        self.env.flush_all()
        recount = {client_id for (client_id,) in self.env.execute_query(written)}
        recount.update(state.retry_client_ids or [])
        for first, last in state.retry_ranges or []:
            recount.update(self._file_partner_ids(company, first, last))
            recount.update(self._buyer_ids(company, first, last, today))
        crossed = source._reconquete_changed_clients_query(company, None, edges, everyone)
        reread = recount | {client_id for (client_id,) in self.env.execute_query(crossed)}
        return sorted(reread), sorted(recount)

    @api.model
    def _file_partner_ids(self, company, first, last):
        query = SQL(
            "SELECT partner_id FROM reconquete_client WHERE company_id = %s AND partner_id BETWEEN %s AND %s",
            company.id,
            first,
            last,
        )
        return [partner_id for (partner_id,) in self.env.execute_query(query)]

    @api.model
    def _buyer_ids(self, company, first, last, today):
        """Clients in a range of ids with at least one purchase (a failed batch's clients)."""
        days = self._source(company)._reconquete_purchase_days_query(
            company, scope_sql(Scope(first, last, None), SQL("partner.commercial_partner_id")), today, None
        )
        return [
            client_id for (client_id,) in self.env.execute_query(SQL("SELECT DISTINCT client_id FROM (%s) AS d", days))
        ]

    # ------------------------------------------------------------------
    # Revenue totals and left-out documents
    # ------------------------------------------------------------------

    @api.model
    def _stored_revenue_total(self, company):
        """The base of revenue shares: the positive revenues of the company's files."""
        query = SQL(
            "SELECT COALESCE(SUM(revenue), 0) FROM reconquete_client WHERE company_id = %s AND revenue > 0", company.id
        )
        return float(self.env.execute_query(query)[0][0])

    @api.model
    def _documents_revenue_total(self, company, today):
        """The same total read from the documents (before the company's first pass)."""
        revenue_start = attrition_rules.months_before(today, company.reconquete_revenue_months)
        days = self._source(company)._reconquete_purchase_days_query(company, SQL("TRUE"), today, revenue_start)
        query = SQL(
            "SELECT COALESCE(SUM(revenue), 0) FROM "
            "(SELECT SUM(amount) AS revenue FROM (%s) AS days GROUP BY client_id) AS client WHERE revenue > 0",
            days,
        )
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))  # see _analyse
        return float(self.env.execute_query(query)[0][0])

    @api.model
    def _count_left_out(self, company):
        """Documents in a currency without any rate: left out of the figures, and said so."""
        currency_ids = self.env["res.currency"]._reconquete_currencies_without_rate(company)
        if not currency_ids:
            return 0
        count = self.env.execute_query(self._source(company)._reconquete_left_out_query(company, currency_ids))[0][0]
        if count:
            _logger.warning(
                "Reconquête: %s: %s document(s) in a currency without any exchange rate (%s) are left out of the "
                "figures; add a rate to count them.",
                company.name,
                count,
                ", ".join(self.env["res.currency"].browse(currency_ids).mapped("name")),
            )
        return count

    # ------------------------------------------------------------------
    # One batch: read, assess, write
    # ------------------------------------------------------------------

    @api.model
    def _analyse(self, company, today, scope, count_solicitations, windowed=False):
        """Aggregate the purchases of the clients in ``scope``, assess them and write what changed.

        ``windowed``: read only the documents of the analysis and revenue windows,
        first and last purchase coming from the files (for clients whose only
        change is a document leaving a window: nothing of theirs was written).
        """
        # Raw SQL reads orders, invoices and partners: pending ORM writes first.
        self.env.flush_all()
        ctes, client_select = self._figures_query(company, today, scope, count_solicitations, windowed)
        # The planner's cost estimate for this statement is high enough to trigger
        # PostgreSQL's JIT compilation, which costs seconds per batch for a
        # statement that runs in a fraction of a second (measured in benchmark/).
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        # Its sorts (purchase days by client) fit in memory with a little more than
        # PostgreSQL's default 4 MB; on disk they cost a third of the statement.
        self.env.cr.execute(SQL("SET LOCAL work_mem = '64MB'"))
        self.env["reconquete.assessment"]._create_batch_table(company, today, ctes, client_select, FIGURE_NAMES)
        return self._write_batch(company, today)

    @api.model
    def _figures_query(self, company, today, scope, count_solicitations, windowed=False):
        """(CTEs, SELECT) giving per client of ``scope`` its fresh figures and its file's stored values."""
        thresholds = company._reconquete_thresholds()
        since = None
        first_purchase, last_purchase = SQL("figures.first_purchase"), SQL("figures.last_purchase")
        if windowed:
            since = attrition_rules.months_before(today, max(thresholds.analysis_months, thresholds.revenue_months))
            first_purchase = SQL("COALESCE(file.first_purchase_date, figures.first_purchase)")
            last_purchase = SQL("COALESCE(figures.last_purchase, file.last_purchase_date)")
        purchases = scope_sql(scope, SQL("partner.commercial_partner_id"))
        # A list of clients: name their contacts, so that PostgreSQL reads their
        # documents and messages through the indexes on partners instead of scanning them.
        contact_ids = None if scope.ids is None else self._contact_ids(scope.ids)
        if count_solicitations:
            unanswered = SQL(", %s", self._unanswered_solicitations_query(company, purchases, contact_ids))
            unanswered_count = SQL("COALESCE(unanswered.unanswered, 0)")
            unanswered_join = SQL("LEFT JOIN unanswered ON unanswered.client_id = figures.client_id")
        else:
            unanswered, unanswered_join = SQL(), SQL()
            unanswered_count = SQL("COALESCE(file.unanswered_count, 0)")
        ctes = SQL(
            """
            purchase_day AS (%(purchase_days)s),
            purchase_gap AS (
                -- each day with the purchase day before it (a client's days are unique). Not a LAG
                -- partitioned by is_purchase: this window keeps the order the days were grouped in,
                -- where that one sorted them again (1 s of a 7.6 s full pass at size S, README: Performance)
                SELECT client_id, day, amount, is_purchase,
                       MAX(day) FILTER (WHERE is_purchase)
                           OVER (PARTITION BY client_id ORDER BY day
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_day
                  FROM purchase_day
            ),
            figures AS (
                SELECT client_id,
                       COUNT(*) FILTER (WHERE is_purchase AND day >= %(analysis_start)s) AS purchase_days,
                       MIN(day) FILTER (WHERE is_purchase) AS first_purchase,
                       MAX(day) FILTER (WHERE is_purchase) AS last_purchase,
                       ROUND(AVG(day - previous_day)
                             FILTER (WHERE is_purchase AND previous_day >= %(analysis_start)s), 1)::float8
                           AS mean_interval,
                       ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY day - previous_day)
                             FILTER (WHERE is_purchase AND previous_day >= %(analysis_start)s))::numeric, 1)::float8
                           AS median_interval,
                       ROUND(STDDEV_SAMP(day - previous_day)
                             FILTER (WHERE is_purchase AND previous_day >= %(analysis_start)s), 1)::float8
                           AS interval_spread,
                       ROUND(COALESCE(SUM(amount) FILTER (WHERE day >= %(revenue_start)s), 0)::numeric, 2)
                           AS revenue
                  FROM purchase_gap
              GROUP BY client_id
            )
            %(unanswered)s
            """,
            purchase_days=self._source(company)._reconquete_purchase_days_query(
                company, purchases, today, since, contact_ids=contact_ids
            ),
            unanswered=unanswered,
            analysis_start=attrition_rules.months_before(today, thresholds.analysis_months),
            revenue_start=attrition_rules.months_before(today, thresholds.revenue_months),
        )
        client_select = SQL(
            """
            SELECT COALESCE(figures.client_id, file.partner_id) AS partner_id, file.id AS file_id,
                   COALESCE(file.strategic_override, 'auto') AS override,
                   COALESCE(figures.purchase_days, 0) AS purchase_days, %(first_purchase)s AS first_purchase,
                   %(last_purchase)s AS last_purchase, figures.mean_interval, figures.median_interval,
                   figures.interval_spread, COALESCE(figures.revenue, 0) AS revenue,
                   %(unanswered_count)s AS unanswered, %(stored)s
              FROM figures
         %(unanswered_join)s
         FULL JOIN (SELECT * FROM reconquete_client
                     WHERE company_id = %(company_id)s AND %(files)s) AS file
                ON file.partner_id = figures.client_id
             -- clients with purchases, and clients that had some (to clear them)
             WHERE figures.client_id IS NOT NULL OR file.stage_id IS NOT NULL
            """,
            unanswered_count=unanswered_count,
            unanswered_join=unanswered_join,
            first_purchase=first_purchase,
            last_purchase=last_purchase,
            stored=self._stored_columns(),
            company_id=company.id,
            files=scope_sql(scope, SQL("partner_id")),
        )
        return ctes, client_select

    @api.model
    def _contact_ids(self, client_ids):
        query = SQL("SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s)", list(client_ids))
        return [partner_id for (partner_id,) in self.env.execute_query(query)]

    @api.model
    def _stored_columns(self):
        return SQL(", ").join(
            SQL("file.%s AS %s", SQL.identifier(name), SQL.identifier(f"stored_{name}")) for name in FIGURE_NAMES
        )

    @api.model
    def _write_batch(self, company, today):
        """Write the files of ``reconquete_batch``; record stage changes, wins, undone wins.

        A file another transaction holds or changed since this one began is
        left out, and re-read later: never the whole batch.
        """
        stage_codes = {stage_id: code for code, stage_id in self.env["reconquete.stage"]._ids_by_code().items()}
        file_ids = [
            file_id
            for (file_id,) in self.env.execute_query(
                SQL("SELECT file_id FROM reconquete_batch WHERE file_id IS NOT NULL")
            )
        ]
        locked = self._lock_files(file_ids)
        skipped = []
        if held := [file_id for file_id in file_ids if file_id not in locked]:
            query = SQL("DELETE FROM reconquete_batch WHERE file_id = ANY(%s) RETURNING partner_id", held)
            skipped = [partner_id for (partner_id,) in self.env.execute_query(query)]
            _logger.info(
                "Reconquête: %s client(s) of %s held or changed by another transaction meanwhile; re-read later",
                len(skipped),
                company.name,
            )
        undone_query = SQL(
            "SELECT file_id, previous_stage_id, previous_stage_date FROM reconquete_batch WHERE is_undone"
        )
        if undone := {
            file_id: (stage_codes[stage_id], date) for file_id, stage_id, date in self.env.execute_query(undone_query)
        }:
            self.env["reconquete.scheduler"]._on_win_undone(company, undone)
        created = self._insert_new_files(company)
        lost_races_query = SQL(
            "SELECT partner_id FROM reconquete_batch WHERE file_id IS NULL AND partner_id <> ALL(%s)", list(created)
        )
        # A file created meanwhile by another transaction: left to the next pass.
        skipped += [partner_id for (partner_id,) in self.env.execute_query(lost_races_query)]
        updated = self._update_files()
        self._record_stage_changes(company, today)
        self._invalidate_files()
        self._follow_stage_changes(company, today, stage_codes)
        return BatchResult(len(created) + updated, skipped)

    @api.model
    def _follow_stage_changes(self, company, today, stage_codes):
        """What leaving a risk stage sets off: a win (close and record), or nothing left to win back."""
        query = SQL(
            """
            SELECT file.id, batch.previous_stage_id, batch.previous_stage_date, batch.stage_id
              FROM reconquete_batch AS batch
              JOIN reconquete_client AS file ON file.partner_id = batch.partner_id AND file.company_id = %s
             WHERE batch.previous_stage_id = ANY(%s) AND batch.stage_id IS DISTINCT FROM batch.previous_stage_id
            """,
            company.id,
            [stage_id for stage_id, code in stage_codes.items() if code in attrition_rules.RISK_STAGES],
        )
        won_back, cleared = {}, []
        for file_id, previous_id, previous_date, stage_id in self.env.execute_query(query):
            if stage_codes.get(stage_id) == attrition_rules.WON_BACK:
                won_back[file_id] = (previous_id, previous_date)
            elif stage_codes.get(stage_id) in attrition_rules.LIVING_STAGES:
                cleared.append(file_id)
        if won_back:
            self.env["reconquete.scheduler"]._on_won_back(company, won_back, today)
        if cleared:
            self.env["reconquete.scheduler"]._on_risk_cleared(cleared)

    @api.model
    def _invalidate_files(self):
        """Files were written in SQL: forget them, and the partner fields that read them."""
        self.env["reconquete.client"].invalidate_model()
        partner_fields = [name for name in self.env["res.partner"]._fields if name.startswith("reconquete_")]
        self.env["res.partner"].invalidate_model(partner_fields)

    @api.model
    def _lock_files(self, file_ids):
        """Lock the files this batch writes; those another transaction holds or changed are left out.

        ``SKIP LOCKED`` leaves out the files locked now. A file changed and
        committed since this transaction's snapshot makes the lock fail with a
        serialization error: the set is then halved until the culprits alone
        are left out.
        """
        if not file_ids:
            return set()
        try:
            with self.env.cr.savepoint(flush=False):
                query = SQL(
                    "SELECT id FROM reconquete_client WHERE id = ANY(%s) FOR NO KEY UPDATE SKIP LOCKED", file_ids
                )
                # an expected error here, not one for the log
                self.env.cr.execute(query, log_exceptions=False)
                return {file_id for (file_id,) in self.env.cr.fetchall()}
        except errors.SerializationFailure:
            if len(file_ids) == 1:
                return set()
            half = len(file_ids) // 2
            return self._lock_files(file_ids[:half]) | self._lock_files(file_ids[half:])

    @api.model
    def _insert_new_files(self, company):
        """Create the files of the batch's new clients; return {partner id: file id} of those created."""
        columns = SQL(", ").join(SQL.identifier(name) for name in FIGURE_NAMES)
        query = SQL(
            """
            INSERT INTO reconquete_client
                   (partner_id, company_id, user_id, strategic_override, excluded, %(columns)s,
                    unplanned_entry_date, create_uid, create_date, write_uid, write_date)
            SELECT batch.partner_id, %(company_id)s, partner.user_id, 'auto', FALSE, %(batch_columns)s,
                   CASE WHEN %(entries_to_managers)s THEN batch.stage_date END,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM reconquete_batch AS batch
              JOIN res_partner AS partner ON partner.id = batch.partner_id
             WHERE batch.file_id IS NULL
            ON CONFLICT (partner_id, company_id) DO NOTHING
         RETURNING partner_id, id
            """,
            columns=columns,
            batch_columns=SQL(", ").join(SQL("batch.%s", SQL.identifier(name)) for name in FIGURE_NAMES),
            company_id=company.id,
            # Until the addon's first look at the company is complete, the stage each client is in is
            # the managers' call (``_leave_entries_to_managers``): said at once, not by a second write.
            entries_to_managers=self.env["reconquete.analysis.state"]._for_company(company).first_look,
            uid=self.env.uid,
        )
        return dict(self.env.execute_query(query))

    @api.model
    def _update_files(self):
        """Write the batch's existing files; return how many."""
        assignments = SQL(", ").join(
            SQL("%s = batch.%s", SQL.identifier(name), SQL.identifier(name)) for name in FIGURE_NAMES
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE reconquete_client AS file
                   SET %s, write_uid = %s, write_date = NOW() AT TIME ZONE 'UTC'
                  FROM reconquete_batch AS batch
                 WHERE file.id = batch.file_id
                """,
                assignments,
                self.env.uid,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _record_stage_changes(self, company, today):
        """One history line per stage change of the batch, in one statement."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO reconquete_stage_history (client_id, date, stage_from, stage_to, user_id, revenue,
                                                      is_strategic)
                SELECT file.id, %(today)s, previous_stage.code, stage.code, file.user_id, batch.revenue,
                       COALESCE(batch.is_strategic, FALSE)
                  FROM reconquete_batch AS batch
                  JOIN reconquete_client AS file
                    ON file.partner_id = batch.partner_id AND file.company_id = %(company_id)s
             LEFT JOIN reconquete_stage AS previous_stage ON previous_stage.id = batch.previous_stage_id
             LEFT JOIN reconquete_stage AS stage ON stage.id = batch.stage_id
                 WHERE batch.stage_id IS DISTINCT FROM batch.previous_stage_id
                """,
                today=today,
                company_id=company.id,
            )
        )
        self.env["reconquete.stage.history"].invalidate_model()

    # ------------------------------------------------------------------
    # Solicitations
    # ------------------------------------------------------------------

    @api.model
    def _unanswered_solicitations_query(self, company, clients_sql, contact_ids=None):
        """CTEs counting, per client, solicitations since its last answer or purchase.

        A solicitation is an email sent to the client or one of its contacts
        from their chatter or from the client's reconquest file, or a call
        marked "No answer"; an answer is any message the client's contacts
        wrote to this company. Order and invoice emails are not solicitations.
        Needs the ``figures`` CTE before it; ``clients_sql`` filters on
        ``partner.commercial_partner_id``.
        """
        # Every lookup goes through an index of a real table (contacts by
        # commercial partner, messages by document or author, notifications by
        # message), never through a CTE: messages can be tens of millions.
        is_solicitation = SQL(
            """
            (message.subtype_id = %(no_answer)s
             OR (message.message_type IN ('comment', 'email_outgoing')
                 AND NOT EXISTS (SELECT 1 FROM res_partner AS author
                                  WHERE author.id = message.author_id
                                    AND author.commercial_partner_id = figures.client_id)
                 AND EXISTS (SELECT 1 FROM mail_notification AS notification
                               JOIN res_partner AS recipient ON recipient.id = notification.res_partner_id
                              WHERE notification.mail_message_id = message.id
                                AND notification.notification_type = 'email'
                                AND recipient.commercial_partner_id = figures.client_id)))
            """,
            no_answer=self.env.ref("reconquete_client.mt_reconquete_no_answer").id,
        )
        return SQL(
            """
            last_answer AS (
                SELECT partner.commercial_partner_id AS client_id, MAX(message.date) AS answered_at
                  FROM res_partner AS partner
                  JOIN mail_message AS message ON message.author_id = partner.id
                 WHERE %(clients_sql)s
                   AND (%(contact_ids)s::int[] IS NULL OR message.author_id = ANY(%(contact_ids)s::int[]))
                   AND message.message_type IN ('email', 'comment')
                   AND message.record_company_id = %(company_id)s
              GROUP BY partner.commercial_partner_id
            ),
            solicitation AS (
                SELECT figures.client_id, message.date
                  FROM figures
                  JOIN res_partner AS partner
                    ON partner.commercial_partner_id = figures.client_id AND %(clients_sql)s
                  -- OFFSET 0 keeps this a subquery: the cheap filters drop the
                  -- messages before the last purchase, then the EXISTS below run
                  CROSS JOIN LATERAL (
                        SELECT message.id, message.date, message.author_id, message.subtype_id, message.message_type
                          FROM mail_message AS message
                         WHERE message.model = 'res.partner'
                           AND message.res_id = partner.id
                           AND message.date >= figures.last_purchase + 1
                           AND message.record_company_id = %(company_id)s
                        OFFSET 0
                  ) AS message
                 WHERE %(is_solicitation)s
                UNION ALL
                SELECT figures.client_id, message.date
                  FROM figures
                  JOIN reconquete_client AS file
                    ON file.partner_id = figures.client_id AND file.company_id = %(company_id)s
                  JOIN res_partner AS partner ON partner.id = figures.client_id AND %(clients_sql)s
                  CROSS JOIN LATERAL (
                        SELECT message.id, message.date, message.author_id, message.subtype_id, message.message_type
                          FROM mail_message AS message
                         WHERE message.model = 'reconquete.client'
                           AND message.res_id = file.id
                           AND message.date >= figures.last_purchase + 1
                        OFFSET 0
                  ) AS message
                 WHERE %(is_solicitation)s
            ),
            unanswered AS (
                SELECT solicitation.client_id, COUNT(*) AS unanswered
                  FROM solicitation
             LEFT JOIN last_answer ON last_answer.client_id = solicitation.client_id
                 WHERE solicitation.date > COALESCE(last_answer.answered_at, '-infinity')
              GROUP BY solicitation.client_id
            )
            """,
            clients_sql=clients_sql,
            contact_ids=contact_ids,
            company_id=company.id,
            is_solicitation=is_solicitation,
        )
