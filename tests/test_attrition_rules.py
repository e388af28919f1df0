"""The attrition rules and the replay's walk on their own: no Odoo, no database.

``attrition_rules.py`` and ``replay_walk.py`` import nothing from Odoo. They
are loaded from the addon's folder as a package of their own: importing the
addon package itself would run its ``__init__``, which needs Odoo.
"""

import importlib
import sys
import types
import unittest
from datetime import date, timedelta
from pathlib import Path
from random import Random

_ADDON = types.ModuleType("reconquete_rules_alone")
_ADDON.__path__ = [str(Path(__file__).resolve().parent.parent / "reconquete_client")]
sys.modules[_ADDON.__name__] = _ADDON
rules = importlib.import_module(f"{_ADDON.__name__}.attrition_rules")
replay_walk = importlib.import_module(f"{_ADDON.__name__}.replay_walk")

TODAY = date(2026, 6, 30)
DEFAULTS = rules.Thresholds()


def rhythm_every(interval, count, silence):
    """A client that bought ``count`` times, every ``interval`` days, last ``silence`` days ago."""
    last = TODAY - timedelta(days=silence)
    return rules.Rhythm(
        purchase_days=count,
        first_purchase=last - timedelta(days=interval * (count - 1)),
        last_purchase=last,
        mean_interval=float(interval) if count > 1 else None,
        interval_spread=0.0 if count > 2 else None,
    )


class TestClassify(unittest.TestCase):
    def test_no_purchase_no_stage(self):
        self.assertIsNone(rules.classify(rules.Rhythm(), DEFAULTS, TODAY))

    def test_field_case(self):
        """Every 90 days for two years, then 150 days of silence: call now."""
        self.assertEqual(rules.classify(rhythm_every(90, 8, 150), DEFAULTS, TODAY), rules.AT_RISK)

    def test_stage_boundaries_follow_the_clients_own_interval(self):
        cases = [(30, rules.ACTIVE), (31, rules.WATCH), (45, rules.WATCH), (46, rules.AT_RISK), (300, rules.AT_RISK)]
        for silence, stage in cases:
            with self.subTest(silence=silence):
                self.assertEqual(rules.classify(rhythm_every(30, 10, silence), DEFAULTS, TODAY), stage)

    def test_lost_needs_a_year_and_the_clients_own_threshold(self):
        self.assertEqual(rules.classify(rhythm_every(90, 5, 366), DEFAULTS, TODAY), rules.LOST)
        self.assertEqual(rules.classify(rhythm_every(300, 3, 400), DEFAULTS, TODAY), rules.WATCH)
        self.assertEqual(rules.classify(rhythm_every(300, 3, 451), DEFAULTS, TODAY), rules.LOST)

    def test_new_client_uses_the_default_interval(self):
        self.assertEqual(rules.classify(rhythm_every(10, 2, 90), DEFAULTS, TODAY), rules.NEW)
        self.assertEqual(rules.classify(rhythm_every(10, 2, 91), DEFAULTS, TODAY), rules.WATCH)

    def test_old_client_with_few_purchases_is_not_new(self):
        rhythm = rules.Rhythm(
            purchase_days=1,
            first_purchase=TODAY - timedelta(days=1000),
            last_purchase=TODAY - timedelta(days=20),
        )
        self.assertEqual(rules.classify(rhythm, DEFAULTS, TODAY), rules.ACTIVE)

    def test_unanswered_solicitations_put_at_risk(self):
        rhythm = rhythm_every(30, 10, 5)
        self.assertEqual(rules.classify(rhythm, DEFAULTS, TODAY, unanswered=2), rules.ACTIVE)
        self.assertEqual(rules.classify(rhythm, DEFAULTS, TODAY, unanswered=3), rules.AT_RISK)

    def test_purchase_after_risk_is_won_back_for_one_cycle(self):
        entered_risk = TODAY - timedelta(days=40)
        back = rhythm_every(30, 10, 2)
        self.assertEqual(rules.classify(back, DEFAULTS, TODAY, rules.AT_RISK, entered_risk), rules.WON_BACK)
        self.assertEqual(rules.classify(back, DEFAULTS, TODAY, rules.LOST, entered_risk), rules.WON_BACK)
        self.assertEqual(rules.classify(back, DEFAULTS, TODAY, rules.WATCH, entered_risk), rules.ACTIVE)
        won_back_since = TODAY - timedelta(days=29)
        self.assertEqual(rules.classify(back, DEFAULTS, TODAY, rules.WON_BACK, won_back_since), rules.WON_BACK)
        won_back_since = TODAY - timedelta(days=30)
        self.assertEqual(rules.classify(back, DEFAULTS, TODAY, rules.WON_BACK, won_back_since), rules.ACTIVE)

    def test_purchase_before_entering_risk_is_no_reconquest(self):
        silent = rhythm_every(30, 10, 60)
        entered_risk = TODAY - timedelta(days=10)
        self.assertEqual(rules.classify(silent, DEFAULTS, TODAY, rules.AT_RISK, entered_risk), rules.AT_RISK)

    def test_thresholds_are_settings(self):
        patient = rules.Thresholds(watch_factor=2.0, at_risk_factor=3.0, lost_days=1000)
        self.assertEqual(rules.classify(rhythm_every(30, 10, 50), patient, TODAY), rules.ACTIVE)
        self.assertEqual(rules.classify(rhythm_every(30, 10, 80), patient, TODAY), rules.WATCH)


