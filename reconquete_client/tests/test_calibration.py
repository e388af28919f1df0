"""The calibration of the alert factor on a small history, every figure computed by hand.

Default rules: a rhythm from 3 purchase days, default interval 90 days, lost
after 365 days; the analysis window runs from 2024-06-30 to 2026-06-30.

- A bought 600, 570, 540, 440 and 300 days ago. Its silences from 600 and 570
  (default interval 90) end after 30 days: no alert. From 540 (mean 30) it
  lasts 100 days: every factor alerts (38, 46, 61 and 91 days), all false
  alarms. From 440 (mean 53.3) it lasts 140 days: alerts at 67, 80 and 107
  days for 1.25, 1.5 and 2 (false alarms), none for 3 (160 days). From 300
  (mean 75) it is still open: alerts at 94, 113, 151 and 226 days, not lost.
- B bought 700, 670 and 640 days ago (mean 30), then nothing: alerted at 38,
  46, 61 and 91 days, lost at 366 days: 328, 320, 305 and 275 days of warning.
- C bought once, 500 days ago (default interval 90): alerted at 113, 136, 181
  and 271 days, lost at 366: 253, 230, 185 and 95 days of warning.
"""

from odoo.tests import tagged

from .common import TODAY, ReconqueteCase


@tagged("reconquete_replay")
class TestCalibration(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_orders(cls._create_client("A"), [600, 570, 540, 440, 300])
        cls._create_orders(cls._create_client("B"), [700, 670, 640])
        cls._create_orders(cls._create_client("C"), [500])

    def _calibrate(self):
        self.env["reconquete.calibration"]._calibrate(self.company, TODAY)
        rows = self.env["reconquete.calibration"].search([("company_id", "=", self.company.id)])
        return {
            row.factor: (row.alerts, row.false_alarms, row.lost, row.open_alerts, row.median_warning_days)
            for row in rows
        }, rows

    def test_figures_of_every_candidate(self):
        figures, rows = self._calibrate()
        self.assertEqual(
            figures,
            {
                # alerts, false alarms, lost, still open, median warning (days)
                1.25: (5, 2, 2, 1, 290.5),
                1.5: (5, 2, 2, 1, 275.0),
                2.0: (5, 2, 2, 1, 245.0),
                3.0: (4, 1, 2, 1, 185.0),
            },
        )
        rates = {row.factor: round(row.false_alarm_rate, 1) for row in rows}
        self.assertEqual(rates, {1.25: 50.0, 1.5: 50.0, 2.0: 50.0, 3.0: 33.3})

    def test_suggestion_follows_the_accepted_false_alarm_rate(self):
        _figures, rows = self._calibrate()
        self.assertEqual(rows._suggested_factor(50.0), 1.25, "within 50%: the longest warning")
        self.assertEqual(rows._suggested_factor(40.0), 3.0)
        self.assertEqual(rows._suggested_factor(30.0), 3.0, "none within 30%: the fewest false alarms")

    def test_the_companys_own_factor_is_measured_too(self):
        self.company.write({"reconquete_at_risk_factor": 1.75})
        figures, _rows = self._calibrate()
        self.assertEqual(sorted(figures), [1.25, 1.5, 1.75, 2.0, 3.0])
        # From 440 days ago: 53.3 x 1.75 = 93.3, alerted after 94 days, before the purchase 140 days later.
        self.assertEqual(figures[1.75][:3], (5, 2, 2))

    def test_settings_show_and_apply_the_suggestion(self):
        self._calibrate()
        self.company.reconquete_false_alarm_rate = 50.0
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.reconquete_suggested_factor, 1.25)
        html = str(settings.reconquete_calibration_html)
        for text in ("1.25 x interval", "current", "suggested", "False alarms: alerts after which the client"):
            self.assertIn(text, html)
        self.assertNotIn("No factor keeps false alarms within", html)
        settings.reconquete_false_alarm_rate = 30.0
        self.assertEqual(settings.reconquete_suggested_factor, 3.0, "the suggestion follows the rate at once")
        self.assertIn("No factor keeps false alarms within 30%", str(settings.reconquete_calibration_html))

        settings.action_reconquete_apply_factor()

        self.assertEqual(self.company.reconquete_at_risk_factor, 3.0)
        self.assertFalse(self._state().analysis_date, "applying it starts a full pass")
        self.assertTrue(self.env["reconquete.replay.state"]._for_company(self.company).requested)

    def test_no_calibration_yet(self):
        settings = self.env["res.config.settings"].create({})
        self.env["reconquete.calibration"].search([("company_id", "=", self.company.id)]).unlink()
        settings.invalidate_recordset()
        self.assertFalse(settings.reconquete_suggested_factor)
        self.assertIn("No calibration yet", str(settings.reconquete_calibration_html))
