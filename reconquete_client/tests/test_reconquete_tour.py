from datetime import datetime, time, timedelta

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install", "reconquete", "reconquete_tour")
class TestReconqueteTour(HttpCase):
    """A salesperson's day in a real browser (needs Chromium), with Odoo's default Sales rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="reconquete_tour_salesman",
            password="reconquete_tour_salesman",
            groups="sales_team.group_sale_salesman",
        )
        # The addon has been running for a while: its first look, whose stages are the managers' call, is
        # over before these clients buy (the install asked the scheduled action for it, which may not have run).
        cls.env["reconquete.analysis"]._analyse_all_companies()
        product = cls.env["product.product"].create({"name": "Visit", "type": "service", "list_price": 100.0})
        today = datetime.combine(datetime.now().date(), time(10))
        histories = {
            "Tour Newcomer": [10],
            "Tour Regular": [5, 35, 65, 95],
            "Tour Slipping Away": [60, 90, 120, 150],
            "Tour Overdue Call": [60, 90, 120, 150],
        }
        clients = {}
        for name, days_ago in histories.items():
            clients[name] = cls.env["res.partner"].create(
                {"name": name, "is_company": True, "user_id": cls.salesman.id}
            )
            cls.env["sale.order"].create(
                [
                    {
                        "partner_id": clients[name].id,
                        "date_order": today - timedelta(days=ago),
                        "state": "sale",
                        "order_line": [Command.create({"product_id": product.id, "price_unit": 100.0})],
                    }
                    for ago in days_ago
                ]
            )
        cls.env["reconquete.analysis"]._analyse_all_companies()
        cls.env["reconquete.scheduler"]._schedule_pending(cls.env.company, today.date())
        late_file = cls.env["reconquete.client"].search([("partner_id", "=", clients["Tour Overdue Call"].id)])
        late_call = cls.env["mail.activity"].search(
            [("res_model", "=", "reconquete.client"), ("res_id", "=", late_file.id)]
        )
        late_call.date_deadline = today.date() - timedelta(days=3)

    def test_salespersons_day(self):
        self.start_tour("/odoo/reconquete", "reconquete_kanban_tour", login="reconquete_tour_salesman")
