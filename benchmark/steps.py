"""The benchmark's steps, each run by run.sh in its own ``odoo shell`` process.

``main(env, [STEP, RESULTS_DIR, ...])`` runs one step and writes its figures to
``RESULTS_DIR/<label>.json``; the ``report`` step turns them into one Markdown
table. A step measures wall time, SQL statements (``odoo.sql_db.sql_counter``),
rows written and the process's peak resident memory during the step.

Steps:
  facts            describe the dataset and the machine
  install-result   count the files after the install (the install itself is timed by run.sh)
  prepare-full     purchases of company B from invoices; delete every file, reset the analysis states
  analyse LABEL    ``_analyse_all_companies()`` then commit (full, rerun)
  cron LABEL MODE  ``_cron_analyse()``, commit per batch: MODE ``first`` as the install left it (its
                   first analysis), ``full`` after a restart, ``daily`` with the previous pass dated yesterday
  batch-probe      diagnostic: the addon's aggregation per batch of ids vs in one query (read only)
  prepare-daily    a new purchase today for 1% of the clients that buy
  floor LABEL      the raw single SQL pass (no Python, no write), compared with what is stored
  naive N          per-client ORM loop on N clients, compared with what is stored
  replay LABEL     the replay of every company's history (``_run_batch`` until done): ``replay`` after
                   its earlier lines are deleted, ``replay_rerun`` again (it must write nothing)
  calibration      the calibration of every company (the candidate factors), read and stored
  replay-write-floor  the replay's lines and reconquests inserted again from a copy, rolled back
  replay-check N   the replayed history of N clients against ``attrition_rules.replay_naive``, day by day
  activities K     activity creation for K clients entering "To Win Back", then a second run
  board            the kanban's calls as the administrator: columns, progress bars, first cards
  reports          the managers' reports as the administrator: indicators, bathtub, win-back analysis
  invoice-source   company B counts invoices (also run on the 19.0.1 release before its upgrade)
  upgrade-source   what the 19.0.1 release filled, before the upgrade
  upgrade-result   what the upgrade from 19.0.1 left (the upgrade itself is timed by run.sh)
  report SIZE      the Markdown table, to stdout and results/<SIZE>.md
"""

import argparse
import calendar
import itertools
import json
import os
import platform
import statistics
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import generate
import psycopg2

import odoo
from odoo import fields
from odoo.tools import SQL

# Figures compared across implementations, with their column in reconquete_client.
COMPARED = (
    ("purchase_days", "purchase_days"),
    ("first_purchase", "first_purchase_date"),
    ("last_purchase", "last_purchase_date"),
    ("mean_interval", "mean_interval"),
    ("median_interval", "median_interval"),
    ("revenue", "revenue"),
)
MISMATCH_EXAMPLES = 5
# Repetitions of each board call after one warm-up: the median is reported.
BOARD_REPEATS = 5


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------


