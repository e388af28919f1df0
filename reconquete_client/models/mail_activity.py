"""Reconquest activities: at most one open activity of a type on a reconquest file."""

from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # The database itself refuses a second open activity of the same type on a
    # file, even from two jobs running at once.
    _reconquete_unique_open = models.UniqueIndex(
        "(res_id, activity_type_id) WHERE active AND res_model = 'reconquete.client'",
        "This client already has an open reconquest activity of this type.",
    )