class TestStrategic(unittest.TestCase):
    def test_large_share(self):
        self.assertEqual(rules.strategic_reason(rhythm_every(30, 5, 5), 5.0, DEFAULTS, TODAY), rules.REASON_SHARE)
        self.assertIsNone(rules.strategic_reason(rhythm_every(30, 5, 5), 4.99, DEFAULTS, TODAY))

    def test_long_steady_relationship(self):
        loyal = rules.Rhythm(
            purchase_days=12,
            first_purchase=TODAY - timedelta(days=4 * 365),
            last_purchase=TODAY - timedelta(days=20),
            mean_interval=60.0,
            interval_spread=20.0,
        )
        self.assertEqual(rules.strategic_reason(loyal, 1.0, DEFAULTS, TODAY), rules.REASON_RELATIONSHIP)
        self.assertEqual(rules.strategic_reason(loyal, 9.0, DEFAULTS, TODAY), rules.REASON_BOTH)

    def test_erratic_relationship_is_not_steady(self):
        erratic = rules.Rhythm(
            purchase_days=4,
            first_purchase=TODAY - timedelta(days=4 * 365),
            last_purchase=TODAY - timedelta(days=20),
            mean_interval=60.0,
            interval_spread=90.0,
        )
        self.assertIsNone(rules.strategic_reason(erratic, 1.0, DEFAULTS, TODAY))

    def test_manager_override_wins(self):
        small = rhythm_every(30, 5, 5)
        self.assertEqual(rules.strategic_reason(small, 0.1, DEFAULTS, TODAY, rules.OVERRIDE_ON), rules.REASON_MANAGER)
        self.assertIsNone(rules.strategic_reason(small, 50.0, DEFAULTS, TODAY, rules.OVERRIDE_OFF))


