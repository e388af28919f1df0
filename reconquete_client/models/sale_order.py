"""A confirmed order may win a client back: update it now, not tomorrow."""

from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # The daily analysis re-reads the clients of the orders written since its last run.
    _reconquete_write_date_idx = models.Index("(write_date)")

    def _action_confirm(self):
        res = super()._action_confirm()
        analysis = self.env["reconquete.analysis"]
        for company, orders in self.grouped("company_id").items():
            if company.reconquete_purchase_source == "sale":
                analysis._refresh_clients(orders.partner_id.commercial_partner_id, company)
        return res
