"""Stage changes of each client, the ground of attrition and win-back indicators.

Written by the analysis in bulk: one foreign key (to the file) and stage
codes instead of links keep an insert of a hundred thousand changes cheap.
The replay (``reconquete.replay``) writes the lines before a client's first
logged one, marked ``is_replayed``.
"""

from odoo import fields, models

from .reconquete_stage import STAGE_SELECTION


class ReconqueteStageHistory(models.Model):
    _name = "reconquete.stage.history"
    _description = "Attrition Stage Change"
    _order = "date desc, id desc"
    _rec_name = "stage_to"
    _log_access = False

    client_id = fields.Many2one("reconquete.client", string="Reconquest", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(related="client_id.partner_id", string="Client")
    company_id = fields.Many2one(related="client_id.company_id")
    date = fields.Date(required=True)
    stage_from = fields.Selection(STAGE_SELECTION, string="From Stage")
    stage_to = fields.Selection(STAGE_SELECTION, string="To Stage")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        ondelete="set null",
        help="The client's salesperson on the day of the change.",
    )
    currency_id = fields.Many2one(related="client_id.currency_id")
    revenue = fields.Monetary(help="The client's revenue over the revenue window on the day of the change.")
    is_strategic = fields.Boolean(string="Strategic", help="Whether the client was strategic on the day of the change.")
    is_replayed = fields.Boolean(
        string="Replayed",
        readonly=True,
        help="Rebuilt from the purchases by the replay of the history before the addon logged this client, with "
        "the same rules as the nightly job. Solicitations and manual actions are not replayed: a replayed line "
        "is no logged work. Replayed lines do not know the strategic flag.",
    )

    # The replay compares, replaces and counts the replayed lines of a batch of files through it;
    # logged lines stay out of it (and out of its upkeep).
    _replayed_client_idx = models.Index("(client_id) WHERE is_replayed")
