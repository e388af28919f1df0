"""A posted invoice may win a client back: update it now, not tomorrow."""

from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    # The daily analysis re-reads the clients of the invoices written since its last run.
    _reconquete_write_date_idx = models.Index("(write_date)")

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        analysis = self.env["reconquete.analysis"]
        invoices = posted.filtered(lambda move: move.move_type == "out_invoice")
        for company, company_invoices in invoices.grouped("company_id").items():
            if company.reconquete_purchase_source == "invoice":
                analysis._refresh_clients(company_invoices.commercial_partner_id, company)
        return posted
