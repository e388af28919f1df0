"""Posted customer invoices, net of credit notes, as a purchase source.

The same queries as ``sale_order.py``, for companies that count purchases
from invoices; any change of an invoice's state updates its client now.
"""

from datetime import date

from odoo import api, models
from odoo.tools import SQL

CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    # The nightly pass re-reads the clients of the invoices written since its last run.
    _reconquete_write_date_idx = models.Index("(write_date)")
    # What the analysis reads of a posted customer invoice, in the index itself
    # (the same reason as on sale orders).
    _reconquete_purchase_idx = models.Index(
        "(partner_id, invoice_date) INCLUDE (company_id, amount_untaxed_signed, move_type, payment_state, "
        "currency_id) WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')"
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._reconquete_refresh()
        return posted

    def button_draft(self):
        res = super().button_draft()
        self._reconquete_refresh()
        return res

    def button_cancel(self):
        res = super().button_cancel()
        self._reconquete_refresh()
        return res

    def _reconquete_refresh(self):
        """A purchase appeared or vanished: its clients' figures follow now, not tomorrow."""
        moves = self.filtered(lambda move: move.move_type in CUSTOMER_MOVE_TYPES)
        for company, company_moves in moves.grouped("company_id").items():
            if company.reconquete_purchase_source == "invoice":
                self.env["reconquete.analysis"]._refresh_partners(company_moves.commercial_partner_id, company)

    @api.model
    def _reconquete_purchase_days_query(self, company, clients_sql, today, since, contact_ids=None):
        """One row per client and day: client_id, day, amount, is_purchase (from ``since``, if given).

        ``contact_ids``, when given, lists the partners whose documents are read:
        they are then found through the index on partner_id.

        A fully reversed invoice is no purchase; credit notes lower revenue.
        Amounts are Odoo's own in company currency; invoices in a currency
        without any rate are left out (Odoo would have counted them 1:1).
        """
        return SQL(
            """
            SELECT partner.commercial_partner_id AS client_id,
                   move.invoice_date AS day,
                   SUM(move.amount_untaxed_signed) AS amount,
                   BOOL_OR(move.move_type = 'out_invoice'
                           AND move.payment_state IS DISTINCT FROM 'reversed') AS is_purchase
              FROM account_move AS move
              JOIN res_partner AS partner ON partner.id = move.partner_id
         LEFT JOIN (%(latest_rates)s) AS rate ON rate.currency_id = move.currency_id
             WHERE move.company_id = %(company_id)s
               AND move.state = 'posted'
               AND move.move_type IN %(move_types)s
               AND move.invoice_date BETWEEN %(since)s AND %(today)s
               AND (move.currency_id = %(currency_id)s OR rate.currency_id IS NOT NULL)
               AND %(clients_sql)s
               AND (%(contact_ids)s::int[] IS NULL OR move.partner_id = ANY(%(contact_ids)s::int[]))
          GROUP BY 1, 2
            """,
            latest_rates=self.env["res.currency"]._reconquete_latest_rates_query(company),
            company_id=company.id,
            currency_id=company.currency_id.id,
            move_types=CUSTOMER_MOVE_TYPES,
            since=since or date.min,
            today=today,
            clients_sql=clients_sql,
            contact_ids=contact_ids,
        )

    @api.model
    def _reconquete_changed_clients_query(self, company, since, edges, clients_sql):
        """Clients with an invoice written since ``since`` (if given), or dated within one of ``edges``."""
        conditions = [SQL("move.write_date >= %s", since)] if since else []
        conditions += [SQL("move.invoice_date >= %s AND move.invoice_date < %s", start, end) for start, end in edges]
        return SQL(" UNION ").join(
            SQL(
                """
                SELECT partner.commercial_partner_id
                  FROM account_move AS move
                  JOIN res_partner AS partner ON partner.id = move.partner_id
                 WHERE move.company_id = %s AND move.move_type IN %s AND %s AND %s
                """,
                company.id,
                CUSTOMER_MOVE_TYPES,
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
                   partner.commercial_partner_id, move.name, move.invoice_date, move.team_id
              FROM account_move AS move
              JOIN res_partner AS partner ON partner.id = move.partner_id
             WHERE move.company_id = %(company_id)s
               AND move.state = 'posted'
               AND move.move_type = 'out_invoice'
               AND move.payment_state IS DISTINCT FROM 'reversed'
               AND partner.commercial_partner_id = ANY(%(client_ids)s)
          ORDER BY partner.commercial_partner_id, move.invoice_date DESC, move.id DESC
            """,
            company_id=company.id,
            client_ids=client_ids,
        )

    @api.model
    def _reconquete_left_out_query(self, company, currency_ids):
        """How many posted customer invoices are in one of these currencies (which have no rate)."""
        return SQL(
            "SELECT COUNT(*) FROM account_move WHERE company_id = %s AND state = 'posted' "
            "AND move_type IN %s AND currency_id = ANY(%s)",
            company.id,
            CUSTOMER_MOVE_TYPES,
            currency_ids,
        )
