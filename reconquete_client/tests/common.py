"""Fixtures shared by the reconquest tests: clients, dated orders, the analysis, their files."""

from datetime import date, datetime, time, timedelta

from odoo.fields import Command
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# Every test runs on this day; histories are built backwards from it.
TODAY = date(2026, 6, 30)


@tagged("reconquete", "post_install", "-at_install")
@freeze_time(TODAY)
class ReconqueteCase(AccountTestInvoicingCommon):
    @classmethod
    def get_default_groups(cls):
        # The test user is the administrator who installs and configures the addon.
        return (
            super().get_default_groups()
            | cls.quick_ref("sales_team.group_sale_manager")
            | cls.quick_ref("base.group_system")
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.service = cls.env["product.product"].create(
            {
                "name": "Maintenance visit",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.salesman = cls._create_user(
            "reconquete_salesman", "sales_team.group_sale_salesman,base.group_partner_manager"
        )
        cls.sales_manager = cls._create_user("reconquete_manager", "sales_team.group_sale_manager")
        # Someone takes the reconquest of clients without a salesperson.
        cls.company.reconquete_default_user_id = cls.sales_manager

    @classmethod
    def _create_user(cls, login, groups):
        """A user of the test company only, with these groups (comma-separated xml ids)."""
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _create_client(cls, name, **values):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **values})

    @classmethod
    def _create_orders(cls, partner, days_ago, amount=100.0, company=None, state="sale", **values):
        """One order of ``amount`` (untaxed) per entry of ``days_ago``, dated from TODAY."""
        company = company or cls.company
        return (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "date_order": datetime.combine(TODAY - timedelta(days=ago), time(10)),
                        "state": state,
                        "order_line": [
                            Command.create({"product_id": cls.service.id, "product_uom_qty": 1, "price_unit": amount})
                        ],
                        **values,
                    }
                    for ago in days_ago
                ]
            )
        )

    def _analyse(self):
        """Run the analysis of every company, as the install hook does."""
        return self.env["reconquete.analysis"]._analyse_all_companies()

    def _run_scheduled_action(self):
        cron = self.env.ref("reconquete_client.ir_cron_reconquete_analysis")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()

    def _file(self, partner, company=None):
        """The client's reconquest file in ``company`` (the test company by default)."""
        return self.env["reconquete.client"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", (company or self.company).id)]
        )

    def _state(self, company=None):
        return self.env["reconquete.analysis.state"]._for_company(company or self.company)

    def _stage(self, partner, company=None):
        return self._file(partner, company).stage_id.code

    def _history(self, partner, company=None):
        """[(from code, to code)] of the client's stage changes, oldest first."""
        lines = self.env["reconquete.stage.history"].search(
            [("client_id", "=", self._file(partner, company).id)], order="id"
        )
        return [(line.stage_from, line.stage_to) for line in lines]
