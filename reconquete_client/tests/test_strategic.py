from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ReconqueteCase


@tagged("reconquete_strategic")
class TestStrategic(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.big = cls._create_client("Big client")
        cls.small = cls._create_client("Small client")
        cls.loyal = cls._create_client("Loyal for years")
        cls._create_orders(cls.big, [10, 100], amount=6000.0)
        cls._create_orders(cls.small, [20, 50, 80], amount=100.0)
        # Orders every 60 days for four years: only the last 24 months teach the rhythm.
        cls._create_orders(cls.loyal, list(range(30, 4 * 365, 60)), amount=50.0)
        cls._create_orders(cls._create_client("Everybody else"), [15], amount=100000.0)

    def test_large_share_of_revenue_is_strategic(self):
        self._analyse()
        self.assertAlmostEqual(self.big.reconquete_revenue_share, 100 * 12000 / self._state().revenue_total, places=2)
        self.assertTrue(self.big.reconquete_is_strategic)
        self.assertEqual(self.big.reconquete_strategic_reason, "revenue_share")
        self.assertFalse(self.small.reconquete_is_strategic)

    def test_long_steady_relationship_is_strategic(self):
        self._analyse()
        self.assertTrue(self.loyal.reconquete_is_strategic)
        self.assertEqual(self.loyal.reconquete_strategic_reason, "relationship")
        self.assertGreater(self.loyal.reconquete_relationship_years, 3)

    def _force(self, client, override, user):
        wizard = (
            self.env["reconquete.strategic.wizard"]
            .with_user(user)
            .with_context(default_client_ids=self._file(client).ids)
            .create({"override": override})
        )
        wizard.action_apply()

    def test_manager_forces_the_flag_on_and_off(self):
        self._analyse()
        self._force(self.small, "on", self.sales_manager)
        self.assertTrue(self.small.reconquete_is_strategic, "applied at once, not tomorrow")
        self.assertEqual(self.small.reconquete_strategic_reason, "manager")
        self.assertIn("Strategic flag set to Always strategic by", self._file(self.small).message_ids[0].body)

        self._force(self.big, "off", self.sales_manager)
        self.assertFalse(self.big.reconquete_is_strategic)
        self._analyse()
        self.assertFalse(self.big.reconquete_is_strategic, "the next analysis keeps the override")

        self._force(self.big, "auto", self.sales_manager)
        self.assertTrue(self.big.reconquete_is_strategic)

    def test_salesman_cannot_force_the_flag(self):
        self._analyse()
        with self.assertRaises(AccessError):
            self._force(self.small, "on", self.salesman)
        with self.assertRaises(AccessError):
            self._file(self.small).with_user(self.salesman).write({"strategic_override": "on"})
        self.assertFalse(self.small.reconquete_is_strategic)
