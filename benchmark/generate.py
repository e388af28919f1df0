"""Generate a purchase history the size of a real customer, fast and deterministic.

Run by run.sh inside ``odoo shell`` on a database holding sale_management and
contacts but not the addon: ``generate.main(env, [SIZE])``.

How: one template record of each kind (client, contact, sale order in each
company and currency, invoice, credit note) is created through the ORM, so
every NOT NULL column and every default the ORM sets is there; the history is
then cloned from those rows in SQL (``INSERT ... SELECT``), varying partner,
company, dates, amounts and states. The plan (who buys when, how much) is drawn
in Python from a fixed seed and sent with COPY. Orders and invoices are cloned
as headers only (no lines): the analysis and the baselines read headers alone.

Shapes (see benchmark/README.md): orders per client lognormal (median 10, long
tail), intervals lognormal (median 30 days), 30% churned clients, 20% of
orders on child contacts, 15% draft or cancelled, two companies and two
currencies, invoices and credit notes (partial and full reversals) in the
second company, whose purchases are counted from invoices.
"""

import argparse
import io
import math
import random
import sys
import time
from datetime import datetime, timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tools import SQL

# Bump when the shape of the data changes: run.sh regenerates a cached history
# whose version differs.
GENERATOR_VERSION = "5"
SEED = 20261122
SIZES = {
    # clients, contacts (each contact belongs to a distinct client)
    "tiny": (2_000, 1_000),
    "S": (100_000, 50_000),
    "M": (1_000_000, 500_000),
}
CHURNED_SHARE = 0.30
CONTACT_ORDER_SHARE = 0.40  # of the orders of a client that has a contact: 20% of all orders
FOREIGN_SHARE = 0.20  # orders in the other company's currency
NEVER_BOUGHT_SHARE = 0.02
MAX_ORDERS = 600
HISTORY_DAYS = 6 * 365  # an active client's history spans at most six years
COPY_CHUNK = 200_000
MESSAGES_PER_CLIENT = 16  # at most; 8 on average


def log(message):
    print(f"[generate {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------------
# Templates, through the ORM
# ----------------------------------------------------------------------


def make_templates(env):
    """Create the second company, currencies and one template record of each kind.

    Returns {key: id}; the keys name what the SQL clones need.
    """
    company_a = env.ref("base.main_company")
    usd, eur = env.ref("base.USD"), env.ref("base.EUR")
    eur.active = True
    company_a.currency_id = usd
    company_b = env["res.company"].create({"name": "Bench Company B", "currency_id": eur.id})
    if not env["account.journal"].search([("company_id", "=", company_b.id), ("type", "=", "sale")]):
        env["account.chart.template"].try_loading("generic_coa", company_b, install_demo=False)
    env.user.company_ids = [Command.link(company_b.id)]
    # One rate each way, dated long ago, so that the template documents convert.
    env["res.currency.rate"].create(
        [
            {"currency_id": eur.id, "company_id": company_a.id, "name": "2015-01-01", "rate": 0.9},
            {"currency_id": usd.id, "company_id": company_b.id, "name": "2015-01-01", "rate": 1.1},
        ]
    )
    product = env["product.product"].create(
        {"name": "Bench service", "type": "service", "list_price": 100.0, "taxes_id": [Command.clear()]}
    )
    client = env["res.partner"].create({"name": "Bench template client", "is_company": True, "user_id": env.uid})
    contact = env["res.partner"].create({"name": "Bench template contact", "parent_id": client.id, "type": "contact"})
    ids = {
        "company_a": company_a.id,
        "company_b": company_b.id,
        "currency_a": usd.id,
        "currency_b": eur.id,
        "client": client.id,
        "contact": contact.id,
    }
    for key, company, foreign_currency in (("a", company_a, eur), ("b", company_b, usd)):
        pricelist = env["product.pricelist"].create(
            {"name": f"Bench {foreign_currency.name}", "currency_id": foreign_currency.id, "company_id": company.id}
        )
        for foreign in (False, True):
            order = (
                env["sale.order"]
                .with_company(company)
                .create(
                    {
                        "partner_id": client.id,
                        "company_id": company.id,
                        "pricelist_id": pricelist.id if foreign else False,
                        "order_line": [Command.create({"product_id": product.id, "price_unit": 100.0, "tax_ids": []})],
                    }
                )
            )
            order.action_confirm()
            ids[f"order_{key}_{'foreign' if foreign else 'home'}"] = order.id
    moves = env["account.move"].with_company(company_b)
    for move_type in ("out_invoice", "out_refund"):
        move = moves.create(
            {
                "move_type": move_type,
                "partner_id": client.id,
                "invoice_date": "2020-01-01",
                "invoice_line_ids": [Command.create({"product_id": product.id, "price_unit": 100.0, "tax_ids": []})],
            }
        )
        move.action_post()
        ids[move_type] = move.id
    env.flush_all()
    return ids


# ----------------------------------------------------------------------
# Cloning in SQL
# ----------------------------------------------------------------------


def clone(cr, table, source, overrides):
    """INSERT into ``table`` one row per row of ``source``, copying the template row ``tpl``.

    ``source`` is a FROM clause (SQL) that exposes the template row as ``tpl``;
    ``overrides`` maps column names to SQL expressions. Every other column keeps
    the template's value, so the ORM's defaults and NOT NULL columns are there.
    """
    cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            table,
        )
    )
    columns = [name for (name,) in cr.fetchall()]
    unknown = set(overrides) - set(columns)
    if unknown:
        raise ValueError(f"{table} has no column {sorted(unknown)}")
    values = [overrides.get(name, SQL("tpl.%s", SQL.identifier(name))) for name in columns]
    cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in columns),
            SQL(", ").join(values),
            source,
        )
    )
    written = cr.rowcount
    # the next clones join this table: the planner must know its new size
    cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return written


