"""A salesperson's day with Odoo's default Sales rights: exactly sales_team.group_sale_salesman."""

from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import freeze_time, tagged

from .common import TODAY, ReconqueteCase


@tagged("reconquete_salesperson")
class TestSalespersonDay(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = cls._create_user("reconquete_day_seller", "sales_team.group_sale_salesman")
        cls.other_seller = cls._create_user("reconquete_day_other_seller", "sales_team.group_sale_salesman")
        cls.executive = cls._create_user("reconquete_day_executive", "sales_team.group_sale_manager")
        cls.company.reconquete_executive_user_id = cls.executive
        cls.call_type = cls.env.ref("reconquete_client.mail_activity_type_reconquest_call")
        cls.executive_type = cls.env.ref("reconquete_client.mail_activity_type_executive_call")
        cls.client = cls._create_client("Hôtel du Lac", user_id=cls.seller.id, email="lac@example.com")
        cls.buyer = cls.env["res.partner"].create(
            {"name": "Buyer at the Lac", "parent_id": cls.client.id, "email": "buyer@lac.example.com"}
        )
        cls._create_orders(cls.client, [60, 90, 120, 150], amount=300.0)
        cls.env["reconquete.analysis"]._analyse_all_companies()
        cls.file = cls.env["reconquete.client"].search([("partner_id", "=", cls.client.id)])
        cls.file._set_strategic_override("on")  # the executive calls too

    def _open_activities(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "reconquete.client"), ("res_id", "=", self.file.id)]
        )

    def _plan_the_day(self):
        self._run_scheduled_action()
        activities = self._open_activities()
        call = activities.filtered(lambda activity: activity.activity_type_id == self.call_type)
        executive_call = activities - call
        self.assertEqual(call.user_id, self.seller)
        self.assertEqual(executive_call.activity_type_id, self.executive_type)
        self.assertEqual(call.date_deadline, executive_call.date_deadline, "both due the same day")
        return call, executive_call

    def test_no_answer_closes_the_salespersons_call_only(self):
        call, executive_call = self._plan_the_day()
        self.file.with_user(self.seller).action_no_answer()
        self.assertFalse(call.active)
        self.assertEqual(call.feedback, "No answer")
        self.assertTrue(executive_call.active, "never another person's activity")
        self.assertEqual(self.file.unanswered_count, 1)

    def test_no_answer_offers_the_next_try(self):
        self._plan_the_day()
        action = self.file.with_user(self.seller).action_no_answer()
        self.assertEqual(action["res_model"], "mail.activity")
        context = action["context"]
        self.assertEqual(context["default_activity_type_id"], self.call_type.id)
        self.assertEqual(context["default_date_deadline"], str(TODAY + timedelta(days=2)))
        self.assertEqual(context["default_user_id"], self.seller.id)
        next_call = self.env["mail.activity"].with_user(self.seller).with_context(**context).create({})
        self.assertEqual(
            (next_call.res_id, next_call.activity_type_id, next_call.user_id, next_call.date_deadline),
            (self.file.id, self.call_type, self.seller, TODAY + timedelta(days=2)),
        )
        with freeze_time(TODAY + timedelta(days=1)):
            self._run_scheduled_action()
        self.assertEqual(len(self._open_activities()), 2, "the next try and the executive's call, nothing more")

    def test_a_new_salesperson_takes_the_open_call(self):
        call, executive_call = self._plan_the_day()
        self.client.with_user(self.sales_manager).user_id = self.other_seller
        self.assertEqual(call.user_id, self.other_seller)
        self.assertEqual(executive_call.user_id, self.executive, "the executive keeps theirs")
        self.assertIn("open activities moved to them", self.file.message_ids[0].body)
        self.assertIn(self.other_seller.name, self.file.message_ids[0].body)

    def test_snooze_postpones_and_resume_plans_again(self):
        call, executive_call = self._plan_the_day()
        wizard = (
            self.env["reconquete.pause.wizard"]
            .with_user(self.seller)
            .create(
                {
                    "mode": "snooze",
                    "client_ids": [Command.set(self.file.ids)],
                    "snoozed_until": TODAY + timedelta(days=60),
                    "reason": "orders again after the summer",
                }
            )
        )
        wizard.action_apply()
        self.assertEqual((call | executive_call).mapped("date_deadline"), [TODAY + timedelta(days=60)] * 2)
        self.assertIn("Open activities postponed to", self.file.message_ids[0].body)

        self.file.with_user(self.seller).action_resume()
        self.assertFalse(self.file.snoozed_until)
        self.assertEqual(call.date_deadline, TODAY + timedelta(days=2), "due when the stage asks again")
        self.assertIn("Reconquest resumed by", self.file.message_ids[0].body)

    def test_the_salesperson_records_the_departure_reason(self):
        price = self.env.ref("reconquete_client.departure_reason_price")
        wizard = (
            self.env["reconquete.departure.wizard"]
            .with_user(self.seller)
            .with_context(default_client_ids=self.file.ids)
            .create({"reason_id": price.id, "note": "A competitor is 10% cheaper"})
        )
        wizard.action_apply()
        self.assertEqual(self.file.departure_reason_id, price)
        self.assertEqual(self.client.with_user(self.seller).reconquete_departure_reason_id, price)
        self.assertIn("A competitor is 10% cheaper", self.file.message_ids[0].body)

    def test_the_salesperson_cannot_exclude_unless_the_business_closed(self):
        with self.assertRaises(AccessError):
            self.file.with_user(self.seller)._pause(excluded=True, reason="not interesting")
        self.assertFalse(self.file.excluded)

    def test_a_note_and_an_email_from_the_salesperson_one_solicitation(self):
        file = self.file.with_user(self.seller)
        file.message_post(body="Called the accountant: no news.", subtype_xmlid="mail.mt_note")
        file.message_post(
            body="Shall we meet to talk about next season?",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.buyer.ids,
        )
        with freeze_time(TODAY + timedelta(days=1)):
            self._run_scheduled_action()
        self.assertEqual(self.file.unanswered_count, 1, "the email counts, the internal note does not")

    def test_analyze_now_says_what_changed(self):
        self.env.cr.execute(
            "UPDATE reconquete_client SET stage_id = %s WHERE id = %s",
            [self.env.ref("reconquete_client.reconquete_stage_watch").id, self.file.id],
        )
        self.file.invalidate_recordset()
        notification = self.file.with_user(self.sales_manager).action_analyse()
        message = notification["params"]["message"]
        self.assertIn("Hôtel du Lac: To Watch → To Win Back", message)
        self.assertIn("activities planned: 2", message)
