import logging
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import freeze_time, tagged

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

        def analyse_failing_second_batch(analysis, company, today, *args, **kwargs):
            if company == self.company and company.reconquete_next_client_id == middle:
                raise ValueError("simulated failure of one batch")
            return original_analyse(analysis, company, today, *args, **kwargs)

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


@tagged("post_install", "-at_install")
class TestDailyPass(ReconqueteCase):
    """Between full passes, the daily pass re-reads only what changed and must agree with a full one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clients = cls.env["res.partner"]
        histories = [
            [28, 58, 88],  # active, goes to "To Watch" on day 3 by silence alone
            [30, 60, 90],  # buys on day 2
            [727, 728, 729],  # orders leave the 24-month analysis window on days 2 to 4
            [362, 363, 364, 500],  # orders leave the 12-month revenue window on days 2 to 4
            [5],  # new; a solicitation on day 3
            [200, 290, 380, 470],
        ]
        for position, days_ago in enumerate(histories):
            client = cls._create_client(f"Daily {position}", email=f"daily{position}@example.com")
            cls._create_orders(client, days_ago, amount=100.0 * (position + 1))
            cls.clients |= client
        # A test runs in one transaction, so everything it writes shares one write date:
        # date the history back, as if it had been written long before the first pass.
        cls.env.flush_all()
        cls.env.cr.execute("UPDATE sale_order SET write_date = '2000-01-01'")
        cls.env.invalidate_all()

    def _stored(self):
        names = [
            "reconquete_purchase_days",
            "reconquete_first_purchase_date",
            "reconquete_last_purchase_date",
            "reconquete_mean_interval",
            "reconquete_median_interval",
            "reconquete_interval_spread",
            "reconquete_revenue",
            "reconquete_unanswered_count",
            "reconquete_is_strategic",
            "reconquete_stage_id",
        ]
        self.env.invalidate_all()
        return {client.id: [client[name] for name in names] for client in self.clients.with_company(self.company)}

    def test_daily_passes_agree_with_a_full_pass(self):
        self._run_scheduled_action()
        self.assertTrue(self.company.reconquete_pass_is_full, "the first pass re-reads everything")
        for day in range(1, 6):
            with freeze_time(TODAY + timedelta(days=day)):
                if day == 2:
                    self._create_orders(self.clients[1], [-2])  # buys on day 2
                if day == 3:
                    self.clients[4].message_post(
                        body="Any news?",
                        message_type="comment",
                        subtype_xmlid="mail.mt_comment",
                        partner_ids=self.clients[4].ids,
                    )
                self._run_scheduled_action()
                self.assertFalse(self.company.reconquete_pass_is_full, f"day {day} is a daily pass")
                daily = self._stored()
                self.env["reconquete.analysis"]._analyse_all_companies()  # full pass, same day
                self.assertEqual(self._stored(), daily, f"day {day}: the daily pass missed a change")
        self.assertEqual(self.clients[1].reconquete_last_purchase_date, TODAY + timedelta(days=2))
        self.assertEqual(self.clients[4].reconquete_unanswered_count, 1)

    def test_full_pass_once_a_week(self):
        self._run_scheduled_action()
        with freeze_time(TODAY + timedelta(days=6)):
            self._run_scheduled_action()
            self.assertFalse(self.company.reconquete_pass_is_full)
        with freeze_time(TODAY + timedelta(days=7)):
            self._run_scheduled_action()
            self.assertTrue(self.company.reconquete_pass_is_full)
            self.assertEqual(self.company.reconquete_full_analysis_date, TODAY + timedelta(days=7))
