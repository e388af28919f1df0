"""Reconquests found by the replay of the history, marked as such.

An extension of ``reconquete.reconquest`` (``reconquete_reconquest.py``) kept
apart with the replay that writes it: a replayed reconquest closed no
activity and names no document, its days are those of the purchase history.
"""

from odoo import fields, models


class ReconqueteReconquest(models.Model):
    _inherit = "reconquete.reconquest"

    is_replayed = fields.Boolean(
        string="Replayed",
        readonly=True,
        help="Found by the replay of the purchase history before the addon logged this client: the client bought "
        "again after entering To Win Back or Lost. Nobody's work is known for it.",
    )
