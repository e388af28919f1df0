"""The stage history replayed from the purchases: its dates, no look-ahead, idempotence, logged lines untouched."""

from datetime import date, timedelta
from unittest.mock import patch

from odoo.tests import freeze_time, tagged
from odoo.tools import format_date

from .. import attrition_rules
from ..models.reconquete_replay import ReconqueteReplay
from .common import TODAY, ReconqueteCase


def ago(days):
    return TODAY - timedelta(days=days)


@tagged("reconquete_replay")
class TestReplay(ReconqueteCase):
    def _replay(self):
        return self.env["reconquete.replay"]._replay_all_companies()

    def _lines(self, partner, replayed=True):
        """[(date, from, to)] of the client's replayed (or logged) history, oldest first."""
        lines = self.env["reconquete.stage.history"].search(
            [("client_id", "=", self._file(partner).id), ("is_replayed", "=", replayed)], order="date, id"
        )
        return [(line.date, line.stage_from or None, line.stage_to) for line in lines]

    def _three_analysed_clients(self):
        """A quarterly client won back, a monthly one silent since February, one with two orders a year apart."""
        clients = [self._create_client(f"Client {n}") for n in range(3)]
        self._create_orders(clients[0], [1170, 1080, 990, 900, 810, 720, 630, 100])
        self._create_orders(clients[1], [130 + 30 * k for k in range(10)])
        self._create_orders(clients[2], [500, 20])
        self._analyse()
        return clients

    def _snapshot(self, partner):
        """Every line of the client's history with its id and values, logged and replayed."""
        lines = self.env["reconquete.stage.history"].search([("client_id", "=", self._file(partner).id)], order="id")
        return [
            (line.id, line.date, line.stage_from, line.stage_to, line.user_id.id, line.revenue, line.is_replayed)
            for line in lines
        ]

    def test_ninety_day_rhythm_through_every_stage(self):
        """Every 90 days, then silent for 530 days, then back: each stage on the day it was reached."""
        client = self._create_client("Every quarter", user_id=self.salesman.id)
        self._create_orders(client, [1170, 1080, 990, 900, 810, 720, 630, 100])
        self._analyse()
        self.assertEqual(self._lines(client, replayed=False), [(TODAY, None, "active")], "the install's first look")

        self._replay()

        last = ago(630)  # the last purchase before the silence: 2024-10-08
        self.assertEqual(
            self._lines(client),
            [
                (date(2024, 6, 30), None, "active"),  # the replay starts 24 months before the first logged day
                (last + timedelta(days=91), "active", "watch"),  # silent > 90 days: 2025-01-07
                (last + timedelta(days=136), "watch", "at_risk"),  # > 135 days (90 x 1.5): 2025-02-21
                (last + timedelta(days=366), "at_risk", "lost"),  # > 365 days: 2025-10-09
                (ago(100), "lost", "won_back"),  # the purchase that won it back: 2026-03-22
            ],
        )
        reconquest = self._file(client).reconquest_ids
        self.assertEqual(len(reconquest), 1)
        self.assertTrue(reconquest.is_replayed)
        self.assertEqual(
            (reconquest.risk_date, reconquest.won_back_date, reconquest.from_stage_id.code),
            (date(2025, 2, 21), date(2026, 3, 22), "lost"),
        )
        self.assertEqual(reconquest.days_to_win_back, 394, "the real number of days, not 0")
        self.assertEqual(reconquest.user_id, self.salesman)
        self.assertFalse(reconquest.closed_activity_ids)
        # The file keeps what the nightly job stored: its first look knew nothing of the win.
        self.assertEqual((self._stage(client), self._file(client).stage_date), ("active", TODAY))
        self.assertEqual(self._lines(client, replayed=False), [(TODAY, None, "active")])

    def test_lines_carry_the_revenue_of_their_day_and_the_salesperson(self):
        client = self._create_client("Every quarter", user_id=self.salesman.id)
        self._create_orders(client, [1170, 1080, 990, 900], amount=100.0)
        self._create_orders(client, [810, 720, 630], amount=250.0)
        self._analyse()
        self._replay()
        lines = self.env["reconquete.stage.history"].search(
            [("client_id", "=", self._file(client).id), ("is_replayed", "=", True)], order="date"
        )
        # 2025-02-21, at risk: the orders of the 12 months before, 2024-04-11, 2024-07-10 and 2024-10-08.
        at_risk = lines.filtered(lambda line: line.stage_to == "at_risk")
        self.assertEqual(at_risk.revenue, 750.0)
        self.assertEqual(lines.user_id, self.salesman)
        self.assertFalse(any(lines.mapped("is_strategic")), "the replay does not know the strategic flag")

    def test_in_stage_since_is_the_real_day(self):
        """To Win Back since 84 days: the file says so, not the install day."""
        client = self._create_client("Monthly, silent since February")
        self._create_orders(client, [130 + 30 * k for k in range(10)])
        self._analyse()
        self.assertEqual((self._stage(client), self._file(client).stage_date), ("at_risk", TODAY))

        self._replay()

        self.assertEqual(self._lines(client)[-1], (ago(84), "watch", "at_risk"))
        self.assertEqual(self._file(client).stage_date, ago(84))
        self.assertEqual(client.reconquete_stage_date, ago(84), "the partner's In Stage Since follows")

    def test_an_undone_win_goes_back_to_the_real_day(self):
        """Won back, then the order is cancelled: To Win Back since 84 days again, not since the install."""
        client = self._create_client("Monthly, silent since February")
        self._create_orders(client, [130 + 30 * k for k in range(10)])
        self._analyse()
        self._replay()
        with freeze_time(TODAY + timedelta(days=2)):
            order = self._create_orders(client, [-2], state="draft")
            order.action_confirm()
            self.assertEqual(self._stage(client), "won_back")
            order._action_cancel()
            file = self._file(client)
            self.assertEqual((file.stage_id.code, file.stage_date), ("at_risk", ago(84)))
            self.assertIn(format_date(self.env, ago(84)), file.message_ids[0].body)

    def test_install_entries_stay_with_the_managers(self):
        """The install leaves current entries to the managers: moving their date plans no activity."""
        client = self._create_client("Monthly, silent since February")
        self._create_orders(client, [130 + 30 * k for k in range(10)])
        self._analyse()
        scheduler = self.env["reconquete.scheduler"]
        scheduler._leave_entries_to_managers(self.company)
        self._replay()
        file = self._file(client)
        self.assertEqual(file.unplanned_entry_date, ago(84))
        self.assertFalse(scheduler._pending_files(self.company, TODAY))

    def test_no_look_ahead(self):
        """A day's interval is the one known that day: later purchases change nothing before them."""
        early = self._create_client("Three orders")
        later = self._create_client("The same three orders, and more later")
        self._create_orders(early, [700, 670, 640])
        self._create_orders(later, [700, 670, 640, 200, 100, 50])
        self._analyse()
        self._replay()
        # After the third purchase the usual interval is 30 days (not the 130 of the whole history).
        self.assertEqual(
            self._lines(early)[:4],
            [
                (ago(700), None, "new"),
                (ago(640), "new", "active"),
                (ago(640) + timedelta(days=31), "active", "watch"),
                (ago(640) + timedelta(days=46), "watch", "at_risk"),
            ],
        )
        before = [line for line in self._lines(later) if line[0] < ago(200)]
        self.assertEqual(before, [line for line in self._lines(early) if line[0] < ago(200)])

    def test_replay_is_idempotent(self):
        clients = self._three_analysed_clients()
        first = self._replay()
        self.assertGreater(first.lines_written, 0)
        history = [self._snapshot(client) for client in clients]

        second = self._replay()

        self.assertEqual(second.lines_written + second.lines_deleted, 0, "a second replay writes nothing new")
        self.assertEqual(second.wins_written + second.wins_deleted + second.files_dated, 0)
        self.assertEqual([self._snapshot(client) for client in clients], history)

    def test_a_file_with_one_line_changed_is_replayed_again_whole(self):
        """A new salesperson or a corrected amount changes no date: the replay still replaces those files' lines."""
        reassigned, corrected, untouched = self._three_analysed_clients()
        self._replay()
        untouched_history = self._snapshot(untouched)
        reassigned.user_id = self.salesman
        # The monthly client's first order corrected from 100 to 400: the revenue of its lines changes.
        order = self.env["sale.order"].search([("partner_id", "=", corrected.id)], order="date_order", limit=1)
        order.order_line.price_unit = 400.0
        replayed_lines = {client: len(self._lines(client)) for client in (reassigned, corrected)}

        again = self._replay()

        self.assertEqual(again.lines_deleted, sum(replayed_lines.values()))
        self.assertEqual(again.lines_written, sum(replayed_lines.values()))
        reassigned_lines = self.env["reconquete.stage.history"].search(
            [("client_id", "=", self._file(reassigned).id), ("is_replayed", "=", True)]
        )
        self.assertEqual(reassigned_lines.user_id, self.salesman)
        corrected_revenues = self.env["reconquete.stage.history"].search(
            [("client_id", "=", self._file(corrected).id), ("is_replayed", "=", True)], order="date"
        )
        self.assertEqual(corrected_revenues[0].revenue, 400.0, "the first order, alone in the revenue window")
        self.assertEqual(self._snapshot(untouched), untouched_history, "same lines: not written again")

    def test_batches_replay_as_one(self):
        """Clients replayed in separate batches get the history one batch gives them, and keep it."""
        clients = self._three_analysed_clients()
        self._replay()
        in_one_batch = {client: self._lines(client) for client in clients}
        self.env["reconquete.stage.history"].sudo().search([("is_replayed", "=", True)]).unlink()

        # One partner id per batch: each client in a batch of its own.
        with patch.object(ReconqueteReplay, "_batch_size", 1):
            self._replay()
            self.assertEqual({client: self._lines(client) for client in clients}, in_one_batch)
            again = self._replay()

        self.assertEqual(again.lines_written + again.lines_deleted + again.wins_written + again.wins_deleted, 0)
        self.assertFalse(self.env["reconquete.replay.state"]._for_company(self.company).retry_on, "no batch failed")

    def test_logged_history_is_never_touched(self):
        """Logged lines stay as they are; the replay ends the day before a client's first one."""
        client = self._create_client("Every quarter")
        newcomer = self._create_client("First order after the install")
        self._create_orders(client, [1170, 1080, 990, 900, 810, 720, 630, 100])
        self._analyse()
        self._create_orders(newcomer, [-10])
        with freeze_time(TODAY + timedelta(days=10)):
            self._analyse()
        logged = [line for line in self._snapshot(client) if not line[-1]]
        logged_newcomer = self._snapshot(newcomer)
        self.assertEqual(len(logged_newcomer), 1)

        with freeze_time(TODAY + timedelta(days=10)):
            self._replay()
            # New rules: the replayed lines change, the logged ones do not.
            self.company.reconquete_at_risk_factor = 2.0
            self._replay()

        self.assertEqual([line for line in self._snapshot(client) if not line[-1]], logged)
        self.assertEqual(self._snapshot(newcomer), logged_newcomer, "nothing to replay before a first purchase")
        replayed = self._lines(client)
        self.assertEqual(max(line[0] for line in replayed), ago(100))
        self.assertIn((ago(630) + timedelta(days=181), "watch", "at_risk"), replayed, "90 x 2.0 days")

    def test_replay_agrees_with_the_day_by_day_rules(self):
        """The replay of varied clients equals attrition_rules.replay_naive, to the day."""
        thresholds = self.company._reconquete_thresholds()
        contact_parent = self._create_client("Orders through a contact")
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": contact_parent.id})
        histories = {
            self._create_client("Weekly then gone"): [400 + 7 * k for k in range(40)],
            self._create_client("Erratic"): [1000, 990, 700, 690, 685, 400, 399, 120, 3],
            self._create_client("Two orders a day"): [300, 300, 250, 250, 200],
            self._create_client("Old client, one recent order"): [1500, 1400, 1300, 45],
            self._create_client("Every 200 days"): [1400, 1200, 1000, 800, 600, 400, 200, 1],
            self._create_client("New this spring"): [90, 60, 30],
            contact_parent: [800, 760, 720, 680, 300],
        }
        for partner, days in histories.items():
            self._create_orders(contact if partner == contact_parent else partner, days)
        cancelled = self._create_client("Cancelled orders do not count")
        self._create_orders(cancelled, [600, 500, 400])
        self._create_orders(cancelled, [450, 350], state="cancel")
        histories[cancelled] = [600, 500, 400]
        self._analyse()
        self._replay()
        start = attrition_rules.months_before(TODAY, thresholds.analysis_months)
        for partner, days in histories.items():
            with self.subTest(client=partner.name):
                expected = attrition_rules.replay_naive(
                    [ago(n) for n in days], thresholds, start, TODAY - timedelta(days=1)
                )
                self.assertTrue(expected)
                self.assertEqual(self._lines(partner), expected)

    def test_scheduled_action_replays_after_the_days_analysis(self):
        client = self._create_client("Every quarter")
        self._create_orders(client, [1170, 1080, 990, 900, 810, 720, 630, 100])
        self._analyse()
        state = self.env["reconquete.replay.state"]._for_company(self.company)
        cron = self.env.ref("reconquete_client.ir_cron_reconquete_replay")

        self.env["reconquete.analysis"]._restart_analysis(self.company)
        self.env["reconquete.replay"]._request_replay(self.company)
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertFalse(self._lines(client), "the day's analysis first")
        self.assertTrue(state.requested)

        self._run_scheduled_action()
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(len(self._lines(client)), 5)
        self.assertEqual((state.requested, state.next_client_id, state.replay_date), (False, 0, TODAY))
        self.assertEqual((state.replayed_lines, state.replayed_wins), (5, 1))
        self.assertTrue(self.env["reconquete.calibration"].search([("company_id", "=", self.company.id)]))

    def test_rules_changed_ask_for_a_replay(self):
        state = self.env["reconquete.replay.state"]._for_company(self.company)
        state.write({"requested": False, "replay_date": TODAY})
        self.company.reconquete_false_alarm_rate = 20.0
        self.assertFalse(state.requested, "the calibration's goal changes no stage")
        self.company.reconquete_lost_days = 400
        self.assertTrue(state.requested)

    def test_manager_asks_for_a_replay_in_the_settings(self):
        state = self.env["reconquete.replay.state"]._for_company(self.company)
        state.write({"requested": False, "replay_date": TODAY})
        self.env["res.config.settings"].create({}).action_reconquete_replay()
        self.assertTrue(state.requested)
