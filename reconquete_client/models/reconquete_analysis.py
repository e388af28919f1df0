"""The analysis: purchases aggregated in SQL, rules applied, changes written.

One batch is one range of client ids of one company. For each batch a single
SQL pass rolls orders (or invoices) up to the commercial partner, collapses
them into purchase days and computes the rhythm with window functions; the
attrition rules (``attrition_rules``) then decide stages and strategic flags,
and only clients whose values changed are written, in one statement. The
number of statements therefore depends on the number of batches, never on the
number of clients, and memory on the batch size, never on the number of orders.

A full pass re-reads every order. The daily passes in between re-read only
the clients whose documents (or messages) changed since the previous run, or
whose orders crossed a window's edge; every other client is classified again
from its stored figures, since silence grows every day. A full pass runs at
least once a week and after any change of the settings.
"""

import logging
from collections import namedtuple
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .. import attrition_rules
from ..attrition_rules import Rhythm

_logger = logging.getLogger(__name__)

# Figures the analysis stores on each client (company-dependent jsonb columns
# of res_partner), with the SQL type they are read back as.
STORED_FIGURES = (
    ("reconquete_purchase_days", "int4"),
    ("reconquete_first_purchase_date", "date"),
    ("reconquete_last_purchase_date", "date"),
    ("reconquete_mean_interval", "float8"),
    ("reconquete_median_interval", "float8"),
    ("reconquete_interval_spread", "float8"),
    ("reconquete_reference_interval", "float8"),
    ("reconquete_expected_date", "date"),
    ("reconquete_revenue", "float8"),
    ("reconquete_unanswered_count", "int4"),
    ("reconquete_is_strategic", "bool"),
    ("reconquete_strategic_reason", "text"),
    ("reconquete_stage_id", "int4"),
    ("reconquete_stage_date", "date"),
)
# What one batch did: how many clients it wrote, and their stage changes as
# (client id, from stage id, to stage id).
BatchResult = namedtuple("BatchResult", ["written", "changes"])

# A client's latest purchase: the order or invoice name, its day, its sales team id.
PurchaseDocument = namedtuple("PurchaseDocument", ["name", "day", "team_id"])

FIGURE_NAMES = tuple(name for name, _type in STORED_FIGURES)
STAGE = FIGURE_NAMES.index("reconquete_stage_id")
STAGE_DATE = FIGURE_NAMES.index("reconquete_stage_date")
STRATEGIC = FIGURE_NAMES.index("reconquete_is_strategic")


