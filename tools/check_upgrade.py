"""Dumps of a database's reconquest data, run inside ``odoo shell`` by check_upgrade.sh.

    exec(open("tools/check_upgrade.py").read()); prepare_v1(env) / dump(env, "v1", path) / dump(env, "v2", path)

``prepare_v1`` gives a 1.0 database the kinds of data an upgrade must carry:
a second company, a snooze, an exclusion, a departure reason, a manager's
override, open and done activities. ``dump`` writes what each client holds,
keyed by (partner, company), from the 1.0 columns or the 2.0 table, so that
the two can be compared line by line.
"""

import json
from datetime import timedelta

from odoo.tools import SQL

FIGURES = [
    "purchase_days",
    "first_purchase_date",
    "last_purchase_date",
    "mean_interval",
    "median_interval",
    "interval_spread",
    "reference_interval",
    "expected_date",
    "revenue",
    "unanswered_count",
    "is_strategic",
    "strategic_reason",
    "strategic_override",
    "stage",
    "stage_date",
    "departure_reason",
    "departure_note",
    "snoozed_until",
    "excluded",
    "pause_reason",
]


def prepare_v1(env):
    partner = env.ref
    company_b = env["res.company"].create({"name": "Upgrade Company B"})
    shared = partner("reconquete_client.demo_client_active")
    product = partner("reconquete_client.demo_product_service")
    today = env.cr.now()
    env["sale.order"].create(
        [
            {
                "partner_id": shared.id,
                "company_id": company_b.id,
                "date_order": today - timedelta(days=days),
                "state": "sale",
                "order_line": [(0, 0, {"product_id": product.id, "price_unit": 80.0})],
            }
            for days in (100, 400, 500)
        ]
    )
    env["reconquete.analysis"]._analyse_all_companies()
    watch = partner("reconquete_client.demo_client_watch")
    watch._reconquete_pause(snoozed_until=today.date() + timedelta(days=30), reason="orders in spring")
    lost = partner("reconquete_client.demo_client_lost")
    lost.reconquete_departure_reason_id = partner("reconquete_client.departure_reason_closed")  # excludes it
    new = partner("reconquete_client.demo_client_new")
    new.reconquete_strategic_override = "off"
    at_risk = partner("reconquete_client.demo_client_at_risk")
    at_risk.reconquete_departure_reason_id = partner("reconquete_client.departure_reason_price")
    at_risk.reconquete_departure_note = "A competitor was 10% cheaper"
    done = env["mail.activity"].search([("reconquete_company_id", "!=", False), ("res_id", "=", at_risk.id)], limit=1)
    done.action_feedback(feedback="Left a message")
    env.cr.commit()


def dump(env, version, path):
    with open(path, "w") as out:
        json.dump(
            {
                "files": _files_v1(env) if version == "v1" else _files_v2(env),
                "history": _history(env, version),
                "reconquests": _reconquests(env, version),
                "activities": _activities(env, version),
            },
            out,
            indent=1,
            sort_keys=True,
            default=str,
        )


def _rows(env, query):
    env.cr.execute(query)
    columns = [description[0] for description in env.cr.description]
    return [dict(zip(columns, row, strict=True)) for row in env.cr.fetchall()]


def _normal(value):
    return round(float(value), 2) if isinstance(value, (float, int)) and not isinstance(value, bool) else value


def _files_v1(env):
    files = {}
    for company in env["res.company"].search([]):  # pylint: disable=no-search-all
        for partner in (
            env["res.partner"]
            .with_company(company)
            .with_context(active_test=False)
            .search([("reconquete_stage_id", "!=", False)])
        ):
            # 2.0 dates Won Back on the winning purchase's day, 1.0 on the day the analysis saw it.
            stage_date = partner.reconquete_stage_date
            if partner.reconquete_stage_id.code == "won_back":
                stage_date = min(stage_date, partner.reconquete_last_purchase_date)
            files[f"{partner.id}/{company.id}"] = {
                **{
                    name: _normal(partner[f"reconquete_{name}"])
                    for name in FIGURES
                    if name not in ("stage", "departure_reason")
                },
                "stage": partner.reconquete_stage_id.code,
                "departure_reason": partner.reconquete_departure_reason_id.name or False,
                "is_strategic": bool(partner.reconquete_is_strategic),
                "strategic_override": partner.reconquete_strategic_override or "auto",
                "stage_date": stage_date,
            }
    return files


def _files_v2(env):
    files = {}
    for file in env["reconquete.client"].search([("stage_id", "!=", False)]):
        files[f"{file.partner_id.id}/{file.company_id.id}"] = {
            **{name: _normal(file[name]) for name in FIGURES if name not in ("stage", "departure_reason")},
            "stage": file.stage_id.code,
            "departure_reason": file.departure_reason_id.name or False,
            "is_strategic": bool(file.is_strategic),
        }
    return files


def _history(env, version):
    if version == "v1":
        query = SQL(
            """
            SELECT h.partner_id || '/' || h.company_id AS client, h.date, f.code AS stage_from, t.code AS stage_to,
                   h.user_id, h.revenue::numeric(16, 2)::text AS revenue
              FROM reconquete_stage_history AS h
         LEFT JOIN reconquete_stage AS f ON f.id = h.stage_from_id
         LEFT JOIN reconquete_stage AS t ON t.id = h.stage_to_id
          ORDER BY h.id
            """
        )
    else:
        query = SQL(
            """
            SELECT c.partner_id || '/' || c.company_id AS client, h.date, h.stage_from, h.stage_to, h.user_id,
                   h.revenue::numeric(16, 2)::text AS revenue
              FROM reconquete_stage_history AS h
              JOIN reconquete_client AS c ON c.id = h.client_id
          ORDER BY h.id
            """
        )
    return _rows(env, query)


def _reconquests(env, version):
    client = "r.partner_id || '/' || r.company_id" if version == "v1" else "c.partner_id || '/' || c.company_id"
    join = "" if version == "v1" else "JOIN reconquete_client AS c ON c.id = r.client_id"
    return _rows(
        env,
        SQL(
            "SELECT %s AS client, r.risk_date, r.won_back_date, r.days_to_win_back, r.document_name "
            "FROM reconquete_reconquest AS r %s ORDER BY r.id",
            SQL(client),
            SQL(join),
        ),
    )


def _activities(env, version):
    if version == "v1":
        query = SQL(
            """
            SELECT a.res_id || '/' || a.reconquete_company_id AS client, t.name->>'en_US' AS type, a.user_id,
                   a.active, a.date_deadline
              FROM mail_activity AS a JOIN mail_activity_type AS t ON t.id = a.activity_type_id
             WHERE a.reconquete_company_id IS NOT NULL
          ORDER BY a.id
            """
        )
    else:
        query = SQL(
            """
            SELECT c.partner_id || '/' || c.company_id AS client, t.name->>'en_US' AS type, a.user_id,
                   a.active, a.date_deadline
              FROM mail_activity AS a
              JOIN mail_activity_type AS t ON t.id = a.activity_type_id
              JOIN reconquete_client AS c ON c.id = a.res_id
             WHERE a.res_model = 'reconquete.client'
          ORDER BY a.id
            """
        )
    return _rows(env, query)
