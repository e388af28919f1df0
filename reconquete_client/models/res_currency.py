"""The rates a purchase falls back on when its own is missing."""

from odoo import api, models
from odoo.tools import SQL


class ResCurrency(models.Model):
    _inherit = "res.currency"

    @api.model
    def _reconquete_latest_rates_query(self, company):
        """SQL: one row per currency with a known rate for ``company``: currency_id, rate (its latest)."""
        return SQL(
            """
            SELECT DISTINCT ON (currency_id) currency_id, NULLIF(rate, 0) AS rate
              FROM res_currency_rate
             WHERE company_id = %s OR company_id IS NULL
          ORDER BY currency_id, name DESC, company_id NULLS LAST
            """,
            company.id,
        )

    @api.model
    def _reconquete_currencies_without_rate(self, company):
        """Active currencies other than the company's with no rate at all: their documents cannot be counted."""
        query = SQL(
            """
            SELECT currency.id FROM res_currency AS currency
             WHERE currency.active AND currency.id <> %s
               AND NOT EXISTS (SELECT 1 FROM res_currency_rate AS rate
                                WHERE rate.currency_id = currency.id
                                  AND (rate.company_id = %s OR rate.company_id IS NULL))
            """,
            company.currency_id.id,
            company.id,
        )
        return [currency_id for (currency_id,) in self.env.execute_query(query)]