class TestAssess(unittest.TestCase):
    def test_threshold_dates_are_the_first_days_past_each_threshold(self):
        assessment = rules.assess(rhythm_every(30, 10, 5), DEFAULTS, TODAY)
        last = TODAY - timedelta(days=5)
        self.assertEqual(assessment.watch_date, last + timedelta(days=31))
        self.assertEqual(assessment.alert_date, last + timedelta(days=46))
        self.assertEqual(assessment.lost_date, last + timedelta(days=366))
        self.assertEqual(assessment.next_review, assessment.watch_date)
        self.assertEqual(rules.classify(rhythm_every(30, 10, 5), DEFAULTS, assessment.alert_date), rules.AT_RISK)
        self.assertEqual(
            rules.classify(rhythm_every(30, 10, 5), DEFAULTS, assessment.alert_date - timedelta(days=1)), rules.WATCH
        )

    def test_stage_date_is_kept_while_the_stage_lasts(self):
        entered = TODAY - timedelta(days=10)
        same = rules.assess(rhythm_every(30, 10, 60), DEFAULTS, TODAY, previous=(rules.AT_RISK, entered))
        self.assertEqual((same.stage, same.stage_date), (rules.AT_RISK, entered))
        moved = rules.assess(rhythm_every(30, 10, 60), DEFAULTS, TODAY, previous=(rules.WATCH, entered))
        self.assertEqual((moved.stage, moved.stage_date), (rules.AT_RISK, TODAY))

    def test_next_review_is_the_first_day_anything_changes(self):
        """Checked day by day against classify and strategic_reason, on many shapes of clients."""
        cases = []
        for interval in (1, 7, 30, 97, 300):
            for count in (1, 2, 3, 8):
                for silence in (0, 10, 40, 200, 400):
                    cases.append((rhythm_every(interval, count, silence), (None, None), 0.0))
        long_steady = rules.Rhythm(
            purchase_days=8,
            first_purchase=TODAY - timedelta(days=3 * 365 - 20),
            last_purchase=TODAY - timedelta(days=3),
            mean_interval=60.0,
            interval_spread=5.0,
        )
        cases.append((long_steady, (None, None), 0.0))
        cases.append((rhythm_every(30, 10, 2), (rules.WON_BACK, TODAY - timedelta(days=10)), 0.0))
        cases.append((rhythm_every(30, 10, 2), (rules.AT_RISK, TODAY - timedelta(days=4)), 7.0))
        for rhythm, previous, share in cases:
            with self.subTest(rhythm=rhythm, previous=previous):
                now = rules.assess(rhythm, DEFAULTS, TODAY, revenue_share=share, previous=previous)
                expected = None
                for offset in range(1, 1500):
                    day = TODAY + timedelta(days=offset)
                    if rules.classify(rhythm, DEFAULTS, day, now.stage, now.stage_date) != now.stage or (
                        rules.strategic_reason(rhythm, share, DEFAULTS, day) != now.strategic_reason
                    ):
                        expected = day
                        break
                if expected is None:
                    self.assertTrue(now.next_review is None or now.next_review >= TODAY + timedelta(days=1500))
                else:
                    self.assertEqual(now.next_review, expected)

    def test_no_purchase_nothing_to_store(self):
        self.assertEqual(rules.assess(rules.Rhythm(), DEFAULTS, TODAY), rules.Assessment())


class TestMonthsBefore(unittest.TestCase):
    def test_clamps_to_month_end(self):
        self.assertEqual(rules.months_before(date(2026, 3, 31), 1), date(2026, 2, 28))
        self.assertEqual(rules.months_before(date(2026, 6, 30), 24), date(2024, 6, 30))
        self.assertEqual(rules.months_before(date(2026, 1, 15), 13), date(2024, 12, 15))


