"""Where the replay of one company's history stands: asked for, under way, done.

Bookkeeping of the replay's scheduled action (``reconquete.replay``), like
``reconquete.analysis.state`` for the nightly analysis: written between
batches, never edited by hand.
"""

from odoo import api, fields, models


class ReconqueteReplayState(models.Model):
    _name = "reconquete.replay.state"
    _description = "Reconquest History Replay State"
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    requested = fields.Boolean(
        help="A replay is asked for (rules changed, or a manager's request): the scheduled action runs it after the "
        "day's analysis."
    )
    replay_date = fields.Date(string="Last Replay", help="Day the last complete replay of every client ended.")
    started_on = fields.Date(help="Day the replay under way started (its history ends the day before).")
    next_client_id = fields.Integer(help="Where the replay under way resumes (0 when none is under way).")
    retry_on = fields.Date(help="A batch of the last replay failed (see the log): the replay runs again on this day.")
    replayed_lines = fields.Integer(
        string="Replayed Stage Changes", help="Stage changes the last complete replay holds for this company."
    )
    replayed_wins = fields.Integer(
        string="Replayed Reconquests", help="Reconquests the last complete replay holds for this company."
    )

    _company_unique = models.UniqueIndex("(company_id)", "A company has one replay state.")

    @api.model
    def _for_company(self, company):
        """The state of ``company``, created on first use."""
        state = self.sudo().search([("company_id", "=", company.id)], limit=1)
        return state or self.sudo().create({"company_id": company.id})

    def _is_due(self, today):
        """A replay is asked for, under way, to retry, or was never run (an upgraded database)."""
        self.ensure_one()
        return (
            self.requested
            or bool(self.next_client_id)
            or not self.replay_date
            or bool(self.retry_on and self.retry_on <= today)
        )
