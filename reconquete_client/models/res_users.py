"""A salesperson who is deleted hands their open reconquest activities on, as an archived one does."""

from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.ondelete(at_uninstall=True)
    def _unlink_hand_over_reconquests(self):
        # Odoo deletes the activities of a deleted user: move them first to the
        # next person the stage's chain names (team leader, default user...).
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search([("res_model", "=", "reconquete.client"), ("user_id", "in", self.ids)])
        )
        if activities:
            self.env["reconquete.scheduler"]._hand_over(activities, leaving=self)
