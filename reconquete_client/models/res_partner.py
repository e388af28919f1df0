"""A client's reconquest figures where users look for them: on the contact.

The figures live in ``reconquete.client`` (one file per company); the fields
here read the current company's file, obey its access rules, and can be
searched and filtered like any field. The buttons of the contact form act on
that file.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

RECONQUETE_GROUP = "reconquete_client.group_reconquete_user"


def file_field(name, field_type, **kwargs):
    """A field of the partner that reads the current company's file."""
    return field_type(related=f"reconquete_client_id.{name}", groups=RECONQUETE_GROUP, **kwargs)


class ResPartner(models.Model):
    _inherit = "res.partner"

    reconquete_client_ids = fields.One2many(
        "reconquete.client", "partner_id", string="Reconquest Files", groups=RECONQUETE_GROUP
    )
    reconquete_client_id = fields.Many2one(
        "reconquete.client",
        string="Reconquest",
        compute="_compute_reconquete_client_id",
        search="_search_reconquete_client_id",
        groups=RECONQUETE_GROUP,
        help="The client's reconquest file in the current company.",
    )
    reconquete_stage_id = file_field("stage_id", fields.Many2one)
    reconquete_stage_code = file_field("stage_code", fields.Selection)
    reconquete_stage_date = file_field("stage_date", fields.Date)
    reconquete_is_strategic = file_field("is_strategic", fields.Boolean)
    reconquete_strategic_reason = file_field("strategic_reason", fields.Selection)
    reconquete_purchase_days = file_field("purchase_days", fields.Integer)
    reconquete_first_purchase_date = file_field("first_purchase_date", fields.Date)
    reconquete_last_purchase_date = file_field("last_purchase_date", fields.Date)
    reconquete_mean_interval = file_field("mean_interval", fields.Float)
    reconquete_median_interval = file_field("median_interval", fields.Float)
    reconquete_interval_spread = file_field("interval_spread", fields.Float)
    reconquete_reference_interval = file_field("reference_interval", fields.Float)
    reconquete_expected_date = file_field("expected_date", fields.Date)
    reconquete_alert_date = file_field("alert_date", fields.Date)
    reconquete_currency_id = file_field("currency_id", fields.Many2one, string="Company Currency")
    reconquete_revenue = file_field("revenue", fields.Monetary, currency_field="reconquete_currency_id")
    reconquete_revenue_share = file_field("revenue_share", fields.Float)
    reconquete_silence_days = file_field("silence_days", fields.Integer)
    reconquete_relationship_years = file_field("relationship_years", fields.Float)
    reconquete_unanswered_count = file_field("unanswered_count", fields.Integer)
    reconquete_departure_reason_id = file_field("departure_reason_id", fields.Many2one)
    reconquete_departure_note = file_field("departure_note", fields.Text)
    reconquete_snoozed_until = file_field("snoozed_until", fields.Date)
    reconquete_excluded = file_field("excluded", fields.Boolean)

    @api.depends_context("company", "uid")
    def _compute_reconquete_client_id(self):
        # As the user, never sudo (related fields compute in sudo): a salesperson
        # limited to their own documents finds only their files.
        files = (
            self.env["reconquete.client"]
            .with_user(self.env.uid)
            .search([("partner_id", "in", self.ids), ("company_id", "=", self.env.company.id)])
        )
        by_partner = {file.partner_id.id: file for file in files}
        for partner in self:
            partner.reconquete_client_id = by_partner.get(partner.id, False)

    def _search_reconquete_client_id(self, operator, value):
        in_company = Domain("company_id", "=", self.env.company.id)
        if operator in ("any", "not any", "any!", "not any!"):
            # Always with the file's access rules (never "any!"): a search must not
            # reveal the figures of files the user may not read.
            return Domain("reconquete_client_ids", operator.rstrip("!"), in_company & Domain(value))
        if operator not in ("in", "not in"):
            return NotImplemented
        file_ids = [file_id for file_id in value if file_id]
        domain = Domain("reconquete_client_ids", "any", in_company & Domain("id", "in", file_ids))
        if False in value:
            domain |= Domain("reconquete_client_ids", "not any", in_company)
        return domain if operator == "in" else ~domain

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._reconquete_refuse_figures(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._reconquete_refuse_figures(vals)
        previous = {partner.id: partner.user_id for partner in self} if "user_id" in vals else {}
        res = super().write(vals)
        if previous:
            self._reconquete_follow_salesperson(previous)
        return res

    @api.model
    def _reconquete_refuse_figures(self, vals):
        """Refuse a value for the reconquest fields: the analysis and the file's buttons write them.

        Odoo would drop it without a word (they are read-only), and the caller,
        an import script say, would believe it stored.
        """
        if figures := [name for name in vals if name.startswith("reconquete_") and name in self._fields]:
            labels = [f"{self._fields[name]._description_string(self.env)} ({name})" for name in figures]
            raise UserError(
                self.env._(
                    "%(fields)s: these reconquest fields are written only by the analysis of the client's "
                    "orders and invoices and by the buttons of its reconquest file (Snooze, Exclude, Departure "
                    "Reason, Change beside Strategic), not on the contact.",
                    fields=", ".join(labels),
                )
            )

    def _reconquete_follow_salesperson(self, previous):
        """A new salesperson takes over the open reconquest activities the previous one held.

        The executive's and the default user's activities stay where they are.
        """
        files = self.env["reconquete.client"].sudo().search([("partner_id", "in", list(previous))])
        activities = self.env["reconquete.scheduler"]._open_activities(files)
        for file in files:
            old, new = previous[file.partner_id.id], file.partner_id.user_id
            moved = activities.filtered(
                lambda activity, file=file, old=old: activity.res_id == file.id and old and activity.user_id == old
            )
            if not new or old == new or not moved:
                continue
            moved.write({"user_id": new.id})
            file._log_note(
                self.env._(
                    "New salesperson %(new)s (was %(old)s): open activities moved to them: %(names)s.",
                    new=new.name,
                    old=old.name,
                    names=", ".join(moved.mapped("activity_type_id.name")),
                )
            )

    # ------------------------------------------------------------------
    # The contact form's buttons act on the current company's file
    # ------------------------------------------------------------------

    def _reconquete_file(self):
        self.ensure_one()
        file = self.commercial_partner_id.reconquete_client_id
        if not file:
            raise UserError(
                self.env._(
                    "%(client)s has no reconquest file in %(company)s: it never bought there.",
                    client=self.commercial_partner_id.display_name,
                    company=self.env.company.name,
                )
            )
        return file

    def action_reconquete_open(self):
        file = self._reconquete_file()
        return {
            "type": "ir.actions.act_window",
            "res_model": "reconquete.client",
            "res_id": file.id,
            "view_mode": "form",
        }

    def action_reconquete_no_answer(self):
        return self._reconquete_file().action_no_answer()

    def action_reconquete_snooze(self):
        return self._reconquete_file().action_snooze()

    def action_reconquete_exclude(self):
        return self._reconquete_file().action_exclude()

    def action_reconquete_resume(self):
        return self._reconquete_file().action_resume()

    def action_reconquete_record_departure(self):
        return self._reconquete_file().action_record_departure()

    def action_reconquete_schedule(self):
        return self._reconquete_file().action_schedule()

    def action_reconquete_analyse(self):
        """Analyse these clients now, in every allowed company (a manager's button)."""
        files = self.env["reconquete.client"].search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "in", self.env.companies.ids)]
        )
        if not files:
            raise UserError(self.env._("None of these clients has bought yet: there is nothing to analyse."))
        return files.action_analyse()
