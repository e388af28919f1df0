"""Install and uninstall hooks."""

from markupsafe import Markup

from odoo.tools import SQL


def post_init_hook(env):
    """Ask for every client's file and its history over the analysis window, right after the install.

    The scheduled actions fill them in SQL batches, committed one by one (see
    ``_request_first_look``): years of orders are a long job, and millions of
    replayed stage changes. Clients already slipping away at install are the
    managers' call (action "Schedule Reconquest"), not thousands of activities
    overnight: only stages entered from then on get their activities by
    themselves.
    """
    companies = env["res.company"].search([])  # pylint: disable=no-search-all
    env["reconquete.analysis"]._request_first_look(companies)
    demo_clients = [
        env.ref(f"reconquete_client.demo_client_{code}", raise_if_not_found=False) for code in ("at_risk", "lost")
    ]
    demo_client_ids = [client.id for client in demo_clients if client]
    replay = env["reconquete.replay"]
    if demo_client_ids:
        # With demo data (a few clients), everything at once: the board, the reconquest of the demo
        # clients as the job would plan it, and the replayed history and calibration on the first open.
        env["reconquete.analysis"]._analyse_all_companies()
        env["reconquete.scheduler"]._schedule_manually(
            env["reconquete.client"].search([("partner_id", "in", demo_client_ids)])
        )
        replay._replay_all_companies()
    else:
        replay._request_replay(companies)


def uninstall_hook(env):
    """Leave the contacts clean, with a trace of the reconquest work.

    Open reconquest activities are deleted, each with a line in its client's
    chatter; done ones stay in the client's history as plain To-Dos. The
    files go with their stage history and reconquests before the stages and
    activity types they point to, so that Odoo removes those without error.
    """
    activities = (
        env["mail.activity"].sudo().with_context(active_test=False).search([("res_model", "=", "reconquete.client")])
    )
    files = env["reconquete.client"].sudo().browse(set(activities.mapped("res_id"))).exists()
    partner_of = {file.id: file.partner_id for file in files}
    notes = {}
    for activity in activities.filtered("active"):
        partner = partner_of.get(activity.res_id)
        if partner:
            notes.setdefault(partner.id, []).append(
                env._(
                    "Reconquest activity removed with the Client Reconquest app: %(activity)s for %(user)s, due "
                    "%(date)s (%(company)s).",
                    activity=activity.activity_type_id.name,
                    user=activity.user_id.name,
                    date=activity.date_deadline,
                    company=files.browse(activity.res_id).company_id.name,
                )
            )
    activities.filtered("active").unlink()
    todo = env.ref("mail.mail_activity_data_todo")
    for activity in activities.exists():  # the done ones
        partner = partner_of.get(activity.res_id)
        env.cr.execute(
            SQL(
                "UPDATE mail_activity SET res_model = 'res.partner', res_model_id = %s, res_id = %s, "
                "activity_type_id = %s WHERE id = %s",
                env["ir.model"]._get_id("res.partner"),
                partner.id if partner else 0,
                todo.id,
                activity.id,
            )
        )
    env["res.partner"].browse(list(notes))._message_log_batch(
        {partner_id: Markup("<br/>").join(lines) for partner_id, lines in notes.items()}
    )
    env.cr.execute(SQL("DELETE FROM reconquete_client"))
    env.invalidate_all()
