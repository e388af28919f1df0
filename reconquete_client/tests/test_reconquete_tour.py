from datetime import datetime, time, timedelta

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install", "reconquete", "reconquete_tour")
class TestReconqueteTour(HttpCase):
    """The salesperson's board in a real browser (needs Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="reconquete_tour_salesman",
            password="reconquete_tour_salesman",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        product = cls.env["product.product"].create({"name": "Visit", "type": "service", "list_price": 100.0})
        today = datetime.combine(datetime.now().date(), time(10))
        histories = {
            "Tour Newcomer": [10],
            "Tour Regular": [5, 35, 65, 95],
            "Tour Slipping Away": [60, 90, 120, 150],
        }
        for name, days_ago in histories.items():
            client = cls.env["res.partner"].create({"name": name, "is_company": True, "user_id": cls.salesman.id})
            cls.env["sale.order"].create(
                [
                    {
                        "partner_id": client.id,
                        "date_order": today - timedelta(days=ago),
                        "state": "sale",
                        "order_line": [Command.create({"product_id": product.id, "price_unit": 100.0})],
                    }
                    for ago in days_ago
                ]
            )
        cls.env["reconquete.analysis"]._analyse_all_companies()

    def test_salesman_opens_a_reconquest_from_the_board(self):
        self.start_tour("/odoo/reconquete", "reconquete_kanban_tour", login="reconquete_tour_salesman")
