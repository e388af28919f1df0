"""A concurrent edit costs at most one client, never the batch, and never silently.

Two real transactions on two connections, as in production: the test data is
committed, so this class cleans up after itself.
"""

import logging
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from ..models.reconquete_analysis import ReconqueteAnalysis, Scope


@tagged("post_install", "-at_install", "reconquete", "reconquete_concurrency")
class TestConcurrentEdit(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls._clean_up)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            cls.company_id = env.company.id
            product = env["product.product"].create({"name": "Concurrency visit", "type": "service"})
            cls.product_id = product.id
            clients = env["res.partner"].create([{"name": f"Concurrent {n}", "is_company": True} for n in range(5)])
            cls.client_ids = clients.ids
            now = datetime.now()
            env["sale.order"].create(
                [
                    {
                        "partner_id": client.id,
                        "date_order": now - timedelta(days=days_ago),
                        "state": "sale",
                        "order_line": [Command.create({"product_id": product.id, "price_unit": 100.0})],
                    }
                    for client in clients
                    for days_ago in (60, 90, 120)
                ]
            )
            env["reconquete.analysis"]._analyse(env.company, env["reconquete.client"]._today(), cls._scope(), True)

    @classmethod
    def _scope(cls):
        return Scope(None, None, cls.client_ids)

    @classmethod
    def _clean_up(cls):
        with cls.registry.cursor() as cr:
            cr.execute("DELETE FROM sale_order WHERE partner_id = ANY(%s)", [cls.client_ids])
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["res.partner"].browse(cls.client_ids).unlink()
            env["product.product"].browse(cls.product_id).unlink()

    def _make_files_stale(self):
        """Every file differs from what the analysis computes: the batch rewrites them all."""
        with self.registry.cursor() as cr:
            cr.execute(
                "UPDATE reconquete_client SET next_review_date = '2000-01-01' WHERE partner_id = ANY(%s)",
                [self.client_ids],
            )

    def _files(self, env):
        return env["reconquete.client"].search([("partner_id", "in", self.client_ids)])

    def test_order_confirmed_during_a_batch_costs_one_client(self):
        """While the nightly batch computes, another user confirms an order for one of its clients."""
        buyer_id = self.client_ids[2]
        original_lock = ReconqueteAnalysis._lock_files
        concurrent = {"done": False}

        def lock_after_a_concurrent_confirmation(analysis, file_ids):
            if not concurrent["done"]:
                concurrent["done"] = True
                with self.registry.cursor() as other_cr:
                    other_env = api.Environment(other_cr, api.SUPERUSER_ID, {})
                    order = other_env["sale.order"].create(
                        {
                            "partner_id": buyer_id,
                            "order_line": [Command.create({"product_id": self.product_id, "price_unit": 500.0})],
                        }
                    )
                    order.action_confirm()  # refreshes the buyer's file in this other transaction
            return original_lock(analysis, file_ids)

        self._make_files_stale()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            today = env["reconquete.client"]._today()
            self._files(env).mapped("stage_id")  # the batch's snapshot is taken here
            with (
                patch.object(ReconqueteAnalysis, "_lock_files", lock_after_a_concurrent_confirmation),
                self.assertLogs("odoo.addons.reconquete_client.models.reconquete_analysis", logging.INFO) as logs,
            ):
                result = env["reconquete.analysis"]._analyse(env.company, today, self._scope(), True)
        self.assertTrue(concurrent["done"])
        self.assertEqual(result.skipped, [buyer_id], "only the client the other transaction changed is skipped")
        self.assertEqual(result.written, len(self.client_ids) - 1, "every other client's figures are written")
        self.assertIn("held or changed by another transaction meanwhile; re-read later", logs.output[-1])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            buyer = self._files(env).filtered(lambda file: file.partner_id.id == buyer_id)
            self.assertEqual(buyer.last_purchase_date, env["reconquete.client"]._today(), "the buyer's own refresh")
            self.assertEqual(buyer.stage_id.code, "won_back", "the order won it back at once, in its transaction")

    def test_a_file_held_by_another_transaction_is_skipped_not_waited_for(self):
        held_id = self.client_ids[0]
        self._make_files_stale()
        with self.registry.cursor() as holder_cr:
            holder_cr.execute(
                "SELECT id FROM reconquete_client WHERE partner_id = %s AND company_id = %s FOR UPDATE",
                [held_id, self.company_id],
            )
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                today = env["reconquete.client"]._today()
                result = env["reconquete.analysis"]._analyse(env.company, today, self._scope(), True)
            holder_cr.rollback()
        self.assertEqual(result.skipped, [held_id])
        self.assertEqual(result.written, len(self.client_ids) - 1)
