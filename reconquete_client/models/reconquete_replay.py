"""The replay: each client's stage history rebuilt from its purchases, as if the nightly job had always run.

Installed on a database with years of orders, the addon logs its first
stage change per client on the day it is installed: the indicators would stay
empty for weeks. The replay classifies every client on every day of the
analysis window before its first logged line with the rules of the nightly
job (``attrition_rules.classify``) and only what was known that day, and
writes the stage changes found, marked ``is_replayed``: the day of the first
purchase, the days silence crossed the watch, alert and lost thresholds, the
purchases that won a client back (with a reconquest record and the real
number of days). Solicitations and manual actions are not replayed.

Per batch of partner ids, one statement reads each client's purchase days
and amounts in order, as day numbers; ``replay_walk.ReplayWalk`` replays the
clients one after the other as the rows stream, from the few days their rhythm
can change, with no ORM and no query per client, and sums the revenue of each
change's day; the changes go through COPY, and the files whose changes differ
from the previous replay's get theirs replaced. A second replay writes
nothing, and lines logged by the nightly job are never touched.

It runs at install (``hooks.py``), after a change of the rules and on a
manager's request: the scheduled action ``_cron_replay`` then waits for the
day's analysis, and commits batch after batch like the analysis does.
"""

import io
import itertools
import logging
from collections import namedtuple
from datetime import date, timedelta
from functools import cache
from operator import itemgetter

from odoo import api, fields, models
from odoo.tools import SQL

from .. import attrition_rules
from ..replay_walk import ReplayWalk
from .reconquete_analysis import Scope, scope_sql

_logger = logging.getLogger(__name__)

# What one batch changed.
ReplayResult = namedtuple(
    "ReplayResult", ["lines_written", "lines_deleted", "wins_written", "wins_deleted", "files_dated"]
)
NOTHING = ReplayResult(0, 0, 0, 0, 0)


def add_results(first, second):
    return ReplayResult(*(a + b for a, b in zip(first, second, strict=True)))


def day_number_sql(day):
    """SQL: ``day`` as the replay's day number, Python's ``date.toordinal`` (1 on 0001-01-01)."""
    return SQL("(%s - DATE '0001-01-01' + 1)", day)


@cache  # a few thousand distinct days per replay
def iso_day(day):
    """A day number as COPY reads a date."""
    return date.fromordinal(day).isoformat()


def copy_lines(rows):
    """``rows`` in COPY's text format: numbers, dates and stage codes (no tab, newline or backslash)."""
    # Inline, not one function call per value: a replay copies millions of values.
    return "".join("\t".join(["\\N" if value is None else str(value) for value in row]) + "\n" for row in rows)