def copy_rows(cr, table, columns, rows):
    """COPY an iterable of tuples into ``table`` (None is NULL), in chunks."""
    statement = cr.mogrify(
        SQL("COPY %s (%s) FROM STDIN", SQL.identifier(table), SQL(", ").join(SQL.identifier(c) for c in columns))
    ).decode()
    buffer, count = io.StringIO(), 0
    for row in rows:
        buffer.write("\t".join(r"\N" if value is None else str(value) for value in row))
        buffer.write("\n")
        count += 1
        if count % COPY_CHUNK == 0:
            buffer.seek(0)
            cr._obj.copy_expert(statement, buffer)
            buffer = io.StringIO()
    buffer.seek(0)
    cr._obj.copy_expert(statement, buffer)
    # fresh statistics, or the planner takes a big plan table for an empty one
    cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return count


def next_id(cr, table):
    cr.execute(SQL("SELECT COALESCE(MAX(id), 0) + 1 FROM %s", SQL.identifier(table)))
    return cr.fetchone()[0]


def bump_sequence(cr, table):
    """Move the id sequence past the ids written in SQL, so the ORM creates after them."""
    cr.execute(
        SQL(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM %s))",
            table,
            SQL.identifier(table),
        )
    )


# ----------------------------------------------------------------------
# The plan: who buys what, when (pure Python, seeded)
# ----------------------------------------------------------------------


