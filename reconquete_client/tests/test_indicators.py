from datetime import date

from odoo.tests import tagged

from .common import ReconqueteCase


@tagged("reconquete_indicators")
class TestIndicators(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        clients = {
            name: cls.env["reconquete.client"]
            .sudo()
            .create({"partner_id": cls._create_client(name).id, "company_id": cls.company.id})
            for name in ("A", "B", "C", "D")
        }
        changes = [
            # client, day, from, to, revenue
            ("A", date(2026, 1, 15), None, "active", 0.0),
            ("A", date(2026, 3, 10), "active", "lost", 0.0),
            ("B", date(2026, 1, 20), None, "active", 0.0),
            ("B", date(2026, 3, 5), "active", "at_risk", 1000.0),
            ("B", date(2026, 4, 2), "at_risk", "won_back", 1200.0),
            ("C", date(2026, 2, 10), None, "new", 0.0),
            ("D", date(2026, 1, 10), None, "lost", 0.0),  # first classification: no attrition
        ]
        cls.env["reconquete.stage.history"].sudo().create(
            [
                {
                    "client_id": clients[name].id,
                    "date": day,
                    "stage_from": from_code or False,
                    "stage_to": to_code,
                    "user_id": cls.salesman.id,
                    "revenue": revenue,
                }
                for name, day, from_code, to_code, revenue in changes
            ]
        )

    def _figures(self, first_month, last_month):
        [figures] = self.env["reconquete.indicator"]._read_group(
            [("company_id", "=", self.company.id), ("month", ">=", first_month), ("month", "<=", last_month)],
            [],
            [
                "active_at_start:sum",
                "entered_lost:sum",
                "entered_risk:sum",
                "won_back:sum",
                "revenue_at_risk:sum",
                "attrition_rate:avg",
                "win_back_rate:avg",
            ],
        )
        return figures

    def test_one_month(self):
        active, lost, risk, won, revenue, attrition, win_back = self._figures(date(2026, 3, 1), date(2026, 3, 1))
        self.assertEqual((active, lost, risk, won), (3, 1, 2, 0))
        self.assertAlmostEqual(attrition, 100 / 3)
        self.assertEqual(win_back, 0)
        self.assertEqual(revenue, 1000.0, "B is to win back at the end of March")

    def test_rates_over_months_are_ratios_of_sums(self):
        active, lost, risk, won, revenue, attrition, win_back = self._figures(date(2026, 3, 1), date(2026, 4, 1))
        self.assertEqual((active, lost, risk, won), (4, 1, 2, 1))
        self.assertAlmostEqual(
            attrition, 25.0, msg="1 lost out of 3 + 1 active client-months, not the mean of 33% and 0%"
        )
        self.assertAlmostEqual(win_back, 50.0)
        self.assertEqual(revenue, 1000.0, "won back on April 2: no revenue at risk at the end of April")

    def test_first_classification_is_no_attrition(self):
        active, lost, *_rest = self._figures(date(2026, 1, 1), date(2026, 1, 1))
        self.assertEqual((active, lost), (0, 0))

    def test_per_salesperson(self):
        groups = self.env["reconquete.indicator"]._read_group(
            [("company_id", "=", self.company.id), ("month", "=", date(2026, 3, 1))], ["user_id"], ["entered_lost:sum"]
        )
        self.assertEqual(groups, [(self.salesman, 1)])

    def test_salesman_reads_the_indicators(self):
        self.assertTrue(self.env["reconquete.indicator"].with_user(self.salesman).search_count([]))