class ReconqueteReplay(models.AbstractModel):
    _name = "reconquete.replay"
    _description = "Reconquest History Replay"

    # Partner ids per batch, as the analysis's full pass: each batch reads the company's documents once
    # (a quarter of the batch size cost 40% more time at 100,000 clients, see benchmark/). The batch's
    # documents and stage changes are held in memory: the replay of benchmark S (82,576 clients in its
    # largest batch, two years of history) peaks at 530 MB.
    _batch_size = 200000
    # When the day's analysis is not done yet, look again this much later.
    _wait_minutes = 10
    # Rows of the purchase days turned into Python objects at a time.
    _fetch_size = 10000

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_replay(self):
        """Scheduled action: replay the companies that asked for it, once their day's analysis is done.

        The replay continues the stages the analysis stored, so it waits for
        it. Each batch is committed through ``_commit_progress``; when time
        runs out the runner calls again and the replay resumes. The
        calibration follows each replay, and is refreshed once a week.
        """
        cron = self.env["ir.cron"]
        analysis = self.env["reconquete.analysis"]
        calibration = self.env["reconquete.calibration"]
        today = self.env["reconquete.client"]._today()
        # Companies are a handful: loading them all is fine.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        states = {company: self.env["reconquete.replay.state"]._for_company(company) for company in companies}
        waiting = set()

        def remaining():
            return sum(state._is_due(today) for company, state in states.items() if company.id not in waiting)

        cron._commit_progress(remaining=remaining())
        for company, state in states.items():
            if not state._is_due(today):
                continue
            analysis_state = self.env["reconquete.analysis.state"]._for_company(company)
            if not analysis._is_analysed(analysis_state, today):
                waiting.add(company.id)
                continue
            with analysis._company_lock(company) as locked:
                if not locked:
                    waiting.add(company.id)
                    continue
                # One replay per call: a batch that fails is retried tomorrow, not in a loop.
                self._run_batch(company, state, today)
                while state.next_client_id:
                    if not cron._commit_progress(1, remaining=remaining()):
                        return  # out of time: the runner calls again and we resume
                    self._run_batch(company, state, today)
                calibration._calibrate(company, today)
            if not cron._commit_progress(1, remaining=remaining()):
                return
        for company in companies.filtered(lambda company: company.id not in waiting):
            if calibration._is_stale(company, today):
                calibration._calibrate(company, today)
                cron._commit_progress(1, remaining=remaining())
        if waiting:
            # The day's analysis is still running: come back when it should be done.
            self._trigger_cron(fields.Datetime.now() + timedelta(minutes=self._wait_minutes))
        cron._commit_progress(remaining=0)

    @api.model
    def _replay_all_companies(self):
        """Replay every client of every company now, then calibrate, without committing (install, tests).

        Returns what the replay changed (``ReplayResult``).
        """
        today = self.env["reconquete.client"]._today()
        analysis = self.env["reconquete.analysis"]
        total = NOTHING
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            state = self.env["reconquete.replay.state"]._for_company(company)
            state.write({"requested": False, "next_client_id": 0})
            with analysis._company_lock(company, wait=True):
                while True:
                    total = add_results(total, self._run_batch(company, state, today))
                    if not state.next_client_id:
                        break
            self.env["reconquete.calibration"]._calibrate(company, today)
        return total

    @api.model
    def _request_replay(self, companies):
        """Ask for a replay of these companies: their rules changed, or a manager asked for it.

        A replay under way starts over, so that no company ends with a
        history replayed half with the old rules.
        """
        for company in companies:
            self.env["reconquete.replay.state"]._for_company(company).write({"requested": True, "next_client_id": 0})
        self._trigger_cron()

    @api.model
    def _trigger_if_due(self, today):
        """The day's analysis is done: a replay that waits for it starts now rather than at its next look."""
        states = self.env["reconquete.replay.state"].sudo().search([])  # pylint: disable=no-search-all
        if any(state._is_due(today) for state in states):
            self._trigger_cron()

    @api.model
    def _trigger_cron(self, at=None):
        cron = self.env.ref("reconquete_client.ir_cron_reconquete_replay", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------

    @api.model
    def _run_batch(self, company, state, today):
        """The next batch of the replay under way (starting it if needed); a failure costs this batch only."""
        if not state.next_client_id:
            state.write({"requested": False, "retry_on": False, "started_on": today, "next_client_id": 1})
            # Fresh statistics for the plans of the batches (the files may all be new, at install).
            self.env.flush_all()
            self.env.cr.execute(SQL("ANALYZE reconquete_client"))
        first = state.next_client_id
        scope = Scope(first, first + self._batch_size - 1, None)
        try:
            with self.env.cr.savepoint():
                result = self._replay_scope(company, state.started_on, scope)
        except Exception:
            _logger.exception(
                "Reconquête: replay of the history of %s failed for clients %s to %s; the replay runs again "
                "tomorrow, their earlier replayed history stays meanwhile",
                company.name,
                scope.first,
                scope.last,
            )
            state.retry_on = state.started_on + timedelta(days=1)
            result = NOTHING
        if scope.last < self.env["reconquete.analysis"]._last_partner_id():
            state.next_client_id = scope.last + 1
        else:
            # A first replay adds a million lines at size S: without fresh statistics the counts below
            # (and the reports until autovacuum comes) would be planned for an empty replayed history.
            self.env.cr.execute(SQL("ANALYZE reconquete_stage_history, reconquete_reconquest"))
            state.write(
                {
                    "next_client_id": 0,
                    "replay_date": state.started_on,
                    "replayed_lines": self._count(company, "reconquete_stage_history"),
                    "replayed_wins": self._count(company, "reconquete_reconquest"),
                }
            )
        return result

    @api.model
    def _count(self, company, table):
        query = SQL(
            "SELECT COUNT(*) FROM %s AS line JOIN reconquete_client AS file ON file.id = line.client_id "
            "WHERE file.company_id = %s AND line.is_replayed",
            SQL.identifier(table),
            company.id,
        )
        return self.env.execute_query(query)[0][0]

    @api.model
    def _replay_scope(self, company, today, scope):
        """Replay the clients of ``company`` in ``scope`` and write what changed."""
        thresholds = company._reconquete_thresholds()
        # Raw SQL reads orders, invoices, files and history: pending ORM writes first.
        self.env.flush_all()
        # As in the analysis: the planner's estimate would trigger a JIT compilation costing more than the query.
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        spans = self._spans(company, today, scope, thresholds)
        self.env.cr.execute(self._purchase_days_query(company, today, scope))
        lines, wins, finals = self._walk(self._fetched_rows(), spans, ReplayWalk(thresholds))
        stage_ids = self.env["reconquete.stage"]._ids_by_code()
        files = self._files_sql(company, scope)
        lines_deleted, lines_written = self._write_lines(files, lines)
        wins_deleted, wins_written = self._write_wins(files, wins, stage_ids)
        files_dated = self._date_files(files, finals)
        self.env["reconquete.stage.history"].invalidate_model()
        self.env["reconquete.reconquest"].invalidate_model()
        if files_dated:
            self.env["reconquete.analysis"]._invalidate_files()
        return ReplayResult(lines_written, lines_deleted, wins_written, wins_deleted, files_dated)

    # ------------------------------------------------------------------
    # Reading: the purchase days, replayed client after client
    # ------------------------------------------------------------------

    @api.model
    def _spans(self, company, today, scope, thresholds):
        """{client id: (file id, salesperson id, first day, last day)} of the batch's files, in day numbers.

        A client is replayed from the start of the analysis window before its
        first logged line to the day before that line (today if none).
        """
        first_logged = SQL("COALESCE(logged.first_date, %s)", today)
        window = f"{thresholds.analysis_months} months"
        query = SQL(
            """
            SELECT file.partner_id, file.id, file.user_id,
                   %(first_day)s, %(last_day)s
              FROM reconquete_client AS file
         LEFT JOIN LATERAL (
                    SELECT MIN(history.date) AS first_date
                      FROM reconquete_stage_history AS history
                     WHERE history.client_id = file.id AND history.is_replayed IS NOT TRUE
                   ) AS logged ON TRUE
             WHERE %(files)s
            """,
            first_day=day_number_sql(SQL("(%s - %s::interval)::date", first_logged, window)),
            last_day=day_number_sql(SQL("%s - 1", first_logged)),
            files=self._files_sql(company, scope),
        )
        return {partner_id: span for partner_id, *span in self.env.execute_query(query)}

    @api.model
    def _purchase_days_query(self, company, today, scope):
        """The batch's documents per client and day: (client id, day number, amount, is a purchase), in order."""
        days = (
            self.env["reconquete.analysis"]
            ._source(company)
            ._reconquete_purchase_days_query(
                company, scope_sql(scope, SQL("partner.commercial_partner_id")), today, None
            )
        )
        return SQL(
            "SELECT client_id, %s, amount, is_purchase FROM (%s) AS purchase ORDER BY client_id, day",
            day_number_sql(SQL("day")),
            days,
        )

    @api.model
    def _files_sql(self, company, scope):
        """SQL condition on ``file``: the files of ``company`` in ``scope``."""
        return SQL("file.company_id = %s AND %s", company.id, scope_sql(scope, SQL("file.partner_id")))

    @api.model
    def _fetched_rows(self):
        """The rows of the last query, converted to Python a few thousand at a time (memory stays flat)."""
        while chunk := self.env.cr.fetchmany(self._fetch_size):
            yield from chunk

    @api.model
    def _walk(self, rows, spans, walk):
        """Replay each client of ``rows`` (``_purchase_days_query``) that has a span: changes, wins, final stages.

        One client is walked at a time, as the rows stream. Returns ([(file id,
        day, from, to, salesperson id, revenue)], [(file id, risk day, stage
        won back from, day won back)], {file id: (final stage, entered on)}),
        days as ISO text for COPY.
        """
        lines, wins, finals = [], [], {}
        # itertools' groupby, not odoo.tools': the rows stream, grouped already by the query's order.
        for client_id, client_rows in itertools.groupby(rows, key=itemgetter(0)):  # pylint: disable=bad-builtin-groupby
            span = spans.get(client_id)
            if span is None:
                continue
            file_id, user_id, start, end = span
            client_rows = list(client_rows)
            row_days = [row[1] for row in client_rows]
            amounts = [row[2] for row in client_rows]
            # Rows come by day: a purchase day is listed twice only with a credit note the same day.
            days = sorted({day for _client, day, _amount, is_purchase in client_rows if is_purchase and day <= end})
            changes = walk.changes(days, start, end)
            if not changes:
                continue
            lines.extend(
                (file_id, iso_day(day), previous, stage, user_id, walk.revenue(row_days, amounts, day))
                for day, previous, stage in changes
            )
            wins.extend(
                (file_id, iso_day(risk_day), previous, iso_day(day))
                for risk_day, previous, day in attrition_rules.replay_wins(changes)
            )
            last_day, _previous, last_stage = changes[-1]
            finals[file_id] = (last_stage, iso_day(last_day))
        return lines, wins, finals

    # ------------------------------------------------------------------
    # Writing what changed
    # ------------------------------------------------------------------

    @api.model
    def _copy(self, table, columns, rows, indexed=True):
        """The temporary table ``table`` (``columns``: SQL definitions) holding ``rows``, through COPY.

        Analysed, and unless told otherwise indexed on its first column, the
        file id: the statements that join it with the stored rows file by file
        must not scan it once per file.
        """
        self._temporary_table(table, columns, indexed)
        buffer = io.StringIO(copy_lines(rows))
        self.env.cr.copy_expert(f"COPY {table} FROM STDIN", buffer)  # a constant name, no user input
        self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))

    @api.model
    def _temporary_table(self, table, columns, indexed=False):
        """The temporary table ``table``, empty: created once per transaction, emptied for each batch.

        Tables dropped and created again for each batch would keep their locks
        until the transaction ends: a replay without commits (install, tests)
        of many batches would fill PostgreSQL's lock table.
        """
        self.env.cr.execute(
            SQL("CREATE TEMPORARY TABLE IF NOT EXISTS %s (%s) ON COMMIT DROP", SQL.identifier(table), SQL(columns))
        )
        if indexed:
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON %s (%s)",
                    SQL.identifier(f"{table}_file_idx"),
                    SQL.identifier(table),
                    SQL.identifier(columns.split(None, 1)[0]),
                )
            )
        self.env.cr.execute(SQL("TRUNCATE %s", SQL.identifier(table)))

    @api.model
    def _write_lines(self, files, lines):
        """Replace the replayed history of the batch's files by ``lines``, file by file.

        A file whose replayed lines are those stored is left alone; a file with
        any line changed has all its replayed lines replaced. Files are compared
        by their lines' count and the sum of their 64-bit hashes (a different
        set of lines with the same sum is a one-in-2^64 chance): two hash
        aggregates, where a line-by-line comparison sorted the company's million
        replayed lines twice. Returns (lines deleted, lines written).
        """
        self._copy(
            "reconquete_replay_line",
            "client_id int4, date date, stage_from varchar, stage_to varchar, user_id int4, revenue float8",
            lines,
            indexed=False,  # read whole, by the hash aggregate and the insert
        )
        # The revenue summed as a float, rounded to the cent by PostgreSQL as the analysis rounds it.
        revenue = SQL("ROUND(line.revenue::numeric, 2)")
        self._temporary_table("reconquete_replay_changed", "client_id int4")
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO reconquete_replay_changed (client_id)
                  WITH stored AS (
                        SELECT history.client_id, COUNT(*) AS lines, %(stored_print)s AS print
                          FROM reconquete_stage_history AS history
                          JOIN reconquete_client AS file ON file.id = history.client_id
                         WHERE %(files)s AND history.is_replayed
                      GROUP BY history.client_id
                       ),
                       replayed AS (
                        SELECT line.client_id, COUNT(*) AS lines, %(replayed_print)s AS print
                          FROM reconquete_replay_line AS line
                      GROUP BY line.client_id
                       )
                SELECT COALESCE(stored.client_id, replayed.client_id) AS client_id
                  FROM stored
             FULL JOIN replayed ON replayed.client_id = stored.client_id
                 WHERE stored.lines IS DISTINCT FROM replayed.lines OR stored.print IS DISTINCT FROM replayed.print
                """,
                files=files,
                stored_print=self._lines_print_sql(SQL("history"), SQL("history.revenue")),
                replayed_print=self._lines_print_sql(SQL("line"), revenue),
            )
        )
        if not self.env.cr.rowcount:
            return 0, 0
        # A few files after a change of salesperson, all of them after a change of the rules: planned by count.
        self.env.cr.execute(SQL("ANALYZE reconquete_replay_changed"))
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM reconquete_stage_history AS history
                 USING reconquete_replay_changed AS changed
                 WHERE history.client_id = changed.client_id AND history.is_replayed
                """
            )
        )
        deleted = self.env.cr.rowcount
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO reconquete_stage_history
                       (client_id, date, stage_from, stage_to, user_id, revenue, is_strategic, is_replayed)
                SELECT line.client_id, line.date, line.stage_from, line.stage_to, line.user_id, %s, FALSE, TRUE
                  FROM reconquete_replay_line AS line
                  JOIN reconquete_replay_changed AS changed ON changed.client_id = line.client_id
                """,
                revenue,
            )
        )
        return deleted, self.env.cr.rowcount

    @api.model
    def _lines_print_sql(self, line, revenue):
        """SQL aggregate: the fingerprint of a file's lines (``line``: their alias; ``revenue``: in currency units).

        Numeric scales differ (12.3 and 12.30): the revenue enters in cents.
        """
        return SQL(
            "SUM(hashtextextended(concat(%(line)s.date, '|', %(line)s.stage_from, '|', %(line)s.stage_to, '|', "
            "%(line)s.user_id, '|', ROUND(%(revenue)s * 100)), 0))",
            line=line,
            revenue=revenue,
        )

    @api.model
    def _write_wins(self, files, wins, stage_ids):
        """Replace the replayed reconquests of the batch's files by ``wins``; returns (deleted, written)."""
        self._copy(
            "reconquete_replay_win",
            "client_id int4, risk_date date, from_stage_id int4, won_back_date date",
            [(file_id, risk_day, stage_ids[previous], day) for file_id, risk_day, previous, day in wins],
        )
        same = SQL(
            """
            win.client_id = reconquest.client_id AND win.risk_date = reconquest.risk_date
            AND win.won_back_date = reconquest.won_back_date AND win.from_stage_id = reconquest.from_stage_id
            """
        )
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM reconquete_reconquest AS reconquest
                 USING reconquete_client AS file
                 WHERE reconquest.client_id = file.id AND %(files)s AND reconquest.is_replayed
                   AND NOT EXISTS (SELECT 1 FROM reconquete_replay_win AS win
                                    WHERE %(same)s AND reconquest.user_id IS NOT DISTINCT FROM file.user_id)
                """,
                files=files,
                same=same,
            )
        )
        deleted = self.env.cr.rowcount
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO reconquete_reconquest
                       (client_id, partner_id, company_id, user_id, from_stage_id, risk_date, won_back_date,
                        days_to_win_back, is_replayed, create_uid, create_date, write_uid, write_date)
                SELECT win.client_id, file.partner_id, file.company_id, file.user_id, win.from_stage_id,
                       win.risk_date, win.won_back_date, win.won_back_date - win.risk_date, TRUE,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM reconquete_replay_win AS win
                  JOIN reconquete_client AS file ON file.id = win.client_id
                 WHERE NOT EXISTS (SELECT 1 FROM reconquete_reconquest AS reconquest
                                    WHERE reconquest.is_replayed AND %(same)s)
                """,
                uid=self.env.uid,
                same=same,
            )
        )
        return deleted, self.env.cr.rowcount

    @api.model
    def _date_files(self, files, finals):
        """*In Stage Since*: the day the replayed history entered the file's stage.

        Only for files whose one logged line is their first classification
        (the addon's first day knew nothing of the past) in the stage they are
        still in: the replay continues into it when it ends in the same stage,
        and the day it entered that stage is the stage's real start. Otherwise
        the date goes back to that first logged day. An entry left to the
        managers at install (``unplanned_entry_date``) moves with it.
        Returns the number of files dated.
        """
        self._copy(
            "reconquete_replay_final",
            "client_id int4, stage varchar, since date",
            [(file_id, stage, since) for file_id, (stage, since) in finals.items()],
        )
        query = SQL(
            """
            SELECT file.id,
                   CASE WHEN final.stage = stage.code THEN final.since ELSE logged.first_date END
              FROM reconquete_client AS file
              JOIN reconquete_stage AS stage ON stage.id = file.stage_id
              JOIN LATERAL (
                    -- one logged line: the first classification, into the stage the file is still in
                    SELECT COUNT(*) AS lines, MIN(history.date) AS first_date,
                           BOOL_AND(history.stage_from IS NULL AND history.stage_to = stage.code) AS first_look
                      FROM reconquete_stage_history AS history
                     WHERE history.client_id = file.id AND history.is_replayed IS NOT TRUE
                   ) AS logged ON logged.lines = 1 AND logged.first_look
         LEFT JOIN reconquete_replay_final AS final ON final.client_id = file.id
             WHERE %s
               AND file.stage_date IS DISTINCT FROM
                   CASE WHEN final.stage = stage.code THEN final.since ELSE logged.first_date END
            """,
            files,
        )
        dates = dict(self.env.execute_query(query))
        locked = self.env["reconquete.analysis"]._lock_files(list(dates))
        if not locked:
            return 0
        self._copy(
            "reconquete_replay_dated",
            "file_id int4, stage_date date",
            [(file_id, dates[file_id]) for file_id in locked],
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE reconquete_client AS file
                   SET stage_date = dated.stage_date,
                       unplanned_entry_date = CASE WHEN file.unplanned_entry_date = file.stage_date
                                                   THEN dated.stage_date ELSE file.unplanned_entry_date END
                  FROM reconquete_replay_dated AS dated
                 WHERE file.id = dated.file_id
                """
            )
        )
        return self.env.cr.rowcount
