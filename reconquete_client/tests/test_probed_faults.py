"""Faults found by probing 1.0 (issue 10), one test each, in the order of the issue."""

import logging
from datetime import timedelta

from odoo.fields import Command
from odoo.tests import freeze_time, tagged

from .common import TODAY, ReconqueteCase


@tagged("reconquete_faults")
class TestProbedFaults(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company()["company"]
        cls.leader = cls._create_user("reconquete_fault_leader", "sales_team.group_sale_salesman_all_leads")
        cls.team = cls.env["crm.team"].create(
            {"name": "Reconquest team", "user_id": cls.leader.id, "member_ids": [Command.link(cls.salesman.id)]}
        )
        cls.call_type = cls.env.ref("reconquete_client.mail_activity_type_reconquest_call")

    def _activities(self, client, company=None, active=True):
        file = self._file(client, company)
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search([("res_model", "=", "reconquete.client"), ("res_id", "=", file.id), ("active", "=", active)])
        )

    def _invoice(self, client, days_ago, amount, move_type="out_invoice"):
        return self.init_invoice(
            move_type, partner=client, invoice_date=TODAY - timedelta(days=days_ago), amounts=[amount], post=True
        )

    def _slipping(self, name, company=None, **values):
        """Every 30 days until 60 days ago: To Win Back since today's analysis."""
        client = self._create_client(name, **values)
        self._create_orders(client, [60, 90, 120, 150], amount=300.0, company=company)
        return client

    def test_1_one_company_missing_an_assignee_never_holds_another(self):
        shared = self._slipping("Shared, nobody's")  # no salesperson
        self._create_orders(shared, [60, 90, 120, 150], company=self.other_company)
        self.other_company.reconquete_default_user_id = False  # company B has nobody to assign
        with self.assertLogs("odoo.addons.reconquete_client.models.reconquete_scheduler", logging.WARNING):
            self._run_scheduled_action()
        self.assertEqual(self._stage(shared, self.other_company), "at_risk")
        self.assertFalse(self._activities(shared, self.other_company))
        self.assertEqual(
            self._activities(shared).user_id, self.sales_manager, "company A's default user takes A's call"
        )

    def test_2_a_deleted_salesperson_hands_the_call_over(self):
        seller = self._create_user("reconquete_leaving_seller", "sales_team.group_sale_salesman")
        self.team.member_ids = [Command.link(seller.id)]
        client = self._slipping("Client of a leaver", user_id=seller.id)
        self._run_scheduled_action()
        call = self._activities(client)
        self.assertEqual(call.user_id, seller)

        seller.unlink()
        self.assertTrue(call.exists(), "the call is handed over, not deleted with its user")
        self.assertEqual(call.user_id, self.leader, "to the next person in the chain: the team leader")
        self.assertIn("leaves: their Reconquest Call goes to", self._file(client).message_ids[0].body)

    def test_2_a_call_deleted_anyway_is_planned_again(self):
        client = self._slipping("Call deleted", user_id=self.salesman.id)
        self._run_scheduled_action()
        self._activities(client).unlink()
        with freeze_time(TODAY + timedelta(days=1)):
            self._run_scheduled_action()
        self.assertEqual(len(self._activities(client)), 1, "served means 'has its activity'")

    def test_3_cancelling_the_winning_order_undoes_the_win(self):
        client = self._slipping("Won back, then cancelled", user_id=self.salesman.id)
        self._run_scheduled_action()
        call = self._activities(client)
        with freeze_time(TODAY + timedelta(days=5)):
            order = self._create_orders(client, [-5], state="draft")
            order.action_confirm()
            self.assertEqual(self._stage(client), "won_back")
            self.assertFalse(call.active)
            self.assertEqual(len(self._file(client).reconquest_ids), 1)

            order._action_cancel()  # at once, not at the next night

            file = self._file(client)
            self.assertEqual(file.stage_id.code, "at_risk")
            self.assertEqual(file.stage_date, TODAY, "back in the stage it was won back from, since that day")
            self.assertEqual(file.last_purchase_date, TODAY - timedelta(days=60))
            self.assertFalse(file.reconquest_ids, "the reconquest record goes")
            self.assertTrue(call.active, "the closed call is open again")
            self.assertEqual(self._history(client), [(False, "at_risk")], "the undone win leaves no history")
            self.assertIn("no longer counts", file.message_ids[0].body)
            self._run_scheduled_action()
        self.assertEqual(len(self._activities(client)), 1, "still one open call, not two")

    def test_3_resetting_the_winning_order_to_draft_undoes_the_win_too(self):
        client = self._slipping("Won back, then reset")
        self._analyse()
        with freeze_time(TODAY + timedelta(days=3)):
            order = self._create_orders(client, [-3], state="draft")
            order.action_confirm()
            self.assertEqual(self._stage(client), "won_back")
            order._action_cancel()
            order.action_draft()
            self.assertEqual(self._stage(client), "at_risk")

    def test_4_a_backdated_invoice_after_the_alert_wins_the_client_back(self):
        self.company.reconquete_purchase_source = "invoice"
        client = self._create_client("Invoiced late", user_id=self.salesman.id)
        with freeze_time(TODAY - timedelta(days=10)):  # alert: 50 days of silence for a 30-day rhythm
            for days in (60, 90, 120, 150):
                self._invoice(client, days, 300.0)
            self._run_scheduled_action()
        self.assertEqual(self._stage(client), "at_risk")
        call = self._activities(client)
        self.assertTrue(call)

        # posted today, dated 5 days ago: after the client entered To Win Back
        self._invoice(client, 5, 500.0)

        file = self._file(client)
        self.assertEqual(file.stage_id.code, "won_back")
        self.assertEqual(file.stage_date, TODAY - timedelta(days=5), "won back on the invoice's day")
        self.assertFalse(call.active, "the call is closed")
        self.assertEqual(file.reconquest_ids.days_to_win_back, 5)

    def test_4_a_backdated_invoice_before_the_alert_only_updates_the_figures(self):
        self.company.reconquete_purchase_source = "invoice"
        client = self._create_client("Forgot to invoice", user_id=self.salesman.id)
        for days in (60, 90, 120, 150):
            self._invoice(client, days, 300.0)
        self._run_scheduled_action()
        self.assertEqual(self._stage(client), "at_risk")
        call = self._activities(client)
        self._invoice(client, 20, 300.0)
        self.assertEqual(self._stage(client), "active", "it was never silent: no reconquest")
        self.assertFalse(self._file(client).reconquest_ids)
        self.assertFalse(call.active, "the call has no object any more")
        self.assertIn("no longer at risk", call.feedback)

    def test_7_shares_stay_within_0_and_100(self):
        self.company.reconquete_purchase_source = "invoice"
        refunded = self._create_client("Refunded more than bought")
        regular = self._create_client("Regular buyer")
        self._invoice(refunded, 30, 100.0)
        self._invoice(refunded, 20, 500.0, move_type="out_refund")
        self._invoice(regular, 10, 100.0)
        self._analyse()
        self.assertEqual(self._state().revenue_total, 100.0, "the total counts only clients with a positive revenue")
        self.assertEqual(refunded.reconquete_revenue, -400.0)
        self.assertEqual(refunded.reconquete_revenue_share, 0.0)
        self.assertFalse(refunded.reconquete_is_strategic)
        self.assertEqual(regular.reconquete_revenue_share, 100.0)

    def test_8_a_document_without_any_rate_is_left_out_and_said(self):
        yen = self.env.ref("base.JPY")
        yen.active = True
        yen.rate_ids.unlink()
        pricelist = self.env["product.pricelist"].create({"name": "Yen", "currency_id": yen.id})
        client = self._create_client("Pays in yen")
        self._create_orders(client, [10], amount=10000.0, pricelist_id=pricelist.id)
        self._create_orders(client, [40], amount=100.0)
        with self.assertLogs("odoo.addons.reconquete_client.models.reconquete_analysis", logging.WARNING) as logs:
            self._analyse()
        self.assertEqual(client.reconquete_revenue, 100.0, "the yen order is not counted 1:1")
        self.assertEqual(self._state().documents_left_out, 1)
        self.assertIn("1 document(s) in a currency without any exchange rate", logs.output[0])
        self.assertIn("JPY", logs.output[0])

    def test_8_a_document_without_its_own_rate_takes_the_latest_known(self):
        euro = self.setup_other_currency("EUR")  # 2 EUR for 1 company currency in 2026
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": euro.id})
        client = self._create_client("Rate lost")
        order = self._create_orders(client, [10], amount=200.0, pricelist_id=pricelist.id)
        self.env.flush_all()
        self.env.cr.execute("UPDATE sale_order SET currency_rate = 0 WHERE id = %s", [order.id])
        self._analyse()
        self.assertEqual(client.reconquete_revenue, 100.0)