def plan_clients(rng, n_clients, n_contacts, first_id):
    """Return the partner rows (id, client_id, is_contact, name, user_id) and the (client, contact) list.

    Contacts are created right after their client, as in a real database, so
    partner ids of clients and contacts interleave.
    """
    partners, clients = [], []
    contact_every = max(1, n_clients // n_contacts) if n_contacts else 0
    next_partner = first_id
    for index in range(n_clients):
        client_id = next_partner
        next_partner += 1
        user_id = 2 if rng.random() < 0.8 else None  # the administrator is everyone's salesperson
        partners.append((client_id, client_id, False, f"Bench client {index:07d}", user_id))
        contact_id = None
        if contact_every and index % contact_every == 0 and index // contact_every < n_contacts:
            contact_id = next_partner
            next_partner += 1
            partners.append((contact_id, client_id, True, f"Buyer {index:07d}", user_id))
        clients.append((client_id, contact_id))
    return partners, clients


def plan_orders(rng, clients, ids, today, companies_of):
    """Yield order rows; fill ``companies_of`` with the companies each client buys from.

    A client's own interval is drawn lognormal around 30 days; its gaps vary
    lognormally around it. A churned client stopped 200 to 1500 days ago; an
    active one is silent for 0 to 2.2 of its intervals (active, to watch, at
    risk). Company B (invoice source) gets, per confirmed order, the invoice
    delay and whether it was partly refunded or fully reversed.
    """
    companies = (ids["company_a"], ids["company_b"])
    for client_id, contact_id in clients:
        if rng.random() < NEVER_BOUGHT_SHARE:
            companies_of[client_id] = ()
            continue
        draw = rng.random()
        buys_in = companies[:1] if draw < 0.70 else companies[1:] if draw < 0.85 else companies
        companies_of[client_id] = buys_in
        amount_scale = rng.lognormvariate(0.0, 1.0)
        for company_id in buys_in:
            count = min(MAX_ORDERS, max(1, round(rng.lognormvariate(math.log(10), 1.1))))
            interval = min(max(1.0, rng.lognormvariate(math.log(30), 0.6)), HISTORY_DAYS / count)
            churned = rng.random() < CHURNED_SHARE
            silence = rng.randint(200, 1500) if churned else int(rng.uniform(0.0, 2.2) * interval)
            day = today - timedelta(days=silence)
            for _order in range(count):
                draw = rng.random()
                state = "sale" if draw < 0.85 else "draft" if draw < 0.95 else "cancel"
                foreign = rng.random() < FOREIGN_SHARE
                rate = round(rng.uniform(0.85, 1.15), 6) if foreign else 1
                amount = round(100 * amount_scale * rng.lognormvariate(math.log(5), 0.6), 2)
                partner_id = contact_id if contact_id and rng.random() < CONTACT_ORDER_SHARE else client_id
                moment = datetime.combine(day, datetime.min.time()) + timedelta(minutes=rng.randint(8 * 60, 18 * 60))
                refund, refund_ratio, invoice_delay, refund_delay = None, None, None, None
                if company_id == ids["company_b"] and state == "sale":
                    invoice_delay = 0 if rng.random() < 0.7 else rng.randint(1, 5)
                    draw = rng.random()
                    if draw < 0.04:
                        refund, refund_ratio = "partial", round(rng.uniform(0.1, 0.6), 2)
                    elif draw < 0.055:
                        refund, refund_ratio = "full", 1
                    refund_delay = rng.randint(0, 30) if refund else None
                yield (
                    client_id,
                    partner_id,
                    company_id,
                    foreign,
                    moment.isoformat(sep=" "),
                    state,
                    amount,
                    rate,
                    invoice_delay,
                    refund,
                    refund_ratio,
                    refund_delay,
                )
                day -= timedelta(days=max(0, round(rng.lognormvariate(math.log(interval), 0.5))))


# ----------------------------------------------------------------------
# Writing the history
# ----------------------------------------------------------------------


def write_history(env, size):
    from odoo.tools import SQL

    cr = env.cr
    n_clients, n_contacts = SIZES[size]
    today = fields.Date.today()
    rng = random.Random(SEED)
    started = time.perf_counter()
    ids = make_templates(env)
    log(f"templates created through the ORM: {ids}")
    cr.execute(
        """
        CREATE TABLE bench_meta (key varchar PRIMARY KEY, value varchar);
        CREATE TABLE bench_template (key varchar PRIMARY KEY, record_id int);
        CREATE TABLE bench_client (client_id int PRIMARY KEY, contact_id int, in_a bool, in_b bool);
        CREATE UNLOGGED TABLE bench_partner (id int, client_id int, is_contact bool, name varchar, user_id int);
        CREATE UNLOGGED TABLE bench_order (
            seq bigserial, client_id int, partner_id int, company_id int, is_foreign bool,
            date_order timestamp, state varchar, amount numeric, rate numeric,
            invoice_delay int, refund varchar, refund_ratio numeric, refund_delay int);
        """
    )
    copy_rows(cr, "bench_template", ["key", "record_id"], ids.items())

    # Partners
    partners, clients = plan_clients(rng, n_clients, n_contacts, next_id(cr, "res_partner"))
    copy_rows(cr, "bench_partner", ["id", "client_id", "is_contact", "name", "user_id"], partners)
    # Foreign key checks run a plan cached per constraint. The ORM's partner
    # writes above cached a generic plan for res_partner_commercial_partner_id_fkey
    # while res_partner held a handful of rows: a sequential scan per inserted
    # row (minutes instead of seconds for 150k partners). Custom plans follow
    # the table's real size; only here, as planning every check of the 2M
    # orders below would cost more than it saves.
    cr.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    written = clone(
        cr,
        "res_partner",
        SQL(
            """bench_partner AS plan
               JOIN bench_partner AS client ON client.id = plan.client_id
               JOIN res_partner AS tpl ON tpl.id = CASE WHEN plan.is_contact THEN %s ELSE %s END""",
            ids["contact"],
            ids["client"],
        ),
        {
            "id": SQL("plan.id"),
            "name": SQL("plan.name"),
            "complete_name": SQL("CASE WHEN plan.is_contact THEN client.name || ', ' || plan.name ELSE plan.name END"),
            "parent_id": SQL("CASE WHEN plan.is_contact THEN plan.client_id END"),
            "commercial_partner_id": SQL("plan.client_id"),
            "commercial_company_name": SQL("client.name"),
            "user_id": SQL("plan.user_id"),
            "customer_rank": SQL("1"),
            "create_date": SQL("tpl.create_date"),
        },
    )
    cr.execute("SET LOCAL plan_cache_mode = auto")
    bump_sequence(cr, "res_partner")
    log(f"{written} partners ({n_clients} clients, {written - n_clients} contacts)")
    del partners

    # Orders: the plan, then one INSERT per table; ids follow date_order as in a real database.
    companies_of = {}
    count = copy_rows(
        cr,
        "bench_order",
        [
            "client_id",
            "partner_id",
            "company_id",
            "is_foreign",
            "date_order",
            "state",
            "amount",
            "rate",
            "invoice_delay",
            "refund",
            "refund_ratio",
            "refund_delay",
        ],
        plan_orders(rng, clients, ids, today, companies_of),
    )
    copy_rows(
        cr,
        "bench_client",
        ["client_id", "contact_id", "in_a", "in_b"],
        (
            (
                client_id,
                contact_id,
                ids["company_a"] in companies_of[client_id],
                ids["company_b"] in companies_of[client_id],
            )
            for client_id, contact_id in clients
        ),
    )
    log(f"plan of {count} orders sent ({time.perf_counter() - started:.0f} s)")
    cr.execute(
        SQL(
            """
            CREATE UNLOGGED TABLE bench_order_id AS
            SELECT %s + ROW_NUMBER() OVER (ORDER BY date_order, seq) - 1 AS id, *
              FROM bench_order
            """,
            next_id(cr, "sale_order"),
        )
    )
    cr.execute("ANALYZE bench_order_id")
    written = insert_orders(cr, SQL("bench_order_id"), ids)
    bump_sequence(cr, "sale_order")
    log(f"{written} sale orders ({time.perf_counter() - started:.0f} s)")

    written = insert_invoices(cr, SQL("bench_order_id"), ids, today)
    log(f"{written} invoices and credit notes in company B ({time.perf_counter() - started:.0f} s)")

    written = insert_messages(cr, today)
    log(f"{written} chatter messages on clients ({time.perf_counter() - started:.0f} s)")

    cr.execute("DROP TABLE bench_order, bench_order_id, bench_partner")
    copy_rows(
        cr,
        "bench_meta",
        ["key", "value"],
        [
            ("version", GENERATOR_VERSION),
            ("size", size),
            ("seed", SEED),
            ("generated_on", today.isoformat()),
            ("clients", n_clients),
            ("contacts", n_contacts),
        ],
    )
    env.invalidate_all()


def insert_orders(cr, plan_table, ids):
    """Clone one sale order per plan row (id, client_id, partner_id, ..., state, amount, rate)."""
    source = SQL(
        """%(plan)s AS plan
           JOIN bench_template AS template
             ON template.key = 'order_' || CASE WHEN plan.company_id = %(company_a)s THEN 'a' ELSE 'b' END
                               || CASE WHEN plan.is_foreign THEN '_foreign' ELSE '_home' END
           JOIN sale_order AS tpl ON tpl.id = template.record_id
           JOIN res_partner AS client ON client.id = plan.client_id""",
        plan=plan_table,
        company_a=ids["company_a"],
    )
    return clone(
        cr,
        "sale_order",
        source,
        {
            "id": SQL("plan.id"),
            "name": SQL("'BS' || LPAD(plan.id::text, 8, '0')"),
            "partner_id": SQL("plan.partner_id"),
            "partner_invoice_id": SQL("plan.partner_id"),
            "partner_shipping_id": SQL("plan.partner_id"),
            "user_id": SQL("client.user_id"),
            "state": SQL("plan.state"),
            "date_order": SQL("plan.date_order"),
            "validity_date": SQL("plan.date_order::date + 30"),
            # never in the future: the nightly pass re-reads orders written since its last run
            "create_date": SQL("LEAST(plan.date_order, NOW() AT TIME ZONE 'UTC')"),
            "write_date": SQL("LEAST(plan.date_order, NOW() AT TIME ZONE 'UTC')"),
            "amount_untaxed": SQL("plan.amount"),
            "amount_tax": SQL("0"),
            "amount_total": SQL("plan.amount"),
            "currency_rate": SQL("plan.rate"),
            "invoice_status": SQL("CASE WHEN plan.state = 'sale' THEN tpl.invoice_status ELSE 'no' END"),
            "access_token": SQL("NULL"),
        },
    )


def insert_messages(cr, today):
    """Chatter emails on clients and their contacts over the last two years.

    Per client, 0 to MESSAGES_PER_CLIENT messages (8 on average): four in five
    are emails a salesperson sent from the client's chatter (each notifies
    the client by email, as a solicitation would), one in five an answer the
    contact or the client wrote. They feed the count of unanswered
    solicitations, the part of the analysis that reads mail_message.
    """
    from odoo.tools import SQL

    cr.execute("SELECT partner_id FROM res_users WHERE id = 2")
    salesperson_partner = cr.fetchone()[0]
    cr.execute("SELECT res_id FROM ir_model_data WHERE module = 'mail' AND name = 'mt_comment'")
    comment_subtype = cr.fetchone()[0]
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
    before = cr.fetchone()[0]
    cr.execute("SELECT setseed(%s)", [SEED % 1000 / 1000])
    cr.execute(
        SQL(
            """
            INSERT INTO mail_message (model, res_id, author_id, message_type, subtype_id, body, date,
                                      record_company_id, create_date, write_date, create_uid, write_uid)
            SELECT 'res.partner', plan.partner_id,
                   CASE WHEN plan.is_answer THEN plan.partner_id ELSE %(salesperson)s END,
                   CASE WHEN plan.is_answer THEN 'email' ELSE 'comment' END,
                   %(subtype)s, '<p>Generated message</p>', plan.date,
                   plan.company_id, plan.date, plan.date, 2, 2
              FROM (
                    SELECT COALESCE(CASE WHEN random() < 0.5 THEN client.contact_id END, client.client_id)
                               AS partner_id,
                           random() < 0.2 AS is_answer,
                           %(today)s::timestamp - random() * INTERVAL '730 days' AS date,
                           CASE WHEN client.in_a THEN %(company_a)s ELSE %(company_b)s END AS company_id
                      FROM bench_client AS client
                -- client.client_id / client.client_id is 1: it ties the series to each client,
                -- so that the number of messages is drawn per client, not once for all
                CROSS JOIN LATERAL generate_series(
                               1, (random() * %(per_client)s * client.client_id / client.client_id)::int)
                   ) AS plan
          ORDER BY plan.date
            """,
            salesperson=salesperson_partner,
            subtype=comment_subtype,
            today=today,
            company_a=_template_id(cr, "company_a"),
            company_b=_template_id(cr, "company_b"),
            per_client=MESSAGES_PER_CLIENT,
        )
    )
    written = cr.rowcount
    cr.execute(
        SQL(
            """
            INSERT INTO mail_notification (mail_message_id, res_partner_id, author_id, notification_type,
                                           notification_status, is_read)
            SELECT id, res_id, author_id, 'email', 'sent', TRUE
              FROM mail_message
             WHERE id > %s AND message_type = 'comment'
            """,
            before,
        )
    )
    return written


def _template_id(cr, key):
    cr.execute("SELECT record_id FROM bench_template WHERE key = %s", [key])
    return cr.fetchone()[0]


def insert_invoices(cr, plan_table, ids, today):
    """Invoice company B's confirmed orders; some are partly refunded, some fully reversed."""
    cr.execute(
        SQL(
            """
            CREATE TEMPORARY TABLE bench_invoice AS
            SELECT %(first_id)s + ROW_NUMBER() OVER (ORDER BY day, plan.id) - 1 AS move_id, plan.*
              FROM (SELECT *, LEAST(date_order::date + invoice_delay, %(today)s) AS day
                      FROM %(plan)s WHERE company_id = %(company_b)s AND state = 'sale') AS plan
            """,
            first_id=next_id(cr, "account_move"),
            today=today,
            plan=plan_table,
            company_b=ids["company_b"],
        )
    )
    cr.execute("SELECT COALESCE(MAX(move_id), 0) + 1 FROM bench_invoice")
    first_refund_id = cr.fetchone()[0]
    cr.execute(
        SQL(
            """
            CREATE TEMPORARY TABLE bench_refund AS
            SELECT %(first_id)s - 1
                       + ROW_NUMBER() OVER (ORDER BY invoice.day + invoice.refund_delay, invoice.move_id) AS move_id,
                   invoice.move_id AS invoice_id, invoice.client_id, invoice.partner_id, invoice.is_foreign,
                   invoice.rate, invoice.refund,
                   ROUND(invoice.amount * invoice.refund_ratio, 2) AS amount,
                   LEAST(invoice.day + invoice.refund_delay, %(today)s) AS day
              FROM bench_invoice AS invoice
             WHERE invoice.refund IS NOT NULL
            """,
            first_id=first_refund_id,
            today=today,
        )
    )
    written = clone_moves(cr, SQL("bench_invoice"), ids, "out_invoice")
    written += clone_moves(cr, SQL("bench_refund"), ids, "out_refund")
    bump_sequence(cr, "account_move")
    cr.execute("DROP TABLE bench_invoice, bench_refund")
    return written


def clone_moves(cr, plan_table, ids, move_type):
    """Clone the posted invoice (or credit note) template for each plan row.

    Plan rows: move_id, client_id, partner_id, is_foreign, rate, amount, day, refund
    (for invoices: 'full' when a credit note reverses it entirely).
    """
    sign = SQL("1") if move_type == "out_invoice" else SQL("-1")
    if move_type == "out_invoice":
        payment_state = SQL("CASE WHEN plan.refund = 'full' THEN 'reversed' ELSE tpl.payment_state END")
        reversed_entry = SQL("NULL")
    else:
        payment_state = SQL("tpl.payment_state")
        reversed_entry = SQL("CASE WHEN plan.refund = 'full' THEN plan.invoice_id END")
    company_amount = SQL("ROUND(plan.amount / plan.rate, 2)")
    return clone(
        cr,
        "account_move",
        SQL(
            """%s AS plan
               JOIN account_move AS tpl ON tpl.id = %s
               JOIN res_partner AS partner ON partner.id = plan.partner_id""",
            plan_table,
            ids[move_type],
        ),
        {
            "id": SQL("plan.move_id"),
            "name": SQL("tpl.sequence_prefix || 'B' || plan.move_id"),
            "sequence_number": SQL("plan.move_id"),
            "partner_id": SQL("plan.partner_id"),
            "commercial_partner_id": SQL("plan.client_id"),
            "partner_shipping_id": SQL("plan.partner_id"),
            "invoice_partner_display_name": SQL("partner.complete_name"),
            "currency_id": SQL("CASE WHEN plan.is_foreign THEN %s ELSE tpl.currency_id END", ids["currency_a"]),
            "invoice_currency_rate": SQL("plan.rate"),
            "date": SQL("plan.day"),
            "invoice_date": SQL("plan.day"),
            "invoice_date_due": SQL("plan.day + 30"),
            "payment_state": payment_state,
            "reversed_entry_id": reversed_entry,
            "payment_reference": SQL("tpl.sequence_prefix || 'B' || plan.move_id"),
            "amount_untaxed": SQL("plan.amount"),
            "amount_tax": SQL("0"),
            "amount_total": SQL("plan.amount"),
            "amount_residual": SQL("plan.amount"),
            "amount_untaxed_signed": SQL("%s * %s", sign, company_amount),
            "amount_untaxed_in_currency_signed": SQL("%s * plan.amount", sign),
            "amount_tax_signed": SQL("0"),
            "amount_total_signed": SQL("%s * %s", sign, company_amount),
            "amount_total_in_currency_signed": SQL("%s * plan.amount", sign),
            "amount_residual_signed": SQL("%s * %s", sign, company_amount),
            "create_date": SQL("plan.day"),
            "write_date": SQL("plan.day"),
            "access_token": SQL("NULL"),
            "inalterable_hash": SQL("NULL"),
            "secure_sequence_number": SQL("NULL"),
        },
    )


# ----------------------------------------------------------------------
# Daily changes (used by the benchmark's daily step)
# ----------------------------------------------------------------------


def add_daily_purchases(env, share, seed=SEED + 1):
    """A new purchase today for ``share`` of the clients that buy; return (orders, invoices).

    Clients of company A get a confirmed sale order, clients of company B (whose
    purchases are counted from invoices) a posted invoice.
    """
    cr = env.cr
    env.flush_all()
    cr.execute("SELECT key, record_id FROM bench_template")
    ids = dict(cr.fetchall())
    cr.execute("SELECT client_id, contact_id, in_a, in_b FROM bench_client WHERE in_a OR in_b ORDER BY client_id")
    buyers = cr.fetchall()
    rng = random.Random(seed)
    chosen = rng.sample(buyers, round(len(buyers) * share))
    now = cr.now()
    rows_a = [
        (client_id, client_id, ids["company_a"], False, now, "sale", 250, 1)
        for client_id, _c, in_a, _b in chosen
        if in_a
    ]
    rows_b = [(client_id, client_id, False, 250, 1, now.date()) for client_id, _c, in_a, _b in chosen if not in_a]
    cr.execute(
        """
        CREATE TEMPORARY TABLE bench_new_order (
            id int, client_id int, partner_id int, company_id int, is_foreign bool,
            date_order timestamp, state varchar, amount numeric, rate numeric);
        CREATE TEMPORARY TABLE bench_new_move (
            move_id int, client_id int, partner_id int, is_foreign bool, amount numeric, rate numeric,
            day date, refund varchar);
        """
    )
    first = next_id(cr, "sale_order")
    copy_rows(
        cr,
        "bench_new_order",
        ["id", "client_id", "partner_id", "company_id", "is_foreign", "date_order", "state", "amount", "rate"],
        ((first + n, *row) for n, row in enumerate(rows_a)),
    )
    orders = insert_orders(cr, SQL("bench_new_order"), ids)
    bump_sequence(cr, "sale_order")
    first = next_id(cr, "account_move")
    copy_rows(
        cr,
        "bench_new_move",
        ["move_id", "client_id", "partner_id", "is_foreign", "amount", "rate", "day"],
        ((first + n, *row) for n, row in enumerate(rows_b)),
    )
    invoices = clone_moves(cr, SQL("bench_new_move"), ids, "out_invoice")
    bump_sequence(cr, "account_move")
    # Posted just now, as a real invoice would be (the history's are dated on their day).
    cr.execute(SQL("UPDATE account_move SET write_date = %s WHERE id >= %s", now, first))
    cr.execute("DROP TABLE bench_new_order, bench_new_move")
    env.invalidate_all()
    return orders, invoices


# ----------------------------------------------------------------------
# Check that the ORM reads what was written
# ----------------------------------------------------------------------


def check_orm(env):
    """Read a few generated records through the ORM, as a user's screen would."""
    cr = env.cr
    cr.execute("SELECT MAX(id), MIN(id) FROM sale_order")
    last, first = cr.fetchone()
    orders = env["sale.order"].browse([first, (first + last) // 2, last])
    orders.read(["name", "partner_id", "state", "date_order", "amount_untaxed", "currency_id", "company_id"])
    cr.execute("SELECT MAX(id) FROM account_move WHERE move_type IN ('out_invoice', 'out_refund')")
    moves = env["account.move"].browse(cr.fetchone()[0])
    moves.read(["name", "partner_id", "commercial_partner_id", "state", "amount_untaxed_signed", "payment_state"])
    cr.execute("SELECT contact_id, client_id FROM bench_client WHERE contact_id IS NOT NULL ORDER BY client_id LIMIT 1")
    contact_id, client_id = cr.fetchone()
    contact = env["res.partner"].browse(contact_id)
    assert contact.commercial_partner_id.id == client_id, "contact not rolled up to its client"
    found = env["sale.order"].search_count([("partner_id", "child_of", client_id)])
    log(f"ORM read OK: orders {orders.mapped('name')}, move {moves.name}, {contact.display_name!r}, {found} orders")


def facts(env):
    """Counts describing the generated history, for the results table."""
    cr = env.cr
    cr.execute("SELECT key, value FROM bench_meta")
    meta = dict(cr.fetchall())
    cr.execute("SELECT key, record_id FROM bench_template")
    ids = dict(cr.fetchall())
    queries = {
        "partners": "SELECT COUNT(*) FROM res_partner",
        "clients": "SELECT COUNT(*) FROM bench_client",
        "clients_never_bought": "SELECT COUNT(*) FROM bench_client WHERE NOT in_a AND NOT in_b",
        "clients_in_both_companies": "SELECT COUNT(*) FROM bench_client WHERE in_a AND in_b",
        "contacts": "SELECT COUNT(*) FROM bench_client WHERE contact_id IS NOT NULL",
        "orders": "SELECT COUNT(*) FROM sale_order",
        "orders_confirmed": "SELECT COUNT(*) FROM sale_order WHERE state = 'sale'",
        "orders_on_contacts": """SELECT COUNT(*) FROM sale_order s JOIN res_partner p ON p.id = s.partner_id
                                   WHERE p.parent_id IS NOT NULL""",
        "orders_foreign_currency": """SELECT COUNT(*) FROM sale_order s JOIN res_company c ON c.id = s.company_id
                                        WHERE s.currency_id != c.currency_id""",
        "invoices": "SELECT COUNT(*) FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'",
        "invoices_reversed": """SELECT COUNT(*) FROM account_move
                                  WHERE move_type = 'out_invoice' AND payment_state = 'reversed'""",
        "credit_notes": "SELECT COUNT(*) FROM account_move WHERE move_type = 'out_refund' AND state = 'posted'",
        "messages": "SELECT COUNT(*) FROM mail_message WHERE model = 'res.partner'",
        "db_size": "SELECT pg_size_pretty(pg_database_size(current_database()))",
    }
    result = {**meta}
    for key, query in queries.items():
        cr.execute(query)
        result[key] = cr.fetchone()[0]
    for key in ("company_a", "company_b"):
        cr.execute(SQL("SELECT COUNT(*) FROM sale_order WHERE company_id = %s", ids[key]))
        result[f"orders_{key}"] = cr.fetchone()[0]
    return result


def main(env, argv):
    parser = argparse.ArgumentParser(prog="generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("size", choices=sorted(SIZES))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    env.cr.execute("SELECT to_regclass('bench_meta')")
    if env.cr.fetchone()[0]:
        sys.exit(f"{env.cr.dbname} already holds a generated history")
    write_history(env, args.size)
    env.cr.commit()
    check_orm(env)
    log(f"facts: {facts(env)}")
    log(f"done in {time.perf_counter() - started:.0f} s")
