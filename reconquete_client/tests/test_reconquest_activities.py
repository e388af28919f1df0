import logging
from datetime import timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..hooks import post_init_hook
from ..models.reconquete_scheduler import ReconqueteScheduler
from .common import TODAY, ReconqueteCase


@tagged("reconquete_activities")
class TestReconquestActivities(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = cls._create_user("reconquete_leader", "sales_team.group_sale_salesman_all_leads")
        cls.backup = cls._create_user("reconquete_backup", "sales_team.group_sale_salesman")
        cls.team = cls.env["crm.team"].create(
            {"name": "Field sales", "user_id": cls.leader.id, "member_ids": [Command.link(cls.salesman.id)]}
        )
        cls.company.reconquete_default_user_id = cls.backup
        cls.call_type = cls.env.ref("reconquete_client.mail_activity_type_reconquest_call")
        cls.invitation_type = cls.env.ref("reconquete_client.mail_activity_type_winback_invitation")
        cls.executive_type = cls.env.ref("reconquete_client.mail_activity_type_executive_call")

    def _slipping_client(self, name="Slipping away", **values):
        """Every 30 days until 60 days ago: past its alert threshold (45 days)."""
        values = {"user_id": self.salesman.id, **values}
        client = self._create_client(name, email="buyer@example.com", **values)
        self._create_orders(client, [60, 90, 120, 150], amount=300.0)
        return client

    def _plan_by_hand(self, file, author, assignee):
        """A Reconquest Call planned from the file's chatter, as the activity dialog does."""
        return (
            self.env["mail.activity"]
            .with_user(author)
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("reconquete.client"),
                    "res_id": file.id,
                    "activity_type_id": self.call_type.id,
                    "user_id": assignee.id,
                }
            )
        )

    def _activities(self, client, company=None):
        file = self._file(client, company)
        return self.env["mail.activity"].search([("res_model", "=", "reconquete.client"), ("res_id", "in", file.ids)])

    def test_entering_at_risk_schedules_one_call_for_the_salesperson(self):
        client = self._slipping_client()
        self._run_scheduled_action()
        self._run_scheduled_action()

        activity = self._activities(client)
        self.assertEqual(len(activity), 1, "two runs of the job give one activity")
        self.assertEqual(activity.activity_type_id, self.call_type)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.date_deadline, TODAY + timedelta(days=2))
        order = client.sale_order_ids.sorted("date_order")[-1]
        note = activity.note
        self.assertIn("Silent for 60 days; usually orders every 30 days.", note)
        self.assertIn(f"Last purchase: {order.name} on 05/01/2026.", note)
        share = 100.0 * 1200.0 / self._state().revenue_total
        self.assertIn(f"{share:.1f}% of revenue over the revenue window.", note)

    def test_entering_lost_schedules_the_win_back_invitation(self):
        client = self._create_client("Gone for a year", user_id=self.salesman.id)
        self._create_orders(client, [400, 430, 460])
        self._run_scheduled_action()
        self.assertEqual(self._activities(client).activity_type_id, self.invitation_type)
        self.assertEqual(self._activities(client).date_deadline, TODAY + timedelta(days=7))

    def test_strategic_client_also_reaches_the_executive(self):
        self.company.reconquete_executive_user_id = self.leader
        client = self._slipping_client()
        self._analyse()
        self._file(client)._set_strategic_override("on")
        self._run_scheduled_action()
        activities = self._activities(client)
        self.assertEqual(
            {(activity.activity_type_id, activity.user_id) for activity in activities},
            {(self.call_type, self.salesman), (self.executive_type, self.leader)},
        )
        self.assertIn("Strategic client: Set by a manager.", activities[0].note)

    def test_archived_salesperson_falls_back_to_the_team_leader(self):
        client = self._slipping_client()
        client.sale_order_ids.team_id = self.team
        self.salesman.action_archive()
        self._run_scheduled_action()
        self.assertEqual(self._activities(client).user_id, self.leader)

    def test_without_salesperson_nor_team_the_default_user_takes_it(self):
        client = self._slipping_client()
        client.user_id = False
        client.sale_order_ids.team_id = False
        self._run_scheduled_action()
        self.assertEqual(self._activities(client).user_id, self.backup)

    def test_nobody_to_take_it_waits_for_the_next_run(self):
        client = self._slipping_client()
        client.user_id = False
        client.sale_order_ids.team_id = False
        self.company.reconquete_default_user_id = False
        with self.assertLogs("odoo.addons.reconquete_client.models.reconquete_scheduler", logging.WARNING):
            self._run_scheduled_action()
        self.assertFalse(self._activities(client))

        self.company.reconquete_default_user_id = self.backup
        self._run_scheduled_action()
        self.assertEqual(self._activities(client).user_id, self.backup, "retried once someone can take it")

    def test_client_of_another_company_is_untouched(self):
        other_company = self.setup_other_company()["company"]
        shared = self._create_client("Shared", user_id=self.salesman.id)
        self._create_orders(shared, [60, 90, 120, 150])  # at risk here
        self._create_orders(shared, [5, 35, 65], company=other_company)  # active there
        self._run_scheduled_action()
        self.assertEqual(len(self._activities(shared)), 1)
        self.assertFalse(self._activities(shared, other_company))

        self._create_orders(shared, [0], company=other_company)
        with freeze_time(TODAY + timedelta(days=1)):
            self._run_scheduled_action()
        self.assertEqual(self._stage(shared, other_company), "active")
        self.assertTrue(self._activities(shared).active, "a purchase elsewhere does not close this reconquest")

    def test_database_refuses_a_second_open_activity_of_a_type(self):
        client = self._slipping_client()
        self._run_scheduled_action()
        activity = self._activities(client)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            activity.copy()

    def test_a_call_planned_before_the_client_slipped_serves_its_stage(self):
        """The salesperson planned the call while the client was only To Watch: the job plans no other."""
        client = self._slipping_client()
        self._analyse()
        file = self._file(client)
        planned = self._plan_by_hand(file, self.salesman, self.salesman)
        # Planned before the client entered To Win Back (or by a server whose clock is ahead of the database's).
        self.env.cr.execute(
            "UPDATE mail_activity SET create_date = %s WHERE id = %s",
            (file.stage_date - timedelta(days=20), planned.id),
        )
        planned.invalidate_recordset(["create_date"])

        # The job's loop takes files until none is pending: one it cannot plan must not stay pending.
        self.assertNotIn(file, self.env["reconquete.scheduler"]._pending_files(self.company, TODAY))
        self._run_scheduled_action()
        self.assertEqual(self._activities(client), planned)

    def test_a_manager_plans_a_call_for_the_salesperson_from_the_file(self):
        client = self._create_client("Regular", user_id=self.salesman.id)
        self._create_orders(client, [5, 35, 65])
        self._analyse()
        file = self._file(client)

        activity = self._plan_by_hand(file, self.sales_manager, self.salesman)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn(self.salesman.partner_id, file.message_partner_ids, "the salesperson follows the file")
        other = self._create_client("Someone else's", user_id=self.sales_manager.id)
        self._create_orders(other, [5, 35, 65])
        self._analyse()
        with self.assertRaises(AccessError):
            self._plan_by_hand(self._file(other), self.salesman, self.salesman)
        with self.assertRaises(AccessError):
            self._file(other).with_user(self.salesman).message_subscribe(partner_ids=self.salesman.partner_id.ids)

    def test_snoozed_client_waits_and_excluded_client_gets_nothing(self):
        snoozed = self._slipping_client("Orders in Q3")
        excluded = self._slipping_client("Closed down")
        self._analyse()
        wizard = (
            self.env["reconquete.pause.wizard"]
            .with_user(self.salesman)
            .create(
                {
                    "mode": "snooze",
                    "client_ids": [Command.set(self._file(snoozed).ids)],
                    "snoozed_until": TODAY + timedelta(days=20),
                    "reason": "orders again in Q3",
                }
            )
        )
        wizard.action_apply()
        self.env["reconquete.departure.wizard"].with_user(self.salesman).with_context(
            default_client_ids=self._file(excluded).ids
        ).create({"reason_id": self.env.ref("reconquete_client.departure_reason_closed").id}).action_apply()
        self._run_scheduled_action()
        self.assertFalse(self._activities(snoozed))
        self.assertFalse(self._activities(excluded))
        self.assertTrue(excluded.reconquete_excluded)
        self.assertIn("Reconquest snoozed until 07/20/2026 by", self._file(snoozed).message_ids[0].body)
        self.assertIn("orders again in Q3", self._file(snoozed).message_ids[0].body)
        self.assertIn("Excluded from reconquest by", self._file(excluded).message_ids[0].body)

        with freeze_time(TODAY + timedelta(days=20)):
            self._run_scheduled_action()
        self.assertEqual(len(self._activities(snoozed)), 1, "the snooze is over")
        self.assertFalse(self._activities(excluded))

    def test_snooze_needs_a_future_date(self):
        client = self._slipping_client()
        self._analyse()
        wizard = self.env["reconquete.pause.wizard"].create(
            {
                "mode": "snooze",
                "client_ids": [Command.set(self._file(client).ids)],
                "snoozed_until": TODAY,
                "reason": "today",
            }
        )
        with self.assertRaisesRegex(ValidationError, r"A snooze needs a day after today \(got 06/30/2026\)"):
            wizard.action_apply()
        self.assertFalse(self._file(client).snoozed_until)

    def test_relationship_reason_offers_another_salesperson(self):
        client = self._slipping_client()
        self._run_scheduled_action()
        wizard = (
            self.env["reconquete.departure.wizard"]
            .with_user(self.sales_manager)
            .with_context(default_client_ids=self._file(client).ids)
            .create({"reason_id": self.env.ref("reconquete_client.departure_reason_relationship").id})
        )
        self.assertEqual(wizard.follow_up, "reassign")
        wizard.user_id = self.backup
        wizard.action_apply()
        self.assertFalse(client.reconquete_excluded)
        self.assertEqual(client.user_id, self.backup)
        self.assertEqual(self._activities(client).user_id, self.backup, "the open call follows the new salesperson")

    def test_three_unanswered_mails_put_the_client_at_risk(self):
        client = self._create_client("Quiet", user_id=self.salesman.id, email="quiet@example.com")
        self._create_orders(client, [5, 35, 65, 95])
        self._analyse()
        self.assertEqual(self._stage(client), "active")

        for attempt in range(3):
            client.with_user(self.salesman).message_post(
                body=f"Any news? ({attempt})",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=client.ids,
            )
        with freeze_time(TODAY + timedelta(days=1)):  # the job runs at night
            self._run_scheduled_action()
        self.assertEqual(client.reconquete_unanswered_count, 3)
        self.assertEqual(self._stage(client), "at_risk")
        self.assertIn("Did not answer the last 3 solicitations.", self._activities(client).note)

        with freeze_time(TODAY + timedelta(days=2)):
            client.message_post(body="Sorry, busy month!", author_id=client.id, message_type="email")
        with freeze_time(TODAY + timedelta(days=3)):
            self._run_scheduled_action()
        self.assertEqual(client.reconquete_unanswered_count, 0, "an answer resets the counter")
        self.assertEqual(self._stage(client), "active")

    def test_internal_notes_and_order_emails_are_no_solicitation(self):
        client = self._create_client("Quiet", email="quiet@example.com")
        self._create_orders(client, [5, 35, 65])
        client.message_post(body="Called the accountant", subtype_xmlid="mail.mt_note")
        order = client.sale_order_ids[0]
        order.message_post(
            body="Your order", message_type="comment", subtype_xmlid="mail.mt_comment", partner_ids=client.ids
        )
        self._analyse()
        self.assertEqual(client.reconquete_unanswered_count, 0)

    def test_no_answer_closes_the_call_and_counts(self):
        client = self._slipping_client()
        self._run_scheduled_action()
        call = self._activities(client)

        client.with_user(self.salesman).action_reconquete_no_answer()

        self.assertFalse(call.active, "the call is done")
        self.assertEqual(call.feedback, "No answer")
        self.assertEqual(client.reconquete_unanswered_count, 1)

    def test_new_order_closes_the_reconquest_and_records_it(self):
        # A salesperson who may not edit contacts still confirms the order.
        seller = self._create_user("reconquete_plain_seller", "sales_team.group_sale_salesman")
        client = self._slipping_client(user_id=seller.id)
        self._run_scheduled_action()
        call = self._activities(client)

        with freeze_time(TODAY + timedelta(days=10)):
            order = self.env["sale.order"].create(
                {
                    "partner_id": client.id,
                    "order_line": [Command.create({"product_id": self.service.id, "price_unit": 500.0})],
                }
            )
            order.with_user(seller).action_confirm()

            self.assertEqual(self._stage(client), "won_back", "at once, not at tomorrow's run")
            self.assertFalse(call.active)
            self.assertIn(f"Won back: {order.name}", call.feedback)
            reconquest = self._file(client).reconquest_ids
            self.assertEqual(len(reconquest), 1)
            self.assertEqual(reconquest.risk_date, TODAY)
            self.assertEqual(reconquest.won_back_date, TODAY + timedelta(days=10))
            self.assertEqual(reconquest.days_to_win_back, 10)
            self.assertEqual(reconquest.document_name, order.name)
            self.assertIn("Won back 10 days after entering", self._file(client).message_ids[0].body)

    def test_manager_schedules_a_reconquest_by_hand(self):
        client = self._create_client("Regular", user_id=self.salesman.id)
        self._create_orders(client, [5, 35, 65])
        self._analyse()
        self.assertEqual(self._stage(client), "active")

        with self.assertRaises(AccessError):
            client.with_user(self.salesman).action_reconquete_schedule()
        client.with_user(self.sales_manager).action_reconquete_schedule()
        self.assertEqual(self._activities(client).activity_type_id, self.call_type)

    def test_install_does_not_flood_salespeople(self):
        client = self._slipping_client()
        post_init_hook(self.env)  # the addon's own install hook
        self._run_scheduled_action()
        self.assertFalse(self._activities(client), "clients at risk before install are the managers' call")

    def test_install_leaves_the_first_analysis_to_the_scheduled_action(self):
        """The hook analyses nobody itself; the scheduled action does right after, and later entries plan work."""
        slipping = self._slipping_client()
        regular = self._create_client("Every 30 days", user_id=self.salesman.id)
        self._create_orders(regular, [25, 55, 85, 115])  # silent for 25 days: To Win Back after 45
        cron = self.env.ref("reconquete_client.ir_cron_reconquete_analysis")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        post_init_hook(self.env)
        self.assertFalse(self._file(slipping) | self._file(regular), "no client analysed within the install")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers, "the job is asked for at once"
        )

        self._run_scheduled_action()
        self.assertEqual((self._stage(slipping), self._stage(regular)), ("at_risk", "active"))
        self.assertFalse(self._activities(slipping) | self._activities(regular))
        with freeze_time(TODAY + timedelta(days=21)):
            self._run_scheduled_action()
        self.assertEqual(self._stage(regular), "at_risk")
        self.assertEqual(self._activities(regular).activity_type_id, self.call_type, "entered after the install")
        self.assertFalse(self._activities(slipping), "still the managers' call")

    def test_a_job_out_of_time_asks_to_be_called_back_until_every_activity_is_planned(self):
        """Odoo's runner calls a job back soon only while it reports work left: planning must report it.

        It counted the files it planned off the work left, which is one per
        company: a first batch larger than the number of companies left nothing
        to report, and the rest of the night's activities waited for the next night.
        """
        # Batches as large as the number of companies (the job's 500 is larger), one more client.
        batch_size = self.env["res.company"].search_count([])
        clients = []
        for number in range(batch_size + 1):
            client = self._create_client(f"Regular {number}", user_id=self.salesman.id)
            self._create_orders(client, [20, 50, 80, 110])
            clients.append(client)
        self._run_scheduled_action()
        cron = self.env.ref("reconquete_client.ir_cron_reconquete_analysis")
        runs = 0
        # 40 days later every client is past its alert threshold. Each run has time for one batch.
        with (
            freeze_time(TODAY + timedelta(days=40)),
            patch("odoo.addons.base.models.ir_cron.MIN_TIME_PER_JOB", 0),
            patch("odoo.addons.base.models.ir_cron.MIN_RUNS_PER_JOB", 1),
            patch.object(ReconqueteScheduler, "_batch_size", batch_size),
        ):
            self._run_scheduled_action()
            # What the runner does: call the job again while it asks for it (a trigger).
            while self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]) and runs < 50:
                runs += 1
                self._run_scheduled_action()
        self.assertEqual({self._stage(client) for client in clients}, {"at_risk"})
        self.assertEqual([len(self._activities(client)) for client in clients], [1] * len(clients))
