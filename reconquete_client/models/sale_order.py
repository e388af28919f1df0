"""Confirmed sale orders as a purchase source: their queries, and an update when one changes.

The analysis asks the source model for the SQL it needs (``_reconquete_*``),
so another addon can change what a purchase is by overriding these methods.
"""

from datetime import date, timedelta

from odoo import api, models
from odoo.tools import SQL


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # The nightly pass re-reads the clients of the orders written since its last run.
    _reconquete_write_date_idx = models.Index("(write_date)")
    # What the analysis reads of a confirmed order, in the index itself: re-reading
    # a few thousand clients costs an index range per contact instead of one heap
    # page per order (a third of the time at 2M orders, see benchmark/).
    _reconquete_purchase_idx = models.Index(
        "(partner_id, date_order) INCLUDE (company_id, amount_untaxed, currency_rate, currency_id) WHERE state = 'sale'"
    )

    def _action_confirm(self):
        res = super()._action_confirm()
        self._reconquete_refresh()
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        self._reconquete_refresh()
        return res

    def action_draft(self):
        res = super().action_draft()
        self._reconquete_refresh()
        return res

    def _reconquete_refresh(self):
        """A purchase appeared or vanished: its clients' figures follow now, not tomorrow."""
        for company, orders in self.grouped("company_id").items():
            if company.reconquete_purchase_source == "sale":
                self.env["reconquete.analysis"]._refresh_partners(orders.partner_id.commercial_partner_id, company)

    @api.model
    def _reconquete_purchase_days_query(self, company, clients_sql, today, since, contact_ids=None):
        """One row per client and day: client_id, day, amount, is_purchase (from ``since``, if given).

        ``contact_ids``, when given, lists the partners whose documents are read:
        they are then found through the index on partner_id.

        Days are UTC dates of the confirmation; amounts go back to company
        currency with the rate stored on the order, or the latest known rate
        when the order has none. Orders in a currency without any rate are left
        out (counted by ``_reconquete_left_out_query``).

        Amounts are summed as float8, not numeric: numeric sums cost 0.4 s of
        a 6 s full pass at size S, their partial states crossing PostgreSQL's
        parallel workers (README: Performance). They feed indicators rounded to the
        cent afterwards; a float sum of a client's orders is off by far less
        than a cent, so only a total falling exactly on a half cent (possible
        in a currency with three decimals) could round the other way.
        """
        return SQL(
            """
            SELECT partner.commercial_partner_id AS client_id,
                   sale.date_order::date AS day,
                   SUM(sale.amount_untaxed::float8
                       / COALESCE(NULLIF(sale.currency_rate, 0), rate.rate, 1)::float8) AS amount,
                   TRUE AS is_purchase
              FROM sale_order AS sale
              JOIN res_partner AS partner ON partner.id = sale.partner_id
         LEFT JOIN (%(latest_rates)s) AS rate ON rate.currency_id = sale.currency_id
             WHERE sale.company_id = %(company_id)s
               AND sale.state = 'sale'
               AND sale.date_order >= %(since)s
               AND sale.date_order < %(tomorrow)s
               AND (sale.currency_id = %(currency_id)s OR rate.currency_id IS NOT NULL)
               AND %(clients_sql)s
               AND (%(contact_ids)s::int[] IS NULL OR sale.partner_id = ANY(%(contact_ids)s::int[]))
          GROUP BY 1, 2
            """,
            latest_rates=self.env["res.currency"]._reconquete_latest_rates_query(company),
            company_id=company.id,
            currency_id=company.currency_id.id,
            since=since or date.min,
            tomorrow=today + timedelta(days=1),
            clients_sql=clients_sql,
            contact_ids=contact_ids,
        )

    @api.model
    def _reconquete_changed_clients_query(self, company, since, edges, clients_sql):
        """Clients with an order written since ``since`` (if given), or dated within one of ``edges``.

        One branch per condition, so that each reads its own index.
        """
        conditions = [SQL("sale.write_date >= %s", since)] if since else []
        conditions += [SQL("sale.date_order >= %s AND sale.date_order < %s", start, end) for start, end in edges]
        return SQL(" UNION ").join(
            SQL(
                """
                SELECT partner.commercial_partner_id
                  FROM sale_order AS sale
                  JOIN res_partner AS partner ON partner.id = sale.partner_id
                 WHERE sale.company_id = %s AND %s AND %s
                """,
                company.id,
                condition,
                clients_sql,
            )
            for condition in conditions
        )

    @api.model
    def _reconquete_last_documents_query(self, company, client_ids):
        """Each client's latest purchase: client id, name, day, sales team id."""
        return SQL(
            """
            SELECT DISTINCT ON (partner.commercial_partner_id)
                   partner.commercial_partner_id, sale.name, sale.date_order::date, sale.team_id
              FROM sale_order AS sale
              JOIN res_partner AS partner ON partner.id = sale.partner_id
             WHERE sale.company_id = %(company_id)s
               AND sale.state = 'sale'
               AND partner.commercial_partner_id = ANY(%(client_ids)s)
          ORDER BY partner.commercial_partner_id, sale.date_order DESC, sale.id DESC
            """,
            company_id=company.id,
            client_ids=client_ids,
        )

    @api.model
    def _reconquete_left_out_query(self, company, currency_ids):
        """How many confirmed orders are in one of these currencies (which have no rate)."""
        return SQL(
            "SELECT COUNT(*) FROM sale_order WHERE company_id = %s AND state = 'sale' AND currency_id = ANY(%s)",
            company.id,
            currency_ids,
        )
