from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY, ReconqueteCase


@tagged("reconquete_rhythm")
class TestRhythm(ReconqueteCase):
    def test_field_case_at_risk_lost_then_won_back(self):
        """Every 90 days for two years: 150 days of silence is at risk, 400 is lost."""
        silent_150 = self._create_client("Silent for 150 days")
        silent_400 = self._create_client("Silent for 400 days")
        self._create_orders(silent_150, [150 + 90 * k for k in range(9)])
        self._create_orders(silent_400, [400 + 90 * k for k in range(4)])

        self._analyse()

        self.assertEqual(self._stage(silent_150), "at_risk")
        self.assertEqual(silent_150.reconquete_mean_interval, 90.0)
        self.assertEqual(silent_150.reconquete_median_interval, 90.0)
        self.assertEqual(silent_150.reconquete_purchase_days, 7, "orders older than 24 months teach no rhythm")
        self.assertEqual(silent_150.reconquete_first_purchase_date, TODAY - timedelta(days=870))
        self.assertEqual(silent_150.reconquete_silence_days, 150)
        self.assertEqual(silent_150.reconquete_expected_date, TODAY - timedelta(days=60))
        self.assertEqual(self._stage(silent_400), "lost")

        self._create_orders(silent_400, [0])
        self._analyse()

        self.assertEqual(self._stage(silent_400), "won_back")
        self.assertEqual(silent_400.reconquete_stage_date, TODAY)
        self.assertEqual(self._history(silent_400), [(False, "lost"), ("lost", "won_back")])

    def test_won_back_lasts_one_cycle_then_active(self):
        client = self._create_client("Back for good")
        self._create_orders(client, [400, 430, 460, 490, 0])
        self.env["reconquete.client"].sudo().create(
            {
                "partner_id": client.id,
                "company_id": self.company.id,
                "stage_id": self.env.ref("reconquete_client.reconquete_stage_lost").id,
                "stage_date": TODAY - timedelta(days=30),
            }
        )
        self._analyse()
        self.assertEqual(self._stage(client), "won_back")
        interval = client.reconquete_reference_interval

        self._create_orders(client, [-60])  # buys again 60 days later, still within the cycle
        with freeze_time(TODAY + timedelta(days=60)):
            self._analyse()
            self.assertEqual(self._stage(client), "won_back")
        with freeze_time(TODAY + timedelta(days=int(interval) + 1)):
            self._analyse()
            self.assertEqual(self._stage(client), "active")

    def test_same_day_orders_are_one_purchase_day(self):
        client = self._create_client("Three orders a day")
        self._create_orders(client, [10, 10, 10, 40, 70], amount=50.0)
        self._analyse()
        self.assertEqual(client.reconquete_purchase_days, 3)
        self.assertEqual(client.reconquete_mean_interval, 30.0)
        self.assertEqual(client.reconquete_revenue, 250.0, "every order counts in revenue")

    def test_orders_of_contacts_roll_up_to_the_company(self):
        client = self._create_client("Head office")
        buyer = self.env["res.partner"].create({"name": "Buyer", "parent_id": client.id})
        self._create_orders(buyer, [5, 35])
        self._create_orders(client, [65])
        self._analyse()
        self.assertEqual(client.reconquete_purchase_days, 3)
        self.assertEqual(client.reconquete_last_purchase_date, TODAY - timedelta(days=5))
        self.assertEqual(self._stage(client), "active")
        self.assertFalse(buyer.reconquete_stage_id, "a contact has no stage of its own")

    def test_amounts_in_company_currency(self):
        other_currency = self.setup_other_currency("EUR")  # 2 EUR for 1 company currency in 2026
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": other_currency.id})
        client = self._create_client("Pays in euros")
        self._create_orders(client, [10], amount=200.0, pricelist_id=pricelist.id)
        self._analyse()
        self.assertEqual(client.reconquete_revenue, 100.0)

    def test_new_active_and_watch(self):
        newcomer = self._create_client("Newcomer")
        regular = self._create_client("Regular")
        late = self._create_client("Late")
        self._create_orders(newcomer, [20])
        self._create_orders(regular, [10, 40, 70, 100])
        self._create_orders(late, [40, 70, 100, 130])
        self._analyse()
        self.assertEqual(self._stage(newcomer), "new")
        self.assertEqual(newcomer.reconquete_reference_interval, 90.0, "no rhythm yet: the default interval")
        self.assertEqual(self._stage(regular), "active")
        self.assertEqual(self._stage(late), "watch", "silent 40 days for a 30-day rhythm")

    def test_median_resists_one_long_pause(self):
        client = self._create_client("One long pause")
        self._create_orders(client, [0, 30, 60, 90, 390])
        self._analyse()
        self.assertEqual(client.reconquete_mean_interval, 97.5)
        self.assertEqual(client.reconquete_median_interval, 30.0)

    def test_only_confirmed_orders_count(self):
        client = self._create_client("Hesitant")
        self._create_orders(client, [5], state="draft")
        self._create_orders(client, [6], state="cancel")
        self._analyse()
        self.assertFalse(client.reconquete_stage_id, "a client that never bought has no stage")

    def test_cancelled_history_clears_the_client(self):
        client = self._create_client("Cancelled everything")
        orders = self._create_orders(client, [15])
        self._analyse()
        self.assertEqual(self._stage(client), "new")
        orders._action_cancel()
        self._analyse()
        self.assertFalse(client.reconquete_stage_id)
        self.assertFalse(client.reconquete_last_purchase_date)
        self.assertEqual(self._history(client), [(False, "new"), ("new", False)])
