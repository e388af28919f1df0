"""Why a client left: a list the administrator keeps, with what each reason implies."""

from odoo import fields, models


class ReconqueteDepartureReason(models.Model):
    _name = "reconquete.departure.reason"
    _description = "Client Departure Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    follow_up = fields.Selection(
        string="Follow-up Action",
        selection=[
            ("none", "Nothing special"),
            ("reassign", "Offer to assign another salesperson"),
            ("exclude", "Exclude the client from reconquest"),
        ],
        default="none",
        required=True,
        help="What choosing this reason does on the client: a relationship problem calls for "
        "another salesperson; a closed business needs no more reconquest activities.",
    )