class TestReplay(unittest.TestCase):
    """The replayed history: day by day (the reference), and from the rhythm's segments (the fast way)."""

    START = rules.months_before(TODAY, 24)
    END = TODAY - timedelta(days=1)

    def test_a_quarterly_client_through_every_stage(self):
        days = [TODAY - timedelta(days=n) for n in (1170, 1080, 990, 900, 810, 720, 630, 100)]
        changes = rules.replay_naive(days, DEFAULTS, self.START, self.END)
        last = TODAY - timedelta(days=630)
        self.assertEqual(
            changes,
            [
                (self.START, None, rules.ACTIVE),
                (last + timedelta(days=91), rules.ACTIVE, rules.WATCH),
                (last + timedelta(days=136), rules.WATCH, rules.AT_RISK),
                (last + timedelta(days=366), rules.AT_RISK, rules.LOST),
                (TODAY - timedelta(days=100), rules.LOST, rules.WON_BACK),
            ],
        )
        self.assertEqual(
            rules.replay_wins(changes), [(last + timedelta(days=136), rules.LOST, TODAY - timedelta(days=100))]
        )

    def test_won_back_lasts_one_cycle(self):
        days = [TODAY - timedelta(days=n) for n in (1000, 970, 940, 910, 880, 850, 400, 385)]
        changes = rules.replay_naive(days, DEFAULTS, self.START, self.END)
        won = TODAY - timedelta(days=400)
        self.assertIn((won, rules.LOST, rules.WON_BACK), changes)
        after = [change for change in changes if change[0] > won]
        # The purchase 15 days after the win makes the usual interval (1000 - 385) / 7 = 87.9 days: the cycle
        # of Won Back ends 88 days after the win, not 100 (the interval on the day of the win).
        self.assertEqual(after[0], (won + timedelta(days=88), rules.WON_BACK, rules.ACTIVE))

    def test_nothing_before_the_first_purchase(self):
        first = TODAY - timedelta(days=50)
        self.assertEqual(rules.replay_naive([first], DEFAULTS, self.START, self.END), [(first, None, rules.NEW)])
        self.assertEqual(rules.replay_naive([], DEFAULTS, self.START, self.END), [])

    def test_mean_interval_rounds_half_up_like_postgresql(self):
        first = date(2026, 1, 1)
        self.assertEqual(rules.mean_interval(first, first + timedelta(days=61), 5), 15.3)  # 15.25
        self.assertEqual(rules.mean_interval(first, first + timedelta(days=10), 3), 5.0)
        self.assertEqual(rules.mean_interval(first, first + timedelta(days=100), 4), 33.3)
        self.assertIsNone(rules.mean_interval(first, first, 1))

    def test_walk_agrees_with_the_day_by_day_replay(self):
        """Random clients and settings: the fast walk finds the same changes on the same days."""
        random = Random(20261125)
        settings = [
            DEFAULTS,
            rules.Thresholds(min_purchase_days=2, default_interval=30, at_risk_factor=2.0),
            rules.Thresholds(analysis_months=6, watch_factor=1.3, at_risk_factor=3.0, lost_days=700),
            rules.Thresholds(analysis_months=12, min_purchase_days=5, default_interval=200, lost_days=700),
            rules.Thresholds(analysis_months=1, min_purchase_days=2, default_interval=7, lost_days=20),
        ]
        for case in range(500):
            thresholds = settings[case % len(settings)]
            interval = random.lognormvariate(3.4, 0.8)
            day = TODAY - timedelta(days=random.randint(0, 1500))
            days = []
            for _count in range(int(random.lognormvariate(2.2, 1.0)) + 1):
                days.append(day)
                day -= timedelta(days=max(1, int(random.lognormvariate(0, 0.6) * interval)))
            # Some clients are logged already: their replay covers the window before their first logged line.
            first_logged = TODAY - timedelta(days=random.randint(0, 500) if case % 3 == 0 else 0)
            start = rules.months_before(first_logged, thresholds.analysis_months)
            end = first_logged - timedelta(days=1)
            days = sorted(day for day in set(days) if day <= end)
            walked = replay_walk.ReplayWalk(thresholds).changes(
                [day.toordinal() for day in days], start.toordinal(), end.toordinal()
            )
            with self.subTest(case=case, days=days, end=end):
                self.assertEqual(
                    [(date.fromordinal(day), previous, stage) for day, previous, stage in walked],
                    rules.replay_naive(days, thresholds, start, end),
                )

    def test_revenue_of_a_day_covers_the_revenue_window(self):
        walk = replay_walk.ReplayWalk(rules.Thresholds(revenue_months=12))
        days = [date(2025, 2, 28), date(2025, 3, 1), date(2026, 2, 28), date(2026, 2, 28), date(2026, 3, 1)]
        amounts = [1.0, 10.0, 100.0, -20.0, 1000.0]
        ordinals = [day.toordinal() for day in days]
        # 2026-02-28 minus 12 months is 2025-02-28: both ends are in, the credit note of the day too.
        self.assertEqual(walk.revenue(ordinals, amounts, date(2026, 2, 28).toordinal()), 91.0)
        self.assertEqual(walk.revenue(ordinals, amounts, date(2026, 3, 1).toordinal()), 1090.0)
        self.assertEqual(walk.revenue(ordinals, amounts, date(2024, 1, 1).toordinal()), 0)

    def test_no_look_ahead(self):
        early = [TODAY - timedelta(days=n) for n in (700, 670, 640)]
        later = early + [TODAY - timedelta(days=n) for n in (200, 100)]
        cut = TODAY - timedelta(days=200)
        self.assertEqual(
            [change for change in rules.replay_naive(later, DEFAULTS, self.START, self.END) if change[0] < cut],
            [change for change in rules.replay_naive(early, DEFAULTS, self.START, self.END) if change[0] < cut],
        )


if __name__ == "__main__":
    unittest.main()
