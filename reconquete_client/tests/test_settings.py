from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import ReconqueteCase


@tagged("reconquete_settings")
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
            ({"reconquete_default_interval": 0}, '"Default Interval (days)" must be between 1 and 3650 (got 0)'),
            ({"reconquete_default_interval": -5}, "(got -5)"),
            ({"reconquete_default_interval": 3_000_000}, "between 1 and 3650 (got 3000000)"),
            ({"reconquete_default_interval": 2**31}, "between 1 and 3650 (got 2147483648)"),
            ({"reconquete_watch_factor": 0.8}, '"To Watch After (x interval)" must be between 1.0 and 10.0 (got 0.8)'),
            ({"reconquete_watch_factor": float("nan")}, "must be between 1.0 and 10.0 (got nan)"),
            ({"reconquete_at_risk_factor": float("inf")}, "must be between 1.0 and 10.0 (got inf)"),
            ({"reconquete_at_risk_factor": 0.9}, "(got 0.9)"),
            ({"reconquete_watch_factor": 2.0}, 'at least "To Watch After", 2.0 (got 1.5)'),
            ({"reconquete_strategic_share": 120}, "must be above 0.0 and at most 100.0 (got 120"),
            ({"reconquete_strategic_share": 0}, "above 0.0 and at most 100.0 (got 0"),
            ({"reconquete_lost_days": 100}, "alert threshold of a client without a rhythm, 135.0 days"),
            ({"reconquete_lost_days": 10**9}, "between 1 and 40000 (got 1000000000)"),
            ({"reconquete_analysis_months": 0}, "between 1 and 120 (got 0)"),
            ({"reconquete_min_purchase_days": 1}, "between 2 and 1000 (got 1)"),
            ({"reconquete_solicitation_limit": 0}, "between 1 and 100 (got 0)"),
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

    def test_salesman_cannot_change_thresholds_through_the_settings(self):
        """The settings save the rules through this addon's own path: it must not bypass rights."""
        settings = self.env["res.config.settings"].with_user(self.salesman)
        with self.assertRaises(AccessError):
            settings.create({"reconquete_default_interval": 30, "reconquete_lost_days": 400})
        self.assertEqual(self.company.reconquete_default_interval, 90)
        with self.assertRaises(AccessError):
            self.env["reconquete.analysis.state"].with_user(self.salesman).search([]).read(["revenue_total"])

    def test_changing_rules_restarts_todays_analysis(self):
        client = self._create_client("Every 100 days")
        self._create_orders(client, [100])
        self._analyse()
        self.assertEqual(self._stage(client), "watch")
        self.company.write({"reconquete_default_interval": 120, "reconquete_lost_days": 400})
        self.assertFalse(self._state().analysis_date, "today's analysis must be redone")
        self._run_scheduled_action()
        self.assertEqual(self._stage(client), "new")