def rss_kib():
    """Current and peak resident memory of this process, in KiB (Linux)."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _sep, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def reset_peak_rss():
    """Restart the kernel's peak RSS from the current RSS.

    Loading the registry costs a few hundred MB that every step pays alike;
    after the reset the peak shows what the measured step itself needs.
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def measure(env, work):
    """Run ``work()`` (which commits) and return its figures with time, statements, memory."""
    env.invalidate_all()
    reset = reset_peak_rss()
    rss_before, _peak = rss_kib()
    statements = odoo.sql_db.sql_counter
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    statements = odoo.sql_db.sql_counter - statements
    _rss, peak = rss_kib()
    return {
        **result,
        "seconds": round(seconds, 3),
        "statements": statements,
        "rss_before_mib": round(rss_before / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "peak_is_step_only": reset,
    }


def save(results_dir, label, figures):
    path = Path(results_dir) / f"{label}.json"
    path.write_text(json.dumps(figures, indent=1, default=str))
    print(f"[{label}] {json.dumps(figures, default=str)}", flush=True)


# ----------------------------------------------------------------------
# What the addon stored, and comparing with it
# ----------------------------------------------------------------------


def stored_figures(env):
    """{(company id, client id): figures} as the addon stored them, clients with a purchase only."""
    columns = SQL(", ").join(SQL.identifier(column) for _name, column in COMPARED)
    # A file without a stage is a client that no longer has any purchase.
    env.cr.execute(SQL("SELECT company_id, partner_id, %s FROM reconquete_client WHERE stage_id IS NOT NULL", columns))
    return {
        (company_id, client_id): normalise(dict(zip((name for name, _column in COMPARED), values, strict=True)))
        for company_id, client_id, *values in env.cr.fetchall()
    }


def normalise(figures):
    """Empty figures read as 0, numbers as floats."""
    return {
        "purchase_days": figures["purchase_days"] or 0,
        "first_purchase": figures["first_purchase"],
        "last_purchase": figures["last_purchase"],
        "mean_interval": None if figures["mean_interval"] is None else float(figures["mean_interval"]),
        "median_interval": None if figures["median_interval"] is None else float(figures["median_interval"]),
        "revenue": float(figures["revenue"] or 0),
    }


def compare(expected, stored, keys=None):
    """Count the (company, client) pairs whose figures differ; ``keys`` limits it to a subset."""
    keys = set(expected) | set(stored) if keys is None else set(keys)
    by_figure, examples, pairs = {}, [], 0
    for key in sorted(keys):
        mine, theirs = expected.get(key), stored.get(key)
        if mine == theirs:
            continue
        if mine is None or theirs is None:
            differing = ["client_missing_on_one_side"]
        else:
            differing = [name for name in mine if not _same(mine[name], theirs[name])]
            if not differing:
                continue
        pairs += 1
        for name in differing:
            by_figure[name] = by_figure.get(name, 0) + 1
        if len(examples) < MISMATCH_EXAMPLES:
            examples.append({"company_client": key, "expected": mine, "stored": theirs})
    return {"compared": len(keys), "mismatching_pairs": pairs, "mismatches_by_figure": by_figure, "examples": examples}


def _same(mine, theirs):
    if isinstance(mine, float) and isinstance(theirs, float):
        return abs(mine - theirs) < 1e-6  # both rounded to the stored precision: only float noise allowed
    return mine == theirs


def windows(company, today):
    """Start of the analysis and revenue windows, as the product contract defines them."""
    return months_before(today, company.reconquete_analysis_months), months_before(
        today, company.reconquete_revenue_months
    )


def months_before(day, months):
    """The same day ``months`` earlier, clamped to the month's end (as PostgreSQL's date - interval)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


# ----------------------------------------------------------------------
# Steps
# ----------------------------------------------------------------------


def step_facts(env, args):
    figures = generate.facts(env)
    figures["run_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    env.cr.execute("SHOW server_version")
    figures["postgresql"] = env.cr.fetchone()[0]
    for setting in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "autovacuum"):
        env.cr.execute(SQL("SELECT current_setting(%s)", setting))
        figures[setting] = env.cr.fetchone()[0]
    figures["cores"] = os.cpu_count()
    with open("/proc/meminfo") as meminfo:
        figures["ram_gib"] = round(int(meminfo.readline().split()[1]) / 1024 / 1024, 1)
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = [line for line in cpuinfo if line.startswith("model name")]
    figures["cpu"] = cpu[0].split(":", 1)[1].strip() if cpu else platform.processor()
    figures["odoo"] = odoo.release.version
    figures["python"] = platform.python_version()
    save(args.results, "facts", figures)


def step_install_result(env, args):
    """What the install wrote: clients with figures, per company, and history lines."""
    figures = {"seconds": float(args.seconds), "peak_rss_mib": round(int(args.rss_kib) / 1024, 1)}
    figures.update(files_and_history(env))
    figures["rows_written"] = sum(figures["filled_per_company"].values())
    save(args.results, args.label, figures)


def files_and_history(env):
    """Files with a stage per company, files in all, and stage history lines."""
    env.cr.execute(
        """SELECT company.name, COUNT(file.id) FILTER (WHERE file.stage_id IS NOT NULL), COUNT(file.id)
             FROM res_company AS company
        LEFT JOIN reconquete_client AS file ON file.company_id = company.id
         GROUP BY company.id, company.name ORDER BY company.id"""
    )
    counts = env.cr.fetchall()
    env.cr.execute("SELECT COUNT(*) FROM reconquete_stage_history")
    return {
        "filled_per_company": {name: filled for name, filled, _files in counts},
        "files": sum(files for _name, _filled, files in counts),
        "history_lines": env.cr.fetchone()[0],
    }


def step_invoice_source(env, args):
    """Company B counts its purchases from invoices, as set after the install."""
    env["res.company"].browse(_template_ids(env)["company_b"]).reconquete_purchase_source = "invoice"
    env.cr.commit()


def step_prepare_full(env, args):
    """Company B counts invoices; every file's figures are emptied: the full pass rewrites them all.

    The files, with their unanswered solicitations (counted incrementally by the
    nightly passes), stay, as after a change of the rules; the stage history goes,
    so that every stage is entered again.
    """
    step_invoice_source(env, args)
    from odoo.addons.reconquete_client.models.reconquete_analysis import FIGURE_NAMES

    emptied = [name for name in FIGURE_NAMES if name != "unanswered_count"]
    env.cr.execute(
        SQL(
            "UPDATE reconquete_client SET %s",
            SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in emptied),
        )
    )
    cleared = env.cr.rowcount
    env.cr.execute("DELETE FROM reconquete_stage_history")
    for company in env["res.company"].search([]):  # pylint: disable=no-search-all
        env["reconquete.analysis"]._restart_analysis(company)
    env.cr.commit()
    env.invalidate_all()
    save(args.results, "prepare_full", {"emptied_files": cleared, "company_b_source": "invoice"})


def stages_entered(env, last_history_id):
    """{stage code: clients} of the stage changes recorded after ``last_history_id`` ("none": lost all purchases)."""
    env.cr.execute(
        SQL(
            """SELECT COALESCE(stage_to, 'none'), COUNT(*) FROM reconquete_stage_history
                WHERE id > %s GROUP BY stage_to ORDER BY stage_to""",
            last_history_id,
        )
    )
    return dict(env.cr.fetchall())


def reconquest_activities(env):
    """Activities on reconquest files, open or done."""
    env.cr.execute("SELECT COUNT(*) FROM mail_activity WHERE res_model = 'reconquete.client'")
    return env.cr.fetchone()[0]


def step_analyse(env, args):
    """The addon's full analysis of every company, in one process and without commit between batches."""
    analysis = env["reconquete.analysis"]
    env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM reconquete_stage_history")
    last_history_id = env.cr.fetchone()[0]

    def work():
        written = analysis._analyse_all_companies()
        env.cr.commit()
        return {"rows_written": written}

    figures = measure(env, work)
    # As the first look after the install: the stages clients are in now get no
    # automatic activity, so the next steps plan only the entries they cause.
    for company in env["res.company"].search([]):  # pylint: disable=no-search-all
        env["reconquete.scheduler"]._leave_entries_to_managers(company)
    env.cr.commit()
    env.cr.execute("SELECT COUNT(*) FROM reconquete_stage_history")
    figures["history_lines"] = env.cr.fetchone()[0]
    # Which stages the clients of this step entered (won back clients cost more than others)
    figures["stages_entered"] = stages_entered(env, last_history_id)
    figures["batch_size"] = analysis._batch_size
    figures["batches_per_company"] = (analysis._last_partner_id() - 1) // analysis._batch_size + 1
    save(args.results, args.label, figures)


def step_cron(env, args):
    """The scheduled action's method, one commit per batch.

    ``first``: as the install left it, which asked for it: the first analysis
    of every client (solicitations counted, files created). ``full``: every
    company from scratch (settings changed, or the weekly full pass).
    ``daily``: the previous pass, a full one, is dated yesterday, as after a
    normal night, so the job re-reads only the clients whose documents changed
    since and classifies those whose review day has come.
    """
    analysis = env["reconquete.analysis"]
    companies = env["res.company"].search([])  # pylint: disable=no-search-all
    states = env["reconquete.analysis.state"].concat(
        *(env["reconquete.analysis.state"]._for_company(company) for company in companies)
    )
    if args.mode == "full":
        analysis._restart_analysis(companies)
    elif args.mode == "daily":
        yesterday = fields.Date.today() - timedelta(days=1)
        states.write({"analysis_date": yesterday, "full_analysis_date": yesterday})
    env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM reconquete_stage_history")
    last_history_id = env.cr.fetchone()[0]
    activities_before = reconquest_activities(env)
    env.cr.commit()
    # _cron_analyse returns nothing: count the rows its batches write by wrapping
    # the batch method of this process's model class (measurement only).
    model_class = type(analysis)
    run_batch = model_class._run_batch
    written = []

    def counting_batch(self, company, state, today):
        result = run_batch(self, company, state, today)
        written.append(result.written)
        return result

    model_class._run_batch = counting_batch

    def work():
        analysis._cron_analyse()
        env.cr.commit()
        return {"rows_written": sum(written), "batches": len(written)}

    figures = measure(env, work)
    states.invalidate_recordset()
    figures["full_passes"] = states.mapped("pass_is_full")
    figures["stages_entered"] = stages_entered(env, last_history_id)
    # The job's second phase: activities for the stages entered tonight.
    figures["activities_planned"] = reconquest_activities(env) - activities_before
    figures.update(files_and_history(env))
    save(args.results, args.label, figures)


def step_batch_probe(env, args):
    """Diagnostic: the addon's aggregation query per batch of ids vs one query for all clients.

    Read only (nothing is written): the figures query (``_figures_query``) over
    the batches that ``_analyse_all_companies`` walks, then the same query with no
    id filter, without counting solicitations (as a full pass). Tells what the
    batching by partner id costs on top of the query itself.
    """
    analysis = env["reconquete.analysis"]
    today = fields.Date.today()
    last_id = analysis._last_partner_id()
    batch = analysis._batch_size
    figures = {"batch_size": batch}
    for company in env["res.company"].search([]):  # pylint: disable=no-search-all

        def fetch(scope, company=company):
            env.flush_all()
            ctes, client_select = analysis._figures_query(company, today, scope, False)
            env.cr.execute(SQL("SET LOCAL jit = off"))
            env.cr.execute(SQL("SET LOCAL work_mem = '64MB'"))
            env.cr.execute(SQL("WITH %s, client AS (%s) SELECT COUNT(*) FROM client", ctes, client_select))
            return env.cr.fetchone()[0]

        def batched(fetch=fetch):
            rows = sum(fetch(_scope(first, first + batch - 1)) for first in range(1, last_id + 1, batch))
            return {"rows": rows, "batches": (last_id - 1) // batch + 1}

        def whole(fetch=fetch):
            return {"rows": fetch(_scope(1, 10**9))}

        try:
            figures[company.name] = {"batched": measure(env, batched), "one_query": measure(env, whole)}
        except (AttributeError, TypeError) as error:  # the addon's private API changed
            figures[company.name] = {"error": repr(error)}
    env.cr.rollback()
    save(args.results, "batch_probe", figures)


def step_prepare_daily(env, args):
    orders, invoices = generate.add_daily_purchases(env, float(args.share))
    env.cr.commit()
    save(args.results, "prepare_daily", {"new_orders": orders, "new_invoices": invoices, "share": args.share})


def floor_query(env, today):
    """One statement: every client of every company, rolled up, gaps, mean, median, revenue.

    Purchase days and credit-note-only days are told apart by ``is_purchase``;
    gaps are taken between purchase days only (the window's filter), revenue
    over all days. The window is the addon's: ordered as the days were grouped,
    it needs no second sort (the same figures as a LAG partitioned by
    ``is_purchase``; this statement runs about 6% faster with it).
    """
    companies = env["res.company"].search([])  # pylint: disable=no-search-all
    by_source = {
        source: companies.filtered(lambda c, s=source: c.reconquete_purchase_source == s).ids
        for source in ("sale", "invoice")
    }
    company_windows = SQL(", ").join(
        SQL("(%s, %s::date, %s::date)", company.id, *windows(company, today)) for company in companies
    )
    return SQL(
        """
        WITH document AS (
            SELECT sale.company_id, partner.commercial_partner_id AS client_id, sale.date_order::date AS day,
                   sale.amount_untaxed / COALESCE(NULLIF(sale.currency_rate, 0), 1) AS amount, TRUE AS is_purchase
              FROM sale_order AS sale
              JOIN res_partner AS partner ON partner.id = sale.partner_id
             WHERE sale.company_id = ANY(%(sale_companies)s) AND sale.state = 'sale'
               AND sale.date_order < %(tomorrow)s
         UNION ALL
            SELECT move.company_id, partner.commercial_partner_id, move.invoice_date, move.amount_untaxed_signed,
                   move.move_type = 'out_invoice' AND move.payment_state IS DISTINCT FROM 'reversed'
              FROM account_move AS move
              JOIN res_partner AS partner ON partner.id = move.partner_id
             WHERE move.company_id = ANY(%(invoice_companies)s) AND move.state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund') AND move.invoice_date <= %(today)s
        ),
        client_day AS (
            SELECT company_id, client_id, day, SUM(amount) AS amount, BOOL_OR(is_purchase) AS is_purchase
              FROM document
          GROUP BY company_id, client_id, day
        ),
        gap AS (
            SELECT client_day.*, since, revenue_since,
                   day - MAX(day) FILTER (WHERE is_purchase) OVER client_days AS gap,
                   MAX(day) FILTER (WHERE is_purchase) OVER client_days AS previous_day
              FROM client_day
              JOIN (VALUES %(company_windows)s) AS window_start(company_id, since, revenue_since)
                ON window_start.company_id = client_day.company_id
            WINDOW client_days AS (PARTITION BY client_day.company_id, client_id ORDER BY day
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        )
        SELECT company_id, client_id,
               COUNT(*) FILTER (WHERE is_purchase AND day >= since),
               MIN(day) FILTER (WHERE is_purchase),
               MAX(day) FILTER (WHERE is_purchase),
               ROUND(AVG(gap) FILTER (WHERE is_purchase AND previous_day >= since), 1),
               ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY gap)
                      FILTER (WHERE is_purchase AND previous_day >= since))::numeric, 1),
               ROUND(COALESCE(SUM(amount) FILTER (WHERE day >= revenue_since), 0), 2)
          FROM gap
      GROUP BY company_id, client_id
        HAVING BOOL_OR(is_purchase)
        """,
        sale_companies=by_source["sale"],
        invoice_companies=by_source["invoice"],
        company_windows=company_windows,
        today=today,
        tomorrow=today + timedelta(days=1),
    )


def step_floor(env, args):
    """The floor: one SQL statement computing every client's figures, nothing written."""
    today = fields.Date.today()
    query = floor_query(env, today)
    env.flush_all()

    def work():
        env.cr.execute(query)
        rows = env.cr.fetchall()
        return {"rows": rows}

    figures = measure(env, work)
    rows = figures.pop("rows")
    expected = {
        (company_id, client_id): normalise(dict(zip((name for name, _column in COMPARED), values, strict=True)))
        for company_id, client_id, *values in rows
    }
    figures["clients_aggregated"] = len(expected)
    figures["rows_written"] = 0
    figures["correctness"] = compare(expected, stored_figures(env))
    save(args.results, args.label, figures)


def naive_figures(env, client, company, today):
    """One client's figures the way typical modules compute them: ORM search, Python loop.

    Purchases of the client and its contacts (``child_of``), in the company's
    purchase source; amounts in company currency.
    """
    analysis_start, revenue_start = windows(company, today)
    days = naive_days(env, client, company, today)
    purchase_days = sorted(day for day, (_amount, is_purchase) in days.items() if is_purchase)
    if not purchase_days:
        return None
    gaps = [(day - previous).days for previous, day in itertools.pairwise(purchase_days) if previous >= analysis_start]
    revenue = sum((amount for day, (amount, _p) in days.items() if day >= revenue_start), Decimal(0))
    return {
        "purchase_days": sum(1 for day in purchase_days if day >= analysis_start),
        "first_purchase": purchase_days[0],
        "last_purchase": purchase_days[-1],
        "mean_interval": _round(Decimal(sum(gaps)) / len(gaps), "0.1") if gaps else None,
        "median_interval": _round(Decimal(str(statistics.median(gaps))), "0.1") if gaps else None,
        "revenue": _round(revenue, "0.01"),
    }


def naive_days(env, client, company, today):
    """{day: [amount in company currency, is a purchase day]} of one client, through the ORM."""
    days = {}
    if company.reconquete_purchase_source == "sale":
        orders = env["sale.order"].search(
            [
                ("partner_id", "child_of", client.id),
                ("company_id", "=", company.id),
                ("state", "=", "sale"),
                ("date_order", "<", today + timedelta(days=1)),
            ]
        )
        for order in orders:
            day = days.setdefault(order.date_order.date(), [Decimal(0), False])
            day[0] += Decimal(str(order.amount_untaxed)) / Decimal(str(order.currency_rate or 1))
            day[1] = True
    else:
        moves = env["account.move"].search(
            [
                ("partner_id", "child_of", client.id),
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("invoice_date", "<=", today),
            ]
        )
        for move in moves:
            day = days.setdefault(move.invoice_date, [Decimal(0), False])
            day[0] += Decimal(str(move.amount_untaxed_signed))
            day[1] = day[1] or (move.move_type == "out_invoice" and move.payment_state != "reversed")
    return days


def _round(value, quantum):
    # PostgreSQL's ROUND(numeric) rounds halves away from zero, Python's round() to even.
    return float(value.quantize(Decimal(quantum), rounding=ROUND_HALF_UP))


def step_naive(env, args):
    """Baseline: per-client ORM loop on a subset, then scaled per client to the whole base."""
    today = fields.Date.today()
    env.cr.execute("SELECT client_id FROM bench_client ORDER BY client_id")
    all_clients = [client_id for (client_id,) in env.cr.fetchall()]
    step = max(1, len(all_clients) // int(args.clients))
    subset = all_clients[::step][: int(args.clients)]
    companies = env["res.company"].search([])  # pylint: disable=no-search-all

    def work():
        computed = {}
        for client in env["res.partner"].browse(subset):
            for company in companies:
                figures = naive_figures(env, client, company, today)
                if figures:
                    computed[company.id, client.id] = figures
        return {"computed": computed}

    figures = measure(env, work)
    computed = figures.pop("computed")
    keys = [(company.id, client_id) for client_id in subset for company in companies]
    figures["clients_measured"] = len(subset)
    figures["clients_total"] = len(all_clients)
    scale = len(all_clients) / len(subset)
    figures["extrapolated_seconds"] = round(figures["seconds"] * scale, 1)
    figures["extrapolated_statements"] = round(figures["statements"] * scale)
    figures["rows_written"] = 0
    figures["correctness"] = compare(computed, stored_figures(env), keys=keys)
    save(args.results, "naive", figures)


def step_replay(env, args):
    """The replay of every company's history, batch after batch, one commit per batch (as its scheduled action).

    ``replay``: the replayed lines and reconquests are deleted first, so that
    everything is written again, as at install. ``replay_rerun``: the same
    replay again, which must write nothing. The calibration is measured apart.
    """
    replay = env["reconquete.replay"]
    today = env["reconquete.client"]._today()
    deleted = {}
    if args.label == "replay":
        for table in ("reconquete_stage_history", "reconquete_reconquest"):
            env.cr.execute(SQL("DELETE FROM %s WHERE is_replayed", SQL.identifier(table)))
            deleted[table] = env.cr.rowcount
        env.cr.commit()
    companies = env["res.company"].search([])  # pylint: disable=no-search-all

    def work():
        total = None
        batches = 0
        for company in companies:
            state = env["reconquete.replay.state"]._for_company(company)
            state.write({"requested": False, "next_client_id": 0})
            while True:
                result = replay._run_batch(company, state, today)
                env.cr.commit()
                batches += 1
                total = result if total is None else type(result)(*(a + b for a, b in zip(total, result, strict=True)))
                if not state.next_client_id:
                    break
        return {**total._asdict(), "batches": batches}

    figures = measure(env, work)
    figures["rows_written"] = figures["lines_written"] + figures["wins_written"] + figures["files_dated"]
    figures["deleted_before"] = deleted
    env.cr.execute("SELECT COUNT(*) FROM reconquete_stage_history WHERE is_replayed")
    figures["replayed_lines"] = env.cr.fetchone()[0]
    env.cr.execute("SELECT COUNT(*) FROM reconquete_reconquest WHERE is_replayed")
    figures["replayed_wins"] = env.cr.fetchone()[0]
    save(args.results, args.label, figures)


def step_replay_write_floor(env, args):
    """The floor of the replay's writes: its lines and reconquests inserted again from a copy, then rolled back.

    Whatever computes the replayed history, storing it as the addon's records
    costs at least this: the rows, their indexes and one foreign-key check per
    row and key (2 per line, 7 per reconquest). Measured a second time without
    the foreign-key checks when the database user may switch them off (a
    superuser), to show their share.
    """
    cr = env.cr
    cr.execute(
        "CREATE TEMPORARY TABLE floor_line AS SELECT client_id, date, stage_from, stage_to, user_id, revenue "
        "FROM reconquete_stage_history WHERE is_replayed"
    )
    cr.execute(
        "CREATE TEMPORARY TABLE floor_win AS SELECT client_id, partner_id, company_id, user_id, from_stage_id, "
        "risk_date, won_back_date, days_to_win_back FROM reconquete_reconquest WHERE is_replayed"
    )
    cr.execute("ANALYZE floor_line")
    cr.execute("ANALYZE floor_win")
    cr.commit()

    def insert_copies_then_roll_back():
        cr.execute(
            "INSERT INTO reconquete_stage_history "
            "(client_id, date, stage_from, stage_to, user_id, revenue, is_strategic, is_replayed) "
            "SELECT client_id, date, stage_from, stage_to, user_id, revenue, FALSE, TRUE FROM floor_line"
        )
        lines = cr.rowcount
        cr.execute(
            SQL(
                "INSERT INTO reconquete_reconquest (client_id, partner_id, company_id, user_id, from_stage_id, "
                "risk_date, won_back_date, days_to_win_back, is_replayed, create_uid, create_date, write_uid, "
                "write_date) SELECT client_id, partner_id, company_id, user_id, from_stage_id, risk_date, "
                "won_back_date, days_to_win_back, TRUE, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, "
                "NOW() AT TIME ZONE 'UTC' FROM floor_win",
                uid=env.uid,
            )
        )
        wins = cr.rowcount
        cr.rollback()
        return {"lines": lines, "wins": wins}

    figures = measure(env, insert_copies_then_roll_back)
    try:
        cr.execute("SET LOCAL session_replication_role = replica")  # no foreign-key trigger fires
    except psycopg2.errors.InsufficientPrivilege:
        cr.rollback()
    else:
        figures["without_foreign_keys"] = measure(env, insert_copies_then_roll_back)
    figures["rows_written"] = figures["lines"] + figures["wins"]
    save(args.results, "replay_write_floor", figures)


def step_calibration(env, args):
    """The calibration of every company: each candidate factor measured on the purchase gaps, then stored."""
    calibration = env["reconquete.calibration"]
    today = env["reconquete.client"]._today()
    companies = env["res.company"].search([])  # pylint: disable=no-search-all

    def work():
        rows = []
        for company in companies:
            rows += calibration._calibrate(company, today).read(["factor", "alerts", "false_alarms", "lost"])
            env.cr.commit()
        return {"factors_per_company": len(calibration._candidate_factors(companies[0])), "figures": rows}

    figures = measure(env, work)
    figures["rows_written"] = len(figures["figures"])
    save(args.results, "calibration", figures)


def step_replay_check(env, args):
    """The replayed history of N clients (every company) against ``attrition_rules.replay_naive``.

    The naive replay reads each client's purchases through the ORM and
    classifies it on every day of the analysis window, one day after the
    other, with only the purchases made by that day: it shares the rules with
    the addon, none of its SQL. Lines compared: (day, from stage, to stage),
    for the days before the client's first logged line.
    """
    from odoo.addons.reconquete_client import attrition_rules

    today = env["reconquete.client"]._today()
    env.cr.execute("SELECT client_id FROM bench_client ORDER BY client_id")
    all_clients = [client_id for (client_id,) in env.cr.fetchall()]
    step = max(1, len(all_clients) // int(args.clients))
    subset = all_clients[::step][: int(args.clients)]
    companies = env["res.company"].search([])  # pylint: disable=no-search-all
    compared = mismatches = lines = 0
    examples = []
    started = time.perf_counter()
    for company in companies:
        thresholds = company._reconquete_thresholds()
        start = attrition_rules.months_before(today, thresholds.analysis_months)
        env.cr.execute(
            """SELECT file.partner_id, line.date, line.stage_from, line.stage_to, line.is_replayed
                 FROM reconquete_stage_history AS line
                 JOIN reconquete_client AS file ON file.id = line.client_id
                WHERE file.company_id = %s AND file.partner_id = ANY(%s)
             ORDER BY line.date, line.id""",
            [company.id, subset],
        )
        replayed, first_logged = {}, {}
        for partner_id, day, stage_from, stage_to, is_replayed in env.cr.fetchall():
            if is_replayed:
                replayed.setdefault(partner_id, []).append((day, stage_from or None, stage_to))
            else:
                first_logged.setdefault(partner_id, day)
        for client in env["res.partner"].browse(subset):
            days = naive_days(env, client, company, today)
            purchase_days = [day for day, (_amount, is_purchase) in days.items() if is_purchase]
            # The replay stops the day before the client's first logged line.
            end = first_logged.get(client.id, today) - timedelta(days=1)
            expected = attrition_rules.replay_naive(purchase_days, thresholds, start, end) if purchase_days else []
            got = replayed.get(client.id, [])
            compared += 1
            lines += len(expected)
            if got != expected:
                mismatches += 1
                if len(examples) < MISMATCH_EXAMPLES:
                    examples.append({"company": company.name, "client": client.id, "expected": expected, "got": got})
    figures = {
        "clients_measured": len(subset),
        "client_companies_compared": compared,
        "lines_compared": lines,
        "mismatches": mismatches,
        "examples": examples,
        "seconds": round(time.perf_counter() - started, 1),
    }
    save(args.results, "replay_check", figures)


def step_activities(env, args):
    """Activity creation for K clients that entered "To Win Back": the job's second phase.

    The install leaves every stage entered at install to the managers
    (``unplanned_entry_date``, no flood of activities); K files to win back
    lose that mark, as if they had entered the stage tonight, then the
    scheduling phase of the scheduled action runs as it does after the
    analysis: batches of files, one commit each. A second run must create nothing.
    """
    k = int(args.k)
    company = env["res.company"].browse(_template_ids(env)["company_a"])
    at_risk = env.ref("reconquete_client.reconquete_stage_at_risk")
    env.cr.execute(
        SQL(
            """UPDATE reconquete_client SET unplanned_entry_date = NULL
                WHERE id IN (SELECT id FROM reconquete_client WHERE company_id = %s AND stage_id = %s
                              ORDER BY id LIMIT %s)""",
            company.id,
            at_risk.id,
            k,
        )
    )
    marked = env.cr.rowcount
    # One client in five has no salesperson: the default reconquest user takes them.
    company.reconquete_default_user_id = env.ref("base.user_admin")
    env.cr.commit()
    scheduler = env["reconquete.scheduler"]
    today = fields.Date.today()
    # _schedule_pending returns no count when it commits: count its batches by
    # wrapping the batch method of this process's model class (measurement only).
    model_class = type(scheduler)
    schedule_batch = model_class._schedule
    batches = []

    def counting_schedule(self, files, today):
        batches.append(len(files))
        return schedule_batch(self, files, today)

    model_class._schedule = counting_schedule

    def schedule():
        before = reconquest_activities(env)
        batches.clear()
        # As in the scheduled action, each batch committed; outside one, _commit_progress only commits.
        scheduler._schedule_pending(company, today, remaining=lambda: 1)
        created = reconquest_activities(env) - before
        return {"rows_written": created, "activities_created": created, "batches": len(batches)}

    figures = measure(env, schedule)
    figures["k"] = marked
    figures["second_run_created"] = measure(env, schedule)["activities_created"]
    save(args.results, "activities", figures)


def step_board(env, args):
    """The board as the administrator in company A: its column query, progress bars and first cards.

    Each call runs once to warm the caches, then BOARD_REPEATS times; the
    median is reported. Read only.
    """
    company = env["res.company"].browse(_template_ids(env)["company_a"])
    admin = env.ref("base.user_admin")
    clients = env(user=admin, context={"allowed_company_ids": [company.id]})["reconquete.client"]
    at_risk = env.ref("reconquete_client.reconquete_stage_at_risk")
    # The card's fields (reconquete_client_view_kanban), as the web client asks for them.
    card = {
        "partner_id": {"fields": {"display_name": {}}},
        "is_strategic": {},
        "silence_days": {},
        "interval_days": {},
        "last_purchase_date": {},
        "revenue": {},
        "revenue_share": {},
        "phone": {},
        "email": {},
        "snoozed_until": {},
        "excluded": {},
        "user_id": {"fields": {"display_name": {}}},
        "activity_ids": {},
        "activity_state": {},
        "stage_id": {"fields": {"display_name": {}}},
        "currency_id": {"fields": {}},
    }
    board_domain = [("stage_id", "!=", False)]
    calls = {
        "columns": lambda: clients.web_read_group(board_domain, ["stage_id"], aggregates=["revenue:sum"]),
        "progress_bars": lambda: clients.read_progress_bar(
            board_domain,
            "stage_id",
            {"field": "activity_state", "colors": {"planned": "success", "today": "warning", "overdue": "danger"}},
        ),
        "cards": lambda: clients.web_search_read([("stage_id", "=", at_risk.id)], card, limit=80),
    }
    figures = {"repeats": BOARD_REPEATS, "column": at_risk.name}
    for name, call in calls.items():
        figures[name], result = time_call(env, call)
        if name == "columns":
            figures["columns"]["groups"] = {
                group["stage_id"][1]: group["__count"] for group in result["groups"] if group["stage_id"]
            }
        elif name == "cards":
            figures["cards"]["records"] = len(result["records"])
            figures["cards"]["column_size"] = result["length"]
    env.cr.rollback()
    save(args.results, "board", figures)


def time_call(env, call):
    """(median, min and max milliseconds and statements of BOARD_REPEATS calls after a warm-up, the result)."""
    result = call()  # warm-up
    timings, statements = [], []
    for _repeat in range(BOARD_REPEATS):
        env.invalidate_all()
        count = odoo.sql_db.sql_counter
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
        statements.append(odoo.sql_db.sql_counter - count)
    figures = {
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "min_ms": round(min(timings) * 1000, 1),
        "max_ms": round(max(timings) * 1000, 1),
        "statements": statistics.median(statements),
    }
    return figures, result


def step_reports(env, args):
    """The managers' reports over the logged and replayed history, as the administrator in company A.

    The main call of each report's default view: the indicators' pivot by
    month, the bathtub graph (month and flow), the win-back analysis by
    departure reason. Read only.
    """
    company = env["res.company"].browse(_template_ids(env)["company_a"])
    admin = env.ref("base.user_admin")
    user_env = env(user=admin, context={"allowed_company_ids": [company.id]})
    indicator_measures = [
        f"{name}:{aggregate}"
        for name, aggregate in (
            ("attrition_rate", "avg"),
            ("win_back_rate", "avg"),
            ("revenue_at_risk", "sum"),
            ("active_at_start", "sum"),
            ("entered_lost", "sum"),
            ("won_back", "sum"),
            ("gained", "sum"),
            ("net_change", "sum"),
        )
    ]
    calls = {
        "indicators": lambda: user_env["reconquete.indicator"].formatted_read_group(
            [], ["month:month"], indicator_measures
        ),
        "bathtub": lambda: user_env["reconquete.flow"].formatted_read_group(
            [], ["month:month", "flow"], ["clients:sum"]
        ),
        "win_back": lambda: user_env["reconquete.episode"].formatted_read_group(
            [], ["departure_reason_id"], ["win_back_rate:avg", "episodes:sum", "won_back:sum", "days_to_win_back:avg"]
        ),
    }
    env.cr.execute("SELECT COUNT(*) FROM reconquete_stage_history")
    figures = {"repeats": BOARD_REPEATS, "history_lines": env.cr.fetchone()[0]}
    for name, call in calls.items():
        figures[name], result = time_call(env, call)
        figures[name]["groups"] = len(result)
    env.cr.rollback()
    save(args.results, "reports", figures)


def step_upgrade_source(env, args):
    """Run with the 19.0.1 release: company B to invoices, then what the release filled (clients, history)."""
    step_invoice_source(env, args)
    filled = {}
    for company in env["res.company"].search([]):  # pylint: disable=no-search-all
        env.cr.execute(SQL("SELECT COUNT(*) FROM res_partner WHERE reconquete_stage_id ? %s", str(company.id)))
        filled[company.name] = env.cr.fetchone()[0]
    env.cr.execute("SELECT COUNT(*) FROM reconquete_stage_history")
    figures = {"release": args.release, "filled_per_company": filled, "history_lines": env.cr.fetchone()[0]}
    save(args.results, "upgrade_source", figures)


def step_upgrade_result(env, args):
    """What the upgrade from 19.0.1 left: files, their stages, history lines (the upgrade is timed by run.sh)."""
    figures = {"seconds": float(args.seconds), "peak_rss_mib": round(int(args.rss_kib) / 1024, 1)}
    figures.update(files_and_history(env))
    figures["rows_written"] = figures["files"]
    figures["errors_logged"] = int(args.errors)
    save(args.results, "upgrade", figures)


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def step_report(env, args):
    results = Path(args.results)
    data = {path.stem: json.loads(path.read_text()) for path in sorted(results.glob("*.json"))}
    text = render(args.size, data)
    print(text)
    Path(args.output).write_text(text)


def _fmt_seconds(value):
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if value < 100 else f"{value:,.0f} s ({value / 60:.1f} min)"


def _batches(count):
    return f"{_fmt_int(count)} batch" if count == 1 else f"{_fmt_int(count)} batches"


def _fmt_int(value):
    return "n/a" if value is None else f"{value:,}"


def render(size, data):
    facts = data.get("facts", {})
    addon = data.get("addon", {})
    lines = [
        f"# Benchmark results: size {size}",
        "",
        f"Run on {facts.get('run_at', time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))} with "
        f"Odoo {facts.get('odoo')}, PostgreSQL {facts.get('postgresql')} "
        f"(shared_buffers {facts.get('shared_buffers')}, work_mem {facts.get('work_mem')}, "
        f"parallel workers per gather {facts.get('max_parallel_workers_per_gather')}, "
        f"autovacuum {facts.get('autovacuum', 'not read')}), "
        f"Python {facts.get('python')}, {facts.get('cores')} cores ({facts.get('cpu')}), "
        f"{facts.get('ram_gib')} GiB RAM.",
        "",
        f"Addon measured: {addon.get('source')} (content sha256 {addon.get('content_sha256')}).",
        "",
        "## Dataset",
        "",
        f"Generated by `benchmark/generate.py` (seed {facts.get('seed')}) on {facts.get('generated_on')}; "
        f"database size {facts.get('db_size')}.",
        "",
        "| clients | never bought | in both companies | contacts | orders | confirmed | on contacts "
        "| in foreign currency | company A / B orders | posted invoices (B) | of which reversed | credit notes (B) "
        "| messages on clients |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        "| "
        + " | ".join(
            _fmt_int(facts.get(key))
            for key in (
                "clients",
                "clients_never_bought",
                "clients_in_both_companies",
                "contacts",
                "orders",
                "orders_confirmed",
                "orders_on_contacts",
                "orders_foreign_currency",
            )
        )
        + f" | {_fmt_int(facts.get('orders_company_a'))} / {_fmt_int(facts.get('orders_company_b'))} | "
        + " | ".join(_fmt_int(facts.get(key)) for key in ("invoices", "invoices_reversed", "credit_notes", "messages"))
        + " |",
        "",
        "Company A counts purchases from confirmed sale orders; company B from posted invoices net of "
        "credit notes (it is switched to invoices after the first analysis, which reads sale orders for both "
        "companies).",
        "",
        "## Figures, side by side",
        "",
        "| step | time | SQL statements | rows written | peak RSS of the process | notes |",
        "|---|---|---|---|---|---|",
    ]

    def row(label, key, notes="", seconds_key="seconds", statements_key="statements"):
        figures = data.get(key)
        if not figures:
            lines.append(f"| {label} | not run | | | | {notes} |")
            return
        peak = figures.get("peak_rss_mib")
        memory = "n/a" if peak is None else f"{peak:,.0f} MiB"
        if figures.get("peak_is_step_only"):
            memory += f" (RSS before the step {figures['rss_before_mib']:,.0f} MiB; peak reset at step start)"
        lines.append(
            f"| {label} | {_fmt_seconds(figures.get(seconds_key))} | {_fmt_int(figures.get(statements_key))} "
            f"| {_fmt_int(figures.get('rows_written'))} | {memory} | {notes} |"
        )

    empty = data.get("install_empty", {})
    history = data.get("install_history", {})
    row("install the addon on a database without history (fixed cost)", "install_empty", "whole `odoo -i` process")
    full = data.get("full", {})
    row(
        "install the addon on the database with the history (the hook asks for the first analysis)",
        "install_history",
        f"whole `odoo -i` process; {_ratio(history.get('seconds'), full.get('seconds'))} the full recompute "
        f"(target: 2x at most); minus the fixed cost: "
        f"{_fmt_seconds((history.get('seconds') or 0) - (empty.get('seconds') or 0))}",
    )
    first = data.get("first_analysis", {})
    row(
        "first analysis of every client, by the scheduled action right after the install",
        "first_analysis",
        f"solicitations counted and files created; {_fmt_int(first.get('batches'))} batches, one commit each; "
        f"files with a stage per company: {first.get('filled_per_company')}; "
        f"stage history lines {_fmt_int(first.get('history_lines'))}; activities planned: "
        f"{_fmt_int(first.get('activities_planned'))}; install and first analysis together: "
        f"{_fmt_seconds((history.get('seconds') or 0) + (first.get('seconds') or 0))}",
    )
    row(
        "full recompute `_analyse_all_companies()` (every figure emptied first)",
        "full",
        f"batches per company: {full.get('batches_per_company')} "
        f"({_fmt_int(full.get('batch_size'))} partner ids each); "
        f"stages entered: {full.get('stages_entered')}",
    )
    row("full pass again the same day, nothing changed", "rerun", "must write 0 rows")
    quiet = data.get("daily_quiet", {})
    row(
        "nightly scheduled action, daily pass, nobody bought",
        "daily_quiet",
        f"re-reads no order, classifies the clients whose review day has come from their stored figures; "
        f"stages entered: {quiet.get('stages_entered')}; "
        f"activities planned: {_fmt_int(quiet.get('activities_planned'))}",
    )
    daily = data.get("daily", {})
    prepared = data.get("prepare_daily", {})
    row(
        f"nightly scheduled action, daily pass: {prepared.get('share')} of the clients bought today",
        "daily",
        f"{_fmt_int(prepared.get('new_orders'))} new orders (A) + {_fmt_int(prepared.get('new_invoices'))} "
        f"new invoices (B) inserted before the run; full passes: {daily.get('full_passes')}; "
        f"stages entered: {daily.get('stages_entered')}; "
        f"activities planned: {_fmt_int(daily.get('activities_planned'))}",
    )
    cron = data.get("cron", {})
    row(
        "nightly scheduled action, full pass (settings changed, or the weekly one), nothing changed",
        "cron",
        f"{_fmt_int(cron.get('batches'))} batches, one commit each through `_commit_progress`; "
        f"activities planned: {_fmt_int(cron.get('activities_planned'))}",
    )
    naive = data.get("naive", {})
    row(
        f"naive ORM per-client loop, measured on {_fmt_int(naive.get('clients_measured'))} clients x 2 companies",
        "naive",
        "computes only, writes nothing",
    )
    if naive:
        lines.append(
            f"| naive ORM per-client loop, **extrapolated** to {_fmt_int(naive.get('clients_total'))} clients "
            f"| {_fmt_seconds(naive.get('extrapolated_seconds'))} (extrapolated) "
            f"| {_fmt_int(naive.get('extrapolated_statements'))} (extrapolated) | 0 | n/a "
            f"| measured time x {naive.get('clients_total')} / {naive.get('clients_measured')} |"
        )
    floor = data.get("floor", {})
    row(
        "raw single SQL pass (the floor): all clients, both companies",
        "floor",
        f"one statement, no Python rules, no write; {_fmt_int(floor.get('clients_aggregated'))} (company, client) rows",
    )
    probe = data.get("batch_probe", {})
    for company, result in probe.items():
        if not isinstance(result, dict):
            continue
        if "error" in result:
            lines.append(f"| diagnostic, {company}: batched vs one query | not measured | | | | {result['error']} |")
            continue
        batched, whole = result["batched"], result["one_query"]
        lines.append(
            f"| diagnostic, {company}: the addon's figures query `_figures_query` over its "
            f"{_batches(batched['batches'])} (read only) | {_fmt_seconds(batched['seconds'])} "
            f"| {_fmt_int(batched['statements'])} | 0 | {batched['peak_rss_mib']:,.0f} MiB "
            f"| the same query once for all clients: {_fmt_seconds(whole['seconds'])}, "
            f"{_fmt_int(whole['statements'])} statements, peak {whole['peak_rss_mib']:,.0f} MiB; "
            f"{_fmt_int(batched['rows'])} clients both ways |"
        )
    replay = data.get("replay", {})
    full_seconds = full.get("seconds")
    row(
        "replay of the stage history over the analysis window (every company, batches committed)",
        "replay",
        f"{_fmt_int(replay.get('batches'))} batches; {_fmt_int(replay.get('lines_written'))} lines and "
        f"{_fmt_int(replay.get('wins_written'))} reconquests written, {_fmt_int(replay.get('files_dated'))} "
        f"files dated; {_ratio(replay.get('seconds'), full_seconds)} the full recompute (target: 2x at most)",
    )
    row("replay again, nothing changed", "replay_rerun", "must write 0 rows")
    floor_write = data.get("replay_write_floor", {})
    unchecked = floor_write.get("without_foreign_keys")
    row(
        "floor of the replay's writes: its lines and reconquests inserted again from a copy (rolled back)",
        "replay_write_floor",
        f"{_fmt_int(floor_write.get('lines'))} lines and {_fmt_int(floor_write.get('wins'))} reconquests; "
        f"{_ratio(floor_write.get('seconds'), full_seconds)} the full recompute, whatever computes them"
        + (f"; {_fmt_seconds(unchecked['seconds'])} without the foreign-key checks" if unchecked else ""),
    )
    calibration = data.get("calibration", {})
    row(
        f"calibration of {calibration.get('factors_per_company')} candidate factors (every company)",
        "calibration",
        f"{_ratio(calibration.get('seconds'), replay.get('seconds'))} the replay (target: 2x at most)",
    )
    activities = data.get("activities", {})
    row(
        f'activity creation for {_fmt_int(activities.get("k"))} clients entering "To Win Back"',
        "activities",
        f"{_batches(activities.get('batches'))} of 500, one commit each; "
        f"a second run created {_fmt_int(activities.get('second_run_created'))}",
    )
    board = data.get("board", {})
    board_lines = (
        (
            "columns",
            "board: the kanban's column query `web_read_group(stage_id, revenue:sum)`",
            f"clients per column: {board.get('columns', {}).get('groups')}",
        ),
        (
            "progress_bars",
            "board: the columns' progress bars `read_progress_bar(activity_state)`",
            "activities grouped in SQL by `mail.activity.mixin`",
        ),
        (
            "cards",
            f"board: the first {_fmt_int(board.get('cards', {}).get('records'))} cards of "
            f'"{board.get("column")}" `web_search_read`',
            f"column of {_fmt_int(board.get('cards', {}).get('column_size'))} clients",
        ),
    )
    for key, label, notes in board_lines:
        lines.append(
            _timed_call_row(label, board.get(key), board.get("repeats"), f"target under 100 ms at size S; {notes}")
        )
    reports = data.get("reports", {})
    report_lines = (
        ("indicators", "reports: the indicators' pivot by month `formatted_read_group(month:month)`"),
        ("bathtub", "reports: the bathtub graph `formatted_read_group(month:month, flow)`"),
        ("win_back", "reports: the win-back analysis by departure reason `formatted_read_group(departure_reason_id)`"),
    )
    for key, label in report_lines:
        call = reports.get(key)
        notes = call and (
            f"{_fmt_int(call['groups'])} groups, over {_fmt_int(reports['history_lines'])} stage history lines "
            "(logged and replayed)"
        )
        lines.append(_timed_call_row(label, call, reports.get("repeats"), notes))
    source = data.get("upgrade_source", {})
    upgrade = data.get("upgrade", {})
    row(
        "upgrade from 19.0.1 on the history (`odoo -u`, files moved from res_partner)",
        "upgrade",
        f"whole `odoo -u` process from {source.get('release')}; before: clients with a stage per company "
        f"{source.get('filled_per_company')}, {_fmt_int(source.get('history_lines'))} history lines; after: "
        f"files with a stage per company {upgrade.get('filled_per_company')}, "
        f"{_fmt_int(upgrade.get('history_lines'))} history lines; "
        f"ERROR lines in the log: {_fmt_int(upgrade.get('errors_logged'))}",
    )

    lines += [
        "",
        "## Correctness",
        "",
        "| comparison | (company, client) pairs compared | mismatches |",
        "|---|---|---|",
    ]
    for label, key in (
        ("raw SQL pass vs addon, after the full recompute", "floor"),
        ("naive ORM loop vs addon (subset), after the full recompute", "naive"),
        ("raw SQL pass vs addon, after the daily run", "floor_after_daily"),
    ):
        check = data.get(key, {}).get("correctness")
        if not check:
            lines.append(f"| {label} | not run | |")
            continue
        count = check["mismatching_pairs"]
        detail = "0" if not count else f"{count} pairs; by figure: {check['mismatches_by_figure']}"
        lines.append(f"| {label} | {_fmt_int(check['compared'])} | {detail} |")
    check = data.get("replay_check")
    if check:
        lines.append(
            f"| replayed history vs the naive day-by-day replay (`attrition_rules.replay_naive` over ORM reads), "
            f"{_fmt_int(check['clients_measured'])} clients, {_fmt_int(check['lines_compared'])} stage changes "
            f"| {_fmt_int(check['client_companies_compared'])} | {_fmt_int(check['mismatches'])} |"
        )
    else:
        lines.append("| replayed history vs the naive day-by-day replay | not run | |")
    examples = [
        ex
        for key in ("floor", "naive", "floor_after_daily", "replay_check")
        for ex in data.get(key, {}).get("correctness", data.get(key, {})).get("examples", [])
    ]
    if examples:
        lines += ["", "First mismatches:", ""] + [f"- `{json.dumps(ex, default=str)}`" for ex in examples[:10]]
    lines += [
        "",
        "Compared figures: purchase days, first and last purchase, mean and median interval, revenue "
        "(half-up rounding to the stored precision on both sides).",
        "",
        "## Notes",
        "",
        "- Each step ran in its own `odoo shell` process; time is wall time of the step including its commit. "
        "SQL statements are the `odoo.sql_db.sql_counter` delta. The install lines are the whole `odoo -i` "
        "process (wall time, and its peak RSS from `getrusage`, registry loading included). Before each step, "
        "`VACUUM ANALYZE` does what autovacuum does on a production server between two nights, and a "
        "`CHECKPOINT` writes out what the previous step dirtied.",
        "- Peak RSS: for the shell steps the kernel's peak is reset after the registry is loaded, so it is the "
        "peak during the step (the RSS before the step is given).",
        "- The naive loop computes the figures of each client with `search([('partner_id', 'child_of', id), ...])` "
        "and Python; it writes nothing, so it is a lower bound of what a stored-compute module costs.",
        "- Board: the calls the kanban makes when it opens, in-process (no HTTP, no JSON); the web client "
        "also reads the first cards of the other open columns.",
        "- Upgrade: the 19.0.1 release installed on a copy of the history (company B then switched to "
        "invoices), then `odoo -u reconquete_client` with the measured code: its migration moves the "
        "figures, history and bookkeeping to the new tables and classifies every file from the stored figures.",
        "- Replay: run after the full recompute (which logged today's stages), so it replays every client from "
        "the start of the analysis window to yesterday. The install hook only asks for it (its scheduled action "
        "runs it after the first analysis): the install lines do not include it.",
        "- Install: the hook analyses no client; it asks the scheduled action, which analyses every client "
        "right after the install, batch after batch (the first-analysis line, measured as the action runs it).",
        "- Replay check: the naive replay classifies each client on every day of the window with "
        "`attrition_rules.classify` and only the purchases made by that day (read through the ORM); it shares "
        "the rules with the addon, none of its SQL.",
    ]
    return "\n".join(lines) + "\n"


def _timed_call_row(label, call, repeats, notes):
    """A table row for a call timed by ``time_call`` (None: the step did not run)."""
    if not call:
        return f"| {label} | not run | | | | |"
    return (
        f"| {label} | {call['median_ms']:,.0f} ms (median) | {_fmt_int(call['statements'])} | 0 | n/a "
        f"| as the administrator in company A; median of {repeats} calls after a warm-up "
        f"(min {call['min_ms']:,.0f}, max {call['max_ms']:,.0f} ms); {notes} |"
    )


def _ratio(seconds, reference):
    """'1.4x' of ``seconds`` against ``reference``, or 'n/a'."""
    if not seconds or not reference:
        return "n/a"
    return f"{seconds / reference:.1f}x"


def _template_ids(env):
    env.cr.execute("SELECT key, record_id FROM bench_template")
    return dict(env.cr.fetchall())


def _scope(first, last):
    """The addon's range of partner ids for ``_figures_query``."""
    # Imported late: the first steps run without the addon, the upgrade's first ones with its 19.0.1 release.
    from odoo.addons.reconquete_client.models.reconquete_analysis import Scope

    return Scope(first, last, None)


STEPS = {
    "facts": (step_facts, []),
    "install-result": (step_install_result, ["label", "seconds", "rss_kib"]),
    "prepare-full": (step_prepare_full, []),
    "analyse": (step_analyse, ["label"]),
    "cron": (step_cron, ["label", "mode"]),
    "batch-probe": (step_batch_probe, []),
    "prepare-daily": (step_prepare_daily, ["share"]),
    "floor": (step_floor, ["label"]),
    "naive": (step_naive, ["clients"]),
    "replay": (step_replay, ["label"]),
    "replay-write-floor": (step_replay_write_floor, []),
    "calibration": (step_calibration, []),
    "replay-check": (step_replay_check, ["clients"]),
    "activities": (step_activities, ["k"]),
    "board": (step_board, []),
    "reports": (step_reports, []),
    "invoice-source": (step_invoice_source, []),
    "upgrade-source": (step_upgrade_source, ["release"]),
    "upgrade-result": (step_upgrade_result, ["seconds", "rss_kib", "errors"]),
    "report": (step_report, ["size", "output"]),
}


def main(env, argv):
    parser = argparse.ArgumentParser(prog="steps")
    commands = parser.add_subparsers(dest="step", required=True)
    for name, (_function, arguments) in STEPS.items():
        command = commands.add_parser(name)
        command.add_argument("results")
        for argument in arguments:
            command.add_argument(argument)
    args = parser.parse_args(argv)
    STEPS[args.step][0](env, args)
