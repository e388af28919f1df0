import logging
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from ..models.reconquete_analysis import ReconqueteAnalysis
from .common import TODAY, ReconqueteCase


@tagged("reconquete_nightly")
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
        self.assertEqual(self._state().analysis_date, TODAY)
        self.assertFalse(self._state().next_client_id)
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

    def test_the_job_never_writes_res_partner(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT MAX(write_date) FROM res_partner")
        before = self.env.cr.fetchone()[0]
        with freeze_time(TODAY + timedelta(days=1)):
            self._run_scheduled_action()
        self.env.flush_all()
        self.env.cr.execute("SELECT MAX(write_date) FROM res_partner")
        self.assertEqual(self.env.cr.fetchone()[0], before)

    def test_interrupted_analysis_resumes_where_it_stopped(self):
        analysis = self.env["reconquete.analysis"]
        state = self._state()
        middle = self.clients[3].id
        with patch.object(ReconqueteAnalysis, "_batch_size", middle - 1):
            analysis._restart_analysis(self.company)
            analysis._run_batch(self.company, state, TODAY)  # the run stops here
            self.assertEqual(state.next_client_id, middle)
            self.assertTrue(self._file(self.clients[2]).stage_id)
            self.assertFalse(self._file(self.clients[3]))

            self._run_scheduled_action()

        self.assertTrue(all(self._file(client).stage_id for client in self.clients))
        self.assertEqual(self._history_count(), len(self.clients), "one initial stage per client, none twice")

    def test_failing_batch_rolls_back_alone_and_is_read_again_next_time(self):
        middle = self.clients[3].id
        original_analyse = ReconqueteAnalysis._analyse

        def analyse_failing_second_batch(analysis, company, today, scope, *args, **kwargs):
            if company == self.company and scope.first == middle:
                raise ValueError("simulated failure of one batch")
            return original_analyse(analysis, company, today, scope, *args, **kwargs)

        with (
            patch.object(ReconqueteAnalysis, "_batch_size", middle - 1),
            patch.object(ReconqueteAnalysis, "_analyse", analyse_failing_second_batch),
            self.assertLogs("odoo.addons.reconquete_client.models.reconquete_analysis", logging.ERROR) as logs,
        ):
            self._run_scheduled_action()

        self.assertIn("simulated failure", logs.output[0])
        self.assertIn("re-read by the next pass", logs.output[0])
        self.assertTrue(self._file(self.clients[2]).stage_id, "the batch before is kept")
        self.assertFalse(self._file(self.clients[3]), "the failing batch is rolled back")
        self.assertEqual(self._state().analysis_date, TODAY, "the batches after still ran")
        self.assertEqual(self._state().retry_ranges, [[middle, 2 * middle - 2]])

        with freeze_time(TODAY + timedelta(days=1)):  # a nightly pass, no longer failing
            self._run_scheduled_action()
        self.assertFalse(self._state().pass_is_full)
        self.assertTrue(all(self._file(client).stage_id for client in self.clients), "the failed batch is read again")
        self.assertFalse(self._state().retry_ranges)

    def test_second_caller_says_the_analysis_is_already_running(self):
        analysis = self.env["reconquete.analysis"]
        with (
            self.assertLogs("odoo.addons.reconquete_client.models.reconquete_analysis", logging.INFO) as logs,
            analysis._company_lock(self.company) as first,
            self.registry.cursor() as other_cr,
            analysis.with_env(analysis.env(cr=other_cr))._company_lock(self.company) as second,
        ):
            self.assertTrue(first)
            self.assertFalse(second)
        self.assertEqual(
            [line for line in logs.output if "ERROR" in line], [], "a second caller claims nothing at ERROR level"
        )
        self.assertIn(f"the analysis of {self.company.name} is already running", logs.output[0])


@tagged("reconquete_nightly")
class TestNightlyPass(ReconqueteCase):
    """Between full passes, the nightly pass re-reads only what changed and must agree with a full one."""

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
            "purchase_days",
            "first_purchase_date",
            "last_purchase_date",
            "mean_interval",
            "median_interval",
            "interval_spread",
            "revenue",
            "unanswered_count",
            "is_strategic",
            "stage_id",
            "alert_date",
            "next_review_date",
        ]
        self.env.invalidate_all()
        return {client.id: [self._file(client)[name] for name in names] for client in self.clients}

    def test_nightly_passes_agree_with_a_full_pass(self):
        self._run_scheduled_action()
        self.assertTrue(self._state().pass_is_full, "the first pass re-reads everything")
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
                self.assertFalse(self._state().pass_is_full, f"day {day} is a nightly pass")
                nightly = self._stored()
                self.env["reconquete.analysis"]._analyse_all_companies()  # full pass, same day
                self.assertEqual(self._stored(), nightly, f"day {day}: the nightly pass missed a change")
        self.assertEqual(self.clients[1].reconquete_last_purchase_date, TODAY + timedelta(days=2))
        self.assertEqual(self.clients[4].reconquete_unanswered_count, 1)

    def test_nightly_pass_reads_only_changed_and_due_clients(self):
        self._run_scheduled_action()
        original_analyse = ReconqueteAnalysis._analyse
        original_write = ReconqueteAnalysis._write_batch

        def clients_read_on(day, before=None):
            """Clients whose documents were read, or whose file was assessed again, that night."""
            read = set()

            def record_analyse(analysis, company, today, scope, *args, **kwargs):
                read.update(scope.ids or [])
                return original_analyse(analysis, company, today, scope, *args, **kwargs)

            def record_write(analysis, company, today):
                analysis.env.cr.execute("SELECT partner_id FROM reconquete_batch")
                read.update(partner_id for (partner_id,) in analysis.env.cr.fetchall())
                return original_write(analysis, company, today)

            with (
                freeze_time(TODAY + timedelta(days=day)),
                patch.object(ReconqueteAnalysis, "_analyse", record_analyse),
                patch.object(ReconqueteAnalysis, "_write_batch", record_write),
            ):
                if before:
                    before()
                self._run_scheduled_action()
            return read & set(self.clients.ids)

        self.assertEqual(
            clients_read_on(1), {self.clients[1].id}, "nobody bought: only the client reaching its to-watch date"
        )
        self.assertEqual(
            clients_read_on(2, before=lambda: self._create_orders(self.clients[1], [-2])),
            {self.clients[1].id, self.clients[2].id, self.clients[3].id},
            "the buyer, and the clients whose orders leave a window",
        )
        self.assertIn(self.clients[0].id, clients_read_on(3), "reaches its to-watch date on day 3")
        self.assertEqual(self._stage(self.clients[0]), "watch")

    def test_full_pass_once_a_week(self):
        self._run_scheduled_action()
        with freeze_time(TODAY + timedelta(days=6)):
            self._run_scheduled_action()
            self.assertFalse(self._state().pass_is_full)
        with freeze_time(TODAY + timedelta(days=7)):
            self._run_scheduled_action()
            self.assertTrue(self._state().pass_is_full)
            self.assertEqual(self._state().full_analysis_date, TODAY + timedelta(days=7))
