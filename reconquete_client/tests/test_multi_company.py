from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ReconqueteCase


@tagged("reconquete_multi_company")
class TestMultiCompany(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company()["company"]

    def test_shared_client_has_figures_per_company(self):
        shared = self._create_client("Shared client")  # no company: visible to both
        self._create_orders(shared, [10, 40, 70])
        self._create_orders(shared, [400], company=self.other_company)
        self._analyse()

        self.assertEqual(self._stage(shared), "active")
        self.assertEqual(self._stage(shared, self.other_company), "lost")
        self.assertEqual(shared.with_company(self.company).reconquete_purchase_days, 3)
        self.assertEqual(shared.with_company(self.other_company).reconquete_purchase_days, 1)
        self.assertEqual(self._history(shared, self.other_company), [(False, "lost")])

    def test_settings_of_one_company_leave_the_other_alone(self):
        shared = self._create_client("Shared client")
        self._create_orders(shared, [100])
        self._create_orders(shared, [100], company=self.other_company)
        self.other_company.write({"reconquete_default_interval": 200, "reconquete_lost_days": 400})
        self._analyse()
        self.assertEqual(self._stage(shared), "watch", "silent 100 days for the default 90")
        self.assertEqual(self._stage(shared, self.other_company), "new")

    def test_history_of_another_company_is_not_readable(self):
        client = self._create_client("Other company's client")
        self._create_orders(client, [10], company=self.other_company)
        self._analyse()
        outsider = self._create_user("reconquete_outsider", "sales_team.group_sale_salesman")
        history = self.env["reconquete.stage.history"].search([("partner_id", "=", client.id)])
        self.assertEqual(len(history), 1)
        with self.assertRaises(AccessError):
            history.with_user(outsider).read(["stage_to"])
