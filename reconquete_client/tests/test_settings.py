from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import ReconqueteCase


@tagged("post_install", "-at_install")
class TestSettings(ReconqueteCase):
    def test_defaults_are_those_of_the_product_contract(self):
        thresholds = self.company._reconquete_thresholds()
        self.assertEqual(
            (
                thresholds.analysis_months,
                thresholds.revenue_months,
                thresholds.min_purchase_days,
                thresholds.default_interval,
                thresholds.watch_factor,
                thresholds.at_risk_factor,
                thresholds.lost_days,
                thresholds.solicitation_limit,
                thresholds.strategic_share,
                thresholds.strategic_years,
            ),
            (24, 12, 3, 90, 1.0, 1.5, 365, 3, 5.0, 3),
        )

    def test_bad_settings_are_refused_with_value_and_range(self):
        cases = [
            ({"reconquete_default_interval": 0}, "at least 1 day (got 0)"),
            ({"reconquete_default_interval": -5}, "(got -5)"),
            ({"reconquete_watch_factor": 0.8}, '"To Watch After" must be at least 1 (got 0.8)'),
            ({"reconquete_at_risk_factor": 0.9}, 'at least "To Watch After", 1.0 (got 0.9)'),
            ({"reconquete_strategic_share": 120}, "at most 100% (got 120"),
            ({"reconquete_strategic_share": 0}, "above 0 and at most 100% (got 0"),
            ({"reconquete_lost_days": 100}, "alert threshold of a client without a rhythm, 135.0 days"),
            ({"reconquete_analysis_months": 0}, "between 1 and 120 months (got 0)"),
            ({"reconquete_min_purchase_days": 1}, "at least 2 purchase days (got 1)"),
            ({"reconquete_solicitation_limit": 0}, "at least 1 (got 0)"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self.company.write(values)
            self.assertIn(message, str(caught.exception))

    def test_settings_save_related_rules_together(self):
        """A longer interval with a longer lost delay is valid only as a pair."""
        self.env["res.config.settings"].create(
            {"reconquete_default_interval": 300, "reconquete_lost_days": 600}
        ).execute()
        self.assertEqual(self.company.reconquete_default_interval, 300)
        self.assertEqual(self.company.reconquete_lost_days, 600)

    def test_settings_refuse_bad_values(self):
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"reconquete_watch_factor": 0.5})
        self.assertEqual(self.company.reconquete_watch_factor, 1.0)

    def test_salesman_cannot_change_thresholds(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.salesman).reconquete_default_interval = 30
        self.assertEqual(self.company.reconquete_default_interval, 90)

    def test_changing_rules_restarts_todays_analysis(self):
        client = self._create_client("Every 100 days")
        self._create_orders(client, [100])
        self._analyse()
        self.assertEqual(self._stage(client), "watch")
        self.company.write({"reconquete_default_interval": 120, "reconquete_lost_days": 400})
        self.assertFalse(self.company.reconquete_analysis_date, "today's analysis must be redone")
        self._run_scheduled_action()
        self.assertEqual(self._stage(client), "new")
