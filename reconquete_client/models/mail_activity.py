"""Reconquest activities: tied to the company they were scheduled for."""

from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    reconquete_company_id = fields.Many2one(
        "res.company",
        string="Reconquest Company",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        help="On reconquest activities only: the company whose client is being won back.",
    )

    # The database itself refuses a second open reconquest activity of the
    # same type on a client, even from two jobs running at once.
    _reconquete_unique_open = models.UniqueIndex(
        "(res_id, activity_type_id, reconquete_company_id) WHERE active AND reconquete_company_id IS NOT NULL",
        "This client already has an open reconquest activity of this type.",
    )
