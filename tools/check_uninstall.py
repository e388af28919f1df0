"""Steps of check_uninstall.sh, run inside ``odoo shell``.

    exec(open("tools/check_uninstall.py").read()); before(env)   (then uninstall, after_uninstall, after_reinstall)

Each step prints one line "check: ..." and raises AssertionError when the
addon left something behind or did something twice.
"""

from odoo.tools import SQL


def _count(env, query, *params):
    env.cr.execute(SQL(query, *params))
    return env.cr.fetchone()[0]


def before(env):
    """Activities to carry, on clients of the user's (the demo's are removed with the addon)."""
    from datetime import timedelta

    product = env["product.product"].create({"name": "Uninstall check visit", "type": "service"})
    clients = env["res.partner"].create([{"name": f"Uninstall check client {n}", "is_company": True} for n in range(2)])
    now = env.cr.now()
    env["sale.order"].create(
        [
            {
                "partner_id": client.id,
                "date_order": now - timedelta(days=days),
                "state": "sale",
                "order_line": [(0, 0, {"product_id": product.id, "price_unit": 100.0})],
            }
            for client in clients
            for days in (60, 90, 120, 150)
        ]
    )
    env.company.reconquete_default_user_id = env.ref("base.user_admin")
    env["reconquete.analysis"]._analyse_all_companies()
    files = env["reconquete.client"].search([("partner_id", "in", clients.ids)])
    env["reconquete.scheduler"]._schedule_manually(files)
    activities = env["mail.activity"].search([("res_model", "=", "reconquete.client"), ("res_id", "in", files.ids)])
    assert len(activities) == 2, f"each check client should have its call, found {len(activities)}"
    activities[0].action_feedback(feedback="Called: will order in March")
    env.cr.commit()
    print("check: before uninstall, 1 open and 1 done reconquest activities on the check's clients")


def uninstall(env):
    env["ir.module.module"].search([("name", "=", "reconquete_client")]).button_immediate_uninstall()
    env.cr.commit()


def after_uninstall(env):
    tables = _count(env, "SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'reconquete%%'")
    assert not tables, f"{tables} reconquete tables left"
    types = _count(
        env,
        "SELECT COUNT(*) FROM ir_model_data WHERE module = 'reconquete_client' AND model = 'mail.activity.type'",
    )
    assert not types, f"{types} activity types left"
    left = _count(env, "SELECT COUNT(*) FROM mail_activity WHERE res_model = 'reconquete.client'")
    assert not left, f"{left} activities left on a model that no longer exists"
    todo = env.ref("mail.mail_activity_data_todo")
    kept = (
        env["mail.activity"]
        .with_context(active_test=False)
        .search(
            [
                ("res_model", "=", "res.partner"),
                ("active", "=", False),
                ("activity_type_id", "=", todo.id),
                ("feedback", "=", "Called: will order in March"),
            ]
        )
    )
    assert len(kept) == 1, "the done activity is kept on its client, as a To-Do"
    notes = env["mail.message"].search_count(
        [("model", "=", "res.partner"), ("body", "ilike", "removed with the Client Reconquest app")]
    )
    assert notes, "the removed open activities are named in their clients' chatter"
    columns = _count(
        env,
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_name IN ('res_partner', 'res_company', "
        "'mail_activity', 'sale_order', 'account_move') AND column_name LIKE 'reconquete%%'",
    )
    assert not columns, f"{columns} reconquete columns left"
    indexes = _count(env, "SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE '%%reconquete%%'")
    assert not indexes, f"{indexes} reconquete indexes left"
    print(f"check: uninstalled, 1 done activity kept as a To-Do, {notes} chatter notes for the open ones")


def after_reinstall(env):
    env["reconquete.analysis"]._cron_analyse()
    files = env["reconquete.client"].search([("stage_id.code", "in", ("at_risk", "lost"))])
    created = env["reconquete.scheduler"]._schedule_manually(files)
    again = env["reconquete.scheduler"]._schedule_manually(files)
    open_per_file = {
        file.id: env["mail.activity"].search_count(
            [
                ("res_model", "=", "reconquete.client"),
                ("res_id", "=", file.id),
                ("activity_type_id", "=", file.stage_id.activity_type_id.id),
            ]
        )
        for file in files
    }
    assert all(count == 1 for count in open_per_file.values()), f"one open activity per file: {open_per_file}"
    assert not again, "Schedule Reconquest twice plans nothing the second time"
    env.cr.commit()
    print(f"check: reinstalled, {len(files)} clients to win back, {len(created)} activities, none twice")
