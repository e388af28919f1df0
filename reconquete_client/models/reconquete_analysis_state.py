"""Where the nightly analysis of one company stands: its cursor, its watermarks, its leftovers.

Bookkeeping of the job, kept apart from the company's settings: the job
writes it between batches, administrators never edit it.
"""

from odoo import api, fields, models


class ReconqueteAnalysisState(models.Model):
    _name = "reconquete.analysis.state"
    _description = "Reconquest Analysis State"
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    analysis_date = fields.Date(string="Last Complete Analysis", help="Day the last pass over every client ended.")
    full_analysis_date = fields.Date(
        string="Last Full Analysis",
        help="Day of the last pass that re-read every document; the nightly passes in between re-read only the "
        "clients whose documents changed.",
    )
    next_client_id = fields.Integer(help="Where the pass under way resumes (0 when none is under way).")
    pass_is_full = fields.Boolean(help="The pass under way re-reads every document.")
    pass_started_at = fields.Datetime(help="When the pass under way started, less a safety margin.")
    pass_message_id = fields.Integer(help="The last message when the pass under way started.")
    changes_since = fields.Datetime(help="Documents written from this moment on are re-read by the next pass.")
    messages_since_id = fields.Integer(help="Messages after this one are re-read by the next pass.")
    first_look = fields.Boolean(
        help="The next full pass is the addon's first look at the company's clients (asked for at install): the "
        "stages it finds are left to the managers, no activity is planned for them."
    )
    recount_revenue = fields.Boolean(
        help="The next pass reads the revenue total from the documents (first pass, or the rules changed)."
    )
    revenue_total = fields.Float(
        string="Revenue over the Revenue Window",
        help="Revenue of the clients with a positive revenue over the revenue window, as of the last pass: the "
        "base of every revenue share.",
    )
    pass_client_ids = fields.Json(help="The clients a nightly pass under way re-reads (partner ids, sorted).")
    pass_recount_ids = fields.Json(
        help="Those of them whose solicitations it counts again (their documents or messages were written)."
    )
    retry_client_ids = fields.Json(
        help="Clients another transaction held or changed while a pass wanted to write them: re-read next time."
    )
    retry_ranges = fields.Json(
        help="Ranges of client ids whose batch failed: re-read by the next pass, which is then not recorded as "
        "complete before they succeed."
    )
    documents_left_out = fields.Integer(
        help="Documents of the last full pass in a currency without any known rate: not counted."
    )

    _company_unique = models.UniqueIndex("(company_id)", "A company has one analysis state.")

    @api.model
    def _for_company(self, company):
        """The state of ``company``, created on first use."""
        state = self.sudo().search([("company_id", "=", company.id)], limit=1)
        return state or self.sudo().create({"company_id": company.id})

    @api.model
    def _revenue_totals(self, companies):
        """{company id: revenue total} for the revenue shares users see."""
        states = self.sudo().search_fetch([("company_id", "in", companies.ids)], ["company_id", "revenue_total"])
        return {state.company_id.id: state.revenue_total for state in states}
