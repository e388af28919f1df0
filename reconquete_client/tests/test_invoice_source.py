from datetime import timedelta

from odoo.tests import tagged

from .common import TODAY, ReconqueteCase


@tagged("reconquete_invoice")
class TestInvoiceSource(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.reconquete_purchase_source = "invoice"

    def _invoice(self, client, days_ago, amount, move_type="out_invoice"):
        return self.init_invoice(
            move_type,
            partner=client,
            invoice_date=TODAY - timedelta(days=days_ago),
            amounts=[amount],
            post=True,
        )

    def test_credit_notes_are_netted(self):
        client = self._create_client("Partly refunded")
        self._invoice(client, 60, 1000.0)
        self._invoice(client, 30, 1000.0)
        self._invoice(client, 20, 300.0, move_type="out_refund")
        self._analyse()
        self.assertEqual(client.reconquete_revenue, 1700.0)
        self.assertEqual(client.reconquete_purchase_days, 2, "a credit note is no purchase")
        self.assertEqual(client.reconquete_last_purchase_date, TODAY - timedelta(days=30))

    def test_a_credit_note_between_purchases_does_not_split_their_interval(self):
        client = self._create_client("Refunded in between")
        self._invoice(client, 90, 1000.0)
        self._invoice(client, 60, 200.0, move_type="out_refund")
        self._invoice(client, 30, 1000.0)
        self._analyse()
        self.assertEqual(client.reconquete_purchase_days, 2)
        self.assertEqual(client.reconquete_mean_interval, 60.0, "the gap runs from purchase to purchase")
        self.assertEqual(client.reconquete_median_interval, 60.0)

    def test_fully_reversed_invoice_is_no_purchase(self):
        client = self._create_client("Changed its mind")
        self._invoice(client, 90, 500.0)
        mistaken = self._invoice(client, 10, 800.0)
        mistaken._reverse_moves(cancel=True)
        self._analyse()
        self.assertEqual(client.reconquete_last_purchase_date, TODAY - timedelta(days=90))
        self.assertEqual(client.reconquete_revenue, 500.0)

    def test_orders_do_not_count_in_invoice_mode(self):
        client = self._create_client("Ordered, never invoiced")
        self._create_orders(client, [5])
        self._analyse()
        self.assertFalse(client.reconquete_stage_id)
