import logging
from unittest.mock import patch

from odoo.tests import tagged

from ..models.reconquete_analysis import ReconqueteAnalysis
from .common import TODAY, ReconqueteCase


@tagged("post_install", "-at_install")
class TestScheduledAction(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clients = cls.env["res.partner"]
        for position in range(6):
            client = cls._create_client(f"Client {position}")
            cls._create_orders(client, [10 + 30 * position, 40 + 30 * position, 70 + 30 * position])
            cls.clients |= client

    def _history_count(self):
        return self.env["reconquete.stage.history"].search_count([("partner_id", "in", self.clients.ids)])

    def test_scheduled_action_fills_figures_and_stages(self):
        self._run_scheduled_action()
        self.assertEqual(self.company.reconquete_analysis_date, TODAY)
        self.assertFalse(self.company.reconquete_next_client_id)
        self.assertEqual(
            [self._stage(client) for client in self.clients],
            ["active", "watch", "at_risk", "at_risk", "at_risk", "at_risk"],
        )

    def test_rerun_changes_nothing(self):
        self.assertGreater(self._analyse(), 0)
        history_count = self._history_count()
        self.assertEqual(self._analyse(), 0, "a second run writes no client")
        self._run_scheduled_action()
        self.assertEqual(self._history_count(), history_count, "no stage change is recorded twice")

    def test_interrupted_analysis_resumes_where_it_stopped(self):
        analysis = self.env["reconquete.analysis"]
        middle = self.clients[3].id
        with patch.object(ReconqueteAnalysis, "_batch_size", middle - 1):
            analysis._restart_analysis(self.company)
            analysis._analyse_next_batch(self.company, TODAY)  # the run stops here
            self.assertEqual(self.company.reconquete_next_client_id, middle)
            self.assertTrue(self.clients[2].reconquete_stage_id)
            self.assertFalse(self.clients[3].reconquete_stage_id)

            self._run_scheduled_action()

        self.assertTrue(all(client.reconquete_stage_id for client in self.clients))
        self.assertEqual(self._history_count(), len(self.clients), "one initial stage per client, none twice")

    def test_failing_batch_rolls_back_alone(self):
        middle = self.clients[3].id
        original_analyse = ReconqueteAnalysis._analyse

        def analyse_failing_second_batch(analysis, company, today, clients_sql, client_ids_sql):
            if company == self.company and company.reconquete_next_client_id == middle:
                raise ValueError("simulated failure of one batch")
            return original_analyse(analysis, company, today, clients_sql, client_ids_sql)

        with (
            patch.object(ReconqueteAnalysis, "_batch_size", middle - 1),
            patch.object(ReconqueteAnalysis, "_analyse", analyse_failing_second_batch),
            self.assertLogs("odoo.addons.reconquete_client.models.reconquete_analysis", logging.ERROR) as logs,
        ):
            self._run_scheduled_action()

        self.assertIn("simulated failure", logs.output[0])
        self.assertTrue(self.clients[2].reconquete_stage_id, "the batch before is kept")
        self.assertFalse(self.clients[3].reconquete_stage_id, "the failing batch is rolled back")
        self.assertEqual(self.company.reconquete_analysis_date, TODAY, "the batches after still ran")