class ReconqueteAnalysis(models.AbstractModel):
    _name = "reconquete.analysis"
    _description = "Client Rhythm Analysis"

    # Width of a batch in partner ids: bounds the time and the row locks of
    # one transaction while keeping the number of statements small.
    _batch_size = 50000
    # A full pass re-reads every order at least this often, to catch what the
    # daily passes cannot see (a contact moved to another company, say).
    _full_pass_every_days = 7

    # ------------------------------------------------------------------
    # Purchase sources (overridable: one method per source)
    # ------------------------------------------------------------------

    @api.model
    def _purchase_days_query(self, company, clients_sql, today, since=None):
        """SQL giving one row per client and day: client_id, day, amount, is_purchase.

        ``amount`` is the day's untaxed amount in company currency (negative
        for credit notes); ``is_purchase`` is false for a day of credit notes
        only. ``clients_sql`` filters on ``partner.commercial_partner_id``;
        ``since`` (a date) keeps only the days from that one on.
        """
        source_query = getattr(self, f"_purchase_days_query_{company.reconquete_purchase_source}")
        return source_query(company, clients_sql, today, since or date.min)

    @api.model
    def _purchase_days_query_sale(self, company, clients_sql, today, since):
        # Days are UTC dates of the confirmation; amounts go back to company
        # currency with the rate stored on the order.
        return SQL(
            """
            SELECT partner.commercial_partner_id AS client_id,
                   sale.date_order::date AS day,
                   SUM(sale.amount_untaxed / COALESCE(NULLIF(sale.currency_rate, 0), 1)) AS amount,
                   TRUE AS is_purchase
              FROM sale_order AS sale
              JOIN res_partner AS partner ON partner.id = sale.partner_id
             WHERE sale.company_id = %(company_id)s
               AND sale.state = 'sale'
               AND sale.date_order >= %(since)s
               AND sale.date_order < %(tomorrow)s
               AND %(clients_sql)s
          GROUP BY 1, 2
            """,
            company_id=company.id,
            since=since,
            tomorrow=today + timedelta(days=1),
            clients_sql=clients_sql,
        )

    @api.model
    def _purchase_days_query_invoice(self, company, clients_sql, today, since):
        # A fully reversed invoice is no purchase; credit notes lower revenue.
        return SQL(
            """
            SELECT partner.commercial_partner_id AS client_id,
                   move.invoice_date AS day,
                   SUM(move.amount_untaxed_signed) AS amount,
                   BOOL_OR(move.move_type = 'out_invoice'
                           AND move.payment_state IS DISTINCT FROM 'reversed') AS is_purchase
              FROM account_move AS move
              JOIN res_partner AS partner ON partner.id = move.partner_id
             WHERE move.company_id = %(company_id)s
               AND move.state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND move.invoice_date BETWEEN %(since)s AND %(today)s
               AND %(clients_sql)s
          GROUP BY 1, 2
            """,
            company_id=company.id,
            since=since,
            today=today,
            clients_sql=clients_sql,
        )

    @api.model
    def _last_purchase_documents(self, company, client_ids):
        """{client id: PurchaseDocument} of each client's latest purchase."""
        if not client_ids:
            return {}
        source_query = getattr(self, f"_last_purchase_documents_query_{company.reconquete_purchase_source}")
        self.env.flush_all()
        rows = self.env.execute_query(source_query(company, client_ids))
        return {client_id: PurchaseDocument(name, day, team_id) for client_id, name, day, team_id in rows}

    @api.model
    def _last_purchase_documents_query_sale(self, company, client_ids):
        return SQL(
            """
            SELECT DISTINCT ON (partner.commercial_partner_id)
                   partner.commercial_partner_id, sale.name, sale.date_order::date, sale.team_id
              FROM sale_order AS sale
              JOIN res_partner AS partner ON partner.id = sale.partner_id
             WHERE sale.company_id = %(company_id)s
               AND sale.state = 'sale'
               AND partner.commercial_partner_id = ANY(%(client_ids)s)
          ORDER BY partner.commercial_partner_id, sale.date_order DESC, sale.id DESC
            """,
            company_id=company.id,
            client_ids=client_ids,
        )

    @api.model
    def _last_purchase_documents_query_invoice(self, company, client_ids):
        return SQL(
            """
            SELECT DISTINCT ON (partner.commercial_partner_id)
                   partner.commercial_partner_id, move.name, move.invoice_date, move.team_id
              FROM account_move AS move
              JOIN res_partner AS partner ON partner.id = move.partner_id
             WHERE move.company_id = %(company_id)s
               AND move.state = 'posted'
               AND move.move_type = 'out_invoice'
               AND move.payment_state IS DISTINCT FROM 'reversed'
               AND partner.commercial_partner_id = ANY(%(client_ids)s)
          ORDER BY partner.commercial_partner_id, move.invoice_date DESC, move.id DESC
            """,
            company_id=company.id,
            client_ids=client_ids,
        )

    @api.model
    def _unanswered_solicitations_query(self, company, clients_sql):
        """CTEs counting, per client, solicitations since its last answer or purchase.

        A solicitation is an email sent to the client or one of its contacts
        from their chatter, or a call marked "No answer"; an answer is any
        message the client's contacts wrote to this company. Order and invoice
        emails are not solicitations. Needs the ``figures`` CTE before it.
        """
        # Every lookup goes through an index of a real table (contacts by
        # commercial partner, messages by document or author, notifications by
        # message), never through a CTE: messages can be tens of millions.
        return SQL(
            """
            last_answer AS (
                SELECT partner.commercial_partner_id AS client_id, MAX(message.date) AS answered_at
                  FROM res_partner AS partner
                  JOIN mail_message AS message ON message.author_id = partner.id
                 WHERE %(clients_sql)s
                   AND message.message_type IN ('email', 'comment')
                   AND message.record_company_id = %(company_id)s
              GROUP BY partner.commercial_partner_id
            ),
            solicitation AS (
                SELECT partner.commercial_partner_id AS client_id, message.date
                  FROM res_partner AS partner
                  JOIN figures ON figures.client_id = partner.commercial_partner_id
                  -- OFFSET 0 keeps this a subquery: the cheap filters drop the
                  -- messages before the last purchase, then the EXISTS below run
                  CROSS JOIN LATERAL (
                        SELECT message.id, message.date, message.author_id, message.subtype_id,
                               message.message_type
                          FROM mail_message AS message
                         WHERE message.model = 'res.partner'
                           AND message.res_id = partner.id
                           AND message.date >= figures.last_purchase + 1
                           AND message.record_company_id = %(company_id)s
                        OFFSET 0
                  ) AS message
                 WHERE %(clients_sql)s
                   AND (message.subtype_id = %(no_answer_subtype_id)s
                        OR (message.message_type IN ('comment', 'email_outgoing')
                            AND NOT EXISTS (SELECT 1 FROM res_partner AS author
                                             WHERE author.id = message.author_id
                                               AND author.commercial_partner_id = partner.commercial_partner_id)
                            AND EXISTS (SELECT 1 FROM mail_notification AS notification
                                          JOIN res_partner AS recipient
                                            ON recipient.id = notification.res_partner_id
                                         WHERE notification.mail_message_id = message.id
                                           AND notification.notification_type = 'email'
                                           AND recipient.commercial_partner_id = partner.commercial_partner_id)))
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
            company_id=company.id,
            no_answer_subtype_id=self.env.ref("reconquete_client.mt_reconquete_no_answer").id,
        )

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_analyse(self):
        """Scheduled action: bring every company's clients up to today, then
        schedule the reconquest activities their stages ask for.

        Each batch is committed through ``_commit_progress``; when time runs
        out the runner calls again and the job resumes where it stopped. A
        batch that fails is rolled back alone and logged; the others go on.
        """
        cron = self.env["ir.cron"]
        scheduler = self.env["reconquete.scheduler"]
        today = fields.Date.today()
        # Companies are a handful: loading them all is fine.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        # Clients whose activities failed or found nobody: retried at the next run.
        postponed_ids = set()
        scheduled = set()  # companies whose activities are all scheduled

        def remaining():
            # What the runner needs is "more to do or not": batches left to
            # analyse, plus one per company whose activities are not scheduled yet.
            return self._count_remaining_batches(companies, today) + len(companies) - len(scheduled)

        cron._commit_progress(remaining=remaining())
        for company in companies:
            while not self._is_analysed(company, today):
                try:
                    with self.env.cr.savepoint():
                        self._analyse_next_batch(company, today)
                except Exception:
                    _logger.exception(
                        "Reconquête: analysis of %s failed for clients from id %s; they keep their previous figures",
                        company.name,
                        company.reconquete_next_client_id or 1,
                    )
                    self._skip_batch(company, today)
                if not cron._commit_progress(1, remaining=remaining()):
                    return  # out of time: the runner calls again and we resume
        for company in companies:
            while clients := scheduler._pending_clients(company, today, postponed_ids):
                try:
                    with self.env.cr.savepoint():
                        postponed_ids.update(scheduler._schedule_for_clients(clients, company, today).ids)
                except Exception:
                    _logger.exception(
                        "Reconquête: scheduling activities for %s clients of %s failed; retried at the next run",
                        len(clients),
                        company.name,
                    )
                    postponed_ids.update(clients.ids)
                if not cron._commit_progress(len(clients), remaining=remaining()):
                    return
            scheduled.add(company.id)
        cron._commit_progress(remaining=0)

    @api.model
    def _analyse_all_companies(self):
        """Analyse every client of every company now, in batches, without committing.

        Returns the number of clients whose figures were written.
        """
        today = fields.Date.today()
        written = 0
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            self._restart_analysis(company)
            while not self._is_analysed(company, today):
                written += self._analyse_next_batch(company, today).written
        return written

    @api.model
    def _refresh_clients(self, clients, company):
        """Analyse the given clients now and schedule what their stages ask for."""
        if not clients:
            return BatchResult(0, [])
        result = self._analyse_clients(clients, company)
        today = fields.Date.today()
        scheduler = self.env["reconquete.scheduler"]
        pending = scheduler._pending_clients(company, today, client_ids=clients.ids)
        if pending:
            scheduler._schedule_for_clients(pending, company, today)
        return result

    @api.model
    def _analyse_clients(self, clients, company):
        """Analyse the given clients of one company now (a button, an override)."""
        if not clients:
            return BatchResult(0, [])
        today = fields.Date.today()
        clients_sql = SQL("partner.commercial_partner_id = ANY(%s)", clients.ids)
        return self._analyse(company.sudo(), today, clients_sql, SQL("client.id = ANY(%s)", clients.ids))

    @api.model
    def _restart_analysis(self, companies):
        """Forget today's progress: the next run analyses these companies from scratch."""
        companies.sudo().write({"reconquete_analysis_date": False, "reconquete_next_client_id": 0})
        cron = self.env.ref("reconquete_client.ir_cron_reconquete_analysis", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------

    @api.model
    def _is_analysed(self, company, today):
        return company.reconquete_analysis_date == today and not company.reconquete_next_client_id

    @api.model
    def _count_remaining_batches(self, companies, today):
        last_id = self._last_partner_id()
        remaining = 0
        for company in companies:
            if not self._is_analysed(company, today):
                first_id = company.reconquete_next_client_id or 1
                remaining += max(0, last_id - first_id) // self._batch_size + 1
        return remaining

    @api.model
    def _last_partner_id(self):
        return self.env.execute_query(SQL("SELECT COALESCE(MAX(id), 0) FROM res_partner"))[0][0]

    @api.model
    def _analyse_next_batch(self, company, today):
        """Analyse the next range of client ids of ``company`` and move its cursor."""
        first_id = company.reconquete_next_client_id
        if not first_id:
            self._start_pass(company, today)
            first_id = 1
        last_id = first_id + self._batch_size - 1
        purchases_in_range = SQL("partner.commercial_partner_id BETWEEN %s AND %s", first_id, last_id)
        clients_in_range = SQL("client.id BETWEEN %s AND %s", first_id, last_id)
        if company.reconquete_pass_is_full:
            # Solicitations only change with new messages or purchases, which the
            # daily passes re-read: a full pass counts them only the first time.
            result = self._analyse(
                company,
                today,
                purchases_in_range,
                clients_in_range,
                count_solicitations=not company.reconquete_full_analysis_date,
            )
        else:
            changed_ids = self._changed_client_ids(company, today, purchases_in_range)
            reread = BatchResult(0, [])
            if changed_ids:
                reread = self._analyse(
                    company,
                    today,
                    SQL("partner.commercial_partner_id = ANY(%s)", changed_ids),
                    SQL("client.id = ANY(%s)", changed_ids),
                )
            reclassified = self._analyse(
                company, today, None, SQL("%s AND client.id <> ALL(%s)", clients_in_range, changed_ids)
            )
            result = BatchResult(reread.written + reclassified.written, reread.changes + reclassified.changes)
        self._move_cursor(company, today, last_id)
        return result

    @api.model
    def _start_pass(self, company, today):
        """Open a pass: full or daily, and the revenue total its shares use."""
        last_full = company.reconquete_full_analysis_date
        full = (
            not company.reconquete_analysis_date  # never analysed, or settings changed
            or not company.reconquete_changes_since
            or not last_full
            or (today - last_full).days >= self._full_pass_every_days
        )
        company.write(
            {
                # A daily pass takes the total from the clients' stored revenue (no
                # order read); the full pass recomputes it from the documents.
                "reconquete_revenue_total": (
                    self._company_revenue(company, today) if full else self._stored_revenue(company)
                ),
                "reconquete_pass_is_full": full,
                # An hour of margin: a document written by a transaction still open
                # now keeps its earlier write date, and must be seen next time.
                "reconquete_pass_started_at": self.env.cr.now() - timedelta(hours=1),
                "reconquete_pass_message_id": self.env.execute_query(
                    SQL("SELECT COALESCE(MAX(id), 0) FROM mail_message")
                )[0][0],
            }
        )

    @api.model
    def _changed_client_ids(self, company, today, clients_sql):
        """Clients whose figures may have changed since the last pass of ``company``.

        Their documents or messages were written since, or one of their
        documents left the analysis or revenue window, or a document dated
        in the future reached its day. ``clients_sql`` filters on
        ``partner.commercial_partner_id``.
        """
        last_day = company.reconquete_analysis_date
        thresholds = company._reconquete_thresholds()
        edges = [
            (attrition_rules.months_before(last_day, months), attrition_rules.months_before(today, months))
            for months in (thresholds.analysis_months, thresholds.revenue_months)
        ]
        edges.append((last_day + timedelta(days=1), today + timedelta(days=1)))
        source_query = getattr(self, f"_changed_clients_query_{company.reconquete_purchase_source}")
        query = SQL(
            """
            %(documents)s
            UNION
            SELECT partner.commercial_partner_id
              FROM mail_message AS message
              JOIN res_partner AS partner ON partner.id = message.author_id
             WHERE message.id > %(message_id)s AND %(clients_sql)s
            UNION
            SELECT partner.commercial_partner_id
              FROM mail_message AS message
              JOIN res_partner AS partner ON partner.id = message.res_id AND message.model = 'res.partner'
             WHERE message.id > %(message_id)s AND %(clients_sql)s
            """,
            documents=source_query(company, company.reconquete_changes_since, edges, clients_sql),
            message_id=company.reconquete_messages_since_id,
            clients_sql=clients_sql,
        )
        self.env.flush_all()
        return [client_id for (client_id,) in self.env.execute_query(query)]

    @api.model
    def _changed_clients_query_sale(self, company, since, edges, clients_sql):
        moved = SQL(" OR ").join(
            SQL("(sale.date_order >= %s AND sale.date_order < %s)", start, end) for start, end in edges
        )
        return SQL(
            """
            SELECT partner.commercial_partner_id
              FROM sale_order AS sale
              JOIN res_partner AS partner ON partner.id = sale.partner_id
             WHERE sale.company_id = %(company_id)s
               AND (sale.write_date >= %(since)s OR %(moved)s)
               AND %(clients_sql)s
            """,
            company_id=company.id,
            since=since,
            moved=moved,
            clients_sql=clients_sql,
        )

    @api.model
    def _changed_clients_query_invoice(self, company, since, edges, clients_sql):
        moved = SQL(" OR ").join(
            SQL("(move.invoice_date >= %s AND move.invoice_date < %s)", start, end) for start, end in edges
        )
        return SQL(
            """
            SELECT partner.commercial_partner_id
              FROM account_move AS move
              JOIN res_partner AS partner ON partner.id = move.partner_id
             WHERE move.company_id = %(company_id)s
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND (move.write_date >= %(since)s OR %(moved)s)
               AND %(clients_sql)s
            """,
            company_id=company.id,
            since=since,
            moved=moved,
            clients_sql=clients_sql,
        )

    @api.model
    def _skip_batch(self, company, today):
        first_id = company.reconquete_next_client_id or 1
        self._move_cursor(company, today, first_id + self._batch_size - 1)

    @api.model
    def _move_cursor(self, company, today, last_done_id):
        if last_done_id < self._last_partner_id():
            company.reconquete_next_client_id = last_done_id + 1
            return
        # The pass is complete: the next daily pass looks for what changed since it started.
        values = {
            "reconquete_next_client_id": 0,
            "reconquete_analysis_date": today,
            "reconquete_changes_since": company.reconquete_pass_started_at,
            "reconquete_messages_since_id": company.reconquete_pass_message_id,
        }
        if company.reconquete_pass_is_full:
            values["reconquete_full_analysis_date"] = today
        company.write(values)

    @api.model
    def _stored_revenue(self, company):
        """The company's revenue as the sum of its clients' stored revenue."""
        query = SQL(
            "SELECT COALESCE(SUM((reconquete_revenue ->> %(key)s)::float8), 0) FROM res_partner "
            "WHERE reconquete_revenue ? %(key)s",
            key=str(company.id),
        )
        return self.env.execute_query(query)[0][0]

    @api.model
    def _company_revenue(self, company, today):
        revenue_start = attrition_rules.months_before(today, company.reconquete_revenue_months)
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))  # see _fetch_figures
        days = self._purchase_days_query(company, SQL("TRUE"), today, since=revenue_start)
        query = SQL("SELECT COALESCE(SUM(amount), 0) FROM (%s) AS days", days)
        return float(self.env.execute_query(query)[0][0])

    # ------------------------------------------------------------------
    # The pass itself
    # ------------------------------------------------------------------

    @api.model
    def _analyse(self, company, today, clients_sql, client_ids_sql, count_solicitations=True):
        """Aggregate, classify and write the clients matched by the filters.

        ``clients_sql`` filters purchases on ``partner.commercial_partner_id``,
        ``client_ids_sql`` the clients on ``client.id``. Without
        ``clients_sql`` the clients are classified from their stored figures,
        without reading their purchases. Without ``count_solicitations`` the
        stored count of unanswered solicitations is kept (counting reads the
        messages of every contact of the batch).
        """
        Partner = self.env["res.partner"]
        # Raw SQL reads orders, invoices and partners: pending ORM writes first.
        self.env.flush_all()
        thresholds = company._reconquete_thresholds()
        stage_ids = self.env["reconquete.stage"]._ids_by_code()
        stage_codes = {stage_id: code for code, stage_id in stage_ids.items()}
        total_revenue = company.reconquete_revenue_total

        updates, changes = [], []
        if clients_sql is None:
            rows = self._fetch_stored_figures(company, client_ids_sql)
        else:
            rows = self._fetch_figures(company, today, thresholds, clients_sql, client_ids_sql, count_solicitations)
        for row in rows:
            new_values = self._evaluate(row, thresholds, today, total_revenue, stage_ids, stage_codes)
            if new_values != row["stored"]:
                updates.append((row["client_id"], *new_values))
            if row["stored"][STAGE] != new_values[STAGE]:
                changes.append((row, row["stored"][STAGE], new_values))
        self._write_figures(company, updates)
        self._record_stage_changes(company, today, changes)
        Partner.invalidate_model(FIGURE_NAMES)
        won_back = {
            row["client_id"]: (old_stage_id, row["stored"][STAGE_DATE])
            for row, old_stage_id, new_values in changes
            if stage_codes.get(old_stage_id) in attrition_rules.RISK_STAGES
            and stage_codes.get(new_values[STAGE]) == attrition_rules.WON_BACK
        }
        if won_back:
            self.env["reconquete.scheduler"]._on_won_back(company, won_back, today)
        return BatchResult(
            written=len(updates),
            changes=[(row["client_id"], old_stage_id, new_values[STAGE]) for row, old_stage_id, new_values in changes],
        )

    @api.model
    def _fetch_figures(self, company, today, thresholds, clients_sql, client_ids_sql, count_solicitations=True):
        """Per client of the batch, its fresh figures and its stored values."""
        company_key = str(company.id)
        stored_columns = self._stored_columns(company)
        if count_solicitations:
            unanswered = SQL(", %s", self._unanswered_solicitations_query(company, clients_sql))
            unanswered_count = SQL("COALESCE(unanswered.unanswered, 0)")
            unanswered_join = SQL("LEFT JOIN unanswered ON unanswered.client_id = client.id")
        else:
            unanswered = SQL()
            unanswered_count = self._stored_column("reconquete_unanswered_count", "int4", company)
            unanswered_join = SQL()
        query = SQL(
            """
            WITH purchase_day AS (%(purchase_days)s),
            purchase_gap AS (
                -- gaps between consecutive purchase days; credit-note days stay apart
                SELECT client_id, day, amount, is_purchase,
                       LAG(day) OVER (PARTITION BY client_id, is_purchase ORDER BY day) AS previous_day
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
                       ROUND(COALESCE(SUM(amount) FILTER (WHERE day >= %(revenue_start)s), 0)::numeric, 2)::float8
                           AS revenue
                  FROM purchase_gap
              GROUP BY client_id
            )
            %(unanswered)s
            SELECT client.id, client.user_id,
                   figures.purchase_days, figures.first_purchase, figures.last_purchase,
                   figures.mean_interval, figures.median_interval, figures.interval_spread, figures.revenue,
                   %(unanswered_count)s,
                   client.reconquete_strategic_override ->> %(company_key)s,
                   %(stored_columns)s
              FROM res_partner AS client
         LEFT JOIN figures ON figures.client_id = client.id
         %(unanswered_join)s
             WHERE %(client_ids_sql)s
               -- clients with purchases, and clients that had some (to clear them)
               AND (figures.client_id IS NOT NULL OR client.reconquete_stage_id ? %(company_key)s)
            """,
            purchase_days=self._purchase_days_query(company, clients_sql, today),
            unanswered=unanswered,
            unanswered_count=unanswered_count,
            unanswered_join=unanswered_join,
            analysis_start=attrition_rules.months_before(today, thresholds.analysis_months),
            revenue_start=attrition_rules.months_before(today, thresholds.revenue_months),
            company_key=company_key,
            stored_columns=stored_columns,
            client_ids_sql=client_ids_sql,
        )
        # The planner's cost estimate for this query is high enough to trigger
        # PostgreSQL's JIT compilation, which costs seconds per batch for a
        # query that runs in a fraction of a second (measured in benchmark/).
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        return [self._client_row(record) for record in self.env.execute_query(query)]

    @api.model
    def _fetch_stored_figures(self, company, client_ids_sql):
        """The rows of ``_fetch_figures``, built from what is stored: no purchase is read."""
        query = SQL(
            """
            SELECT client.id, client.user_id,
                   %(figures)s,
                   client.reconquete_strategic_override ->> %(company_key)s,
                   %(stored_columns)s
              FROM res_partner AS client
             WHERE %(client_ids_sql)s
               AND client.reconquete_stage_id ? %(company_key)s
            """,
            figures=SQL(", ").join(
                self._stored_column(name, sql_type, company)
                for name, sql_type in (
                    ("reconquete_purchase_days", "int4"),
                    ("reconquete_first_purchase_date", "date"),
                    ("reconquete_last_purchase_date", "date"),
                    ("reconquete_mean_interval", "float8"),
                    ("reconquete_median_interval", "float8"),
                    ("reconquete_interval_spread", "float8"),
                    ("reconquete_revenue", "float8"),
                    ("reconquete_unanswered_count", "int4"),
                )
            ),
            company_key=str(company.id),
            stored_columns=self._stored_columns(company),
            client_ids_sql=client_ids_sql,
        )
        return [self._client_row(record) for record in self.env.execute_query(query)]

    @api.model
    def _stored_column(self, name, sql_type, company):
        return SQL("(client.%s ->> %s)::%s", SQL.identifier(name), str(company.id), SQL(sql_type))

    @api.model
    def _stored_columns(self, company):
        return SQL(", ").join(self._stored_column(name, sql_type, company) for name, sql_type in STORED_FIGURES)

    @api.model
    def _client_row(self, record):
        """A client as the rules see it, from a row of ``_fetch_figures``."""
        (client_id, user_id, purchase_days, first, last, mean, median, spread, revenue, unanswered, override) = record[
            :11
        ]
        return {
            "client_id": client_id,
            "user_id": user_id,
            "rhythm": Rhythm(
                purchase_days=purchase_days or 0,
                first_purchase=first,
                last_purchase=last,
                mean_interval=mean,
                interval_spread=spread,
            ),
            "median_interval": median,
            "revenue": revenue or 0.0,
            "unanswered": unanswered or 0,
            "override": override or attrition_rules.OVERRIDE_AUTO,
            "stored": tuple(record[11:]),
        }

    @api.model
    def _evaluate(self, row, thresholds, today, total_revenue, stage_ids, stage_codes):
        """The values to store for one client, in ``STORED_FIGURES`` order.

        Empty values are None so that they compare equal to what is stored.
        """
        rhythm = row["rhythm"]
        stored = dict(zip(FIGURE_NAMES, row["stored"], strict=True))
        if rhythm.last_purchase is None:
            return (None,) * len(STORED_FIGURES)
        interval = attrition_rules.reference_interval(rhythm, thresholds)
        share = 100.0 * row["revenue"] / total_revenue if total_revenue > 0 else 0.0
        reason = attrition_rules.strategic_reason(rhythm, share, thresholds, today, row["override"])
        previous_stage_id = stored["reconquete_stage_id"]
        stage_code = attrition_rules.classify(
            rhythm,
            thresholds,
            today,
            previous_stage=stage_codes.get(previous_stage_id),
            previous_stage_date=stored["reconquete_stage_date"],
            unanswered=row["unanswered"],
        )
        stage_id = stage_ids.get(stage_code)
        stage_date = stored["reconquete_stage_date"] if stage_id == previous_stage_id else today
        return (
            rhythm.purchase_days or None,
            rhythm.first_purchase,
            rhythm.last_purchase,
            rhythm.mean_interval,
            row["median_interval"],
            rhythm.interval_spread,
            interval,
            rhythm.last_purchase + timedelta(days=round(interval)),
            row["revenue"] or None,
            row["unanswered"] or None,
            bool(reason) or None,
            reason,
            stage_id,
            stage_date,
        )

    @api.model
    def _write_figures(self, company, updates):
        """Write the changed clients' figures for ``company`` in one statement."""
        if not updates:
            return
        company_key = str(company.id)
        assignments = SQL(", ").join(
            # an empty value removes the company's key: the field reads its default
            SQL(
                """%(column)s = CASE WHEN new.%(column)s IS NULL
                                     THEN COALESCE(client.%(column)s, '{}'::jsonb) - %(key)s
                                     ELSE COALESCE(client.%(column)s, '{}'::jsonb)
                                          || jsonb_build_object(%(key)s, new.%(column)s::%(type)s) END""",
                column=SQL.identifier(name),
                key=company_key,
                type=SQL(sql_type),
            )
            for name, sql_type in STORED_FIGURES
        )
        columns = SQL(", ").join(SQL.identifier(name) for name in FIGURE_NAMES)
        values = SQL(", ").join(SQL("%s", update) for update in updates)
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner AS client SET %s FROM (VALUES %s) AS new(id, %s) WHERE client.id = new.id",
                assignments,
                values,
                columns,
            )
        )

    @api.model
    def _record_stage_changes(self, company, today, changes):
        """Insert one history line per stage change, in one statement."""
        if not changes:
            return
        rows = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, NOW() AT TIME ZONE 'UTC', %s, NOW() AT TIME ZONE 'UTC')",
                row["client_id"],
                company.id,
                today,
                old_stage_id,
                new_values[STAGE],
                row["user_id"],
                row["revenue"],
                bool(new_values[STRATEGIC]),
                self.env.uid,
                self.env.uid,
            )
            for row, old_stage_id, new_values in changes
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO reconquete_stage_history
                       (partner_id, company_id, date, stage_from_id, stage_to_id, user_id, revenue,
                        is_strategic, create_uid, create_date, write_uid, write_date)
                VALUES %s
                """,
                rows,
            )
        )
        self.env["reconquete.stage.history"].invalidate_model()
