"""Reconquest activities: at most one open of a type per file, and the file knows its next one."""

from odoo import api, models
from odoo.tools import SQL


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # The database itself refuses a second open activity of the same type on a
    # file, even from two jobs running at once.
    _reconquete_unique_open = models.UniqueIndex(
        "(res_id, activity_type_id) WHERE active AND res_model = 'reconquete.client'",
        "This client already has an open reconquest activity of this type.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        self._reconquete_update_next_activity(activities._reconquete_file_ids())
        return activities

    def write(self, vals):
        files = self._reconquete_file_ids()
        res = super().write(vals)
        if vals.keys() & {"date_deadline", "active", "res_id", "res_model_id"}:
            self._reconquete_update_next_activity(files | self._reconquete_file_ids())
        return res

    def unlink(self):
        files = self._reconquete_file_ids()
        res = super().unlink()
        self._reconquete_update_next_activity(files)
        return res

    def _reconquete_file_ids(self):
        return {activity.res_id for activity in self.sudo() if activity.res_model == "reconquete.client"}

    @api.model
    def _reconquete_update_next_activity(self, file_ids):
        """The board sorts clients by their next activity: keep its date on the file."""
        if not file_ids:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE reconquete_client AS file
                   SET next_activity_date = (SELECT MIN(activity.date_deadline) FROM mail_activity AS activity
                                              WHERE activity.res_model = 'reconquete.client'
                                                AND activity.res_id = file.id AND activity.active)
                 WHERE file.id = ANY(%s)
                """,
                list(file_ids),
            )
        )
        self.env["reconquete.client"].invalidate_model(["next_activity_date"])
