"""Merging contacts merges their reconquest files: one file per client and company, nothing of either lost.

Odoo's merge moves every row pointing to the merged contacts onto the one
kept, in SQL. Reconquest files are unique per client and company, through a
unique index the merge does not know how to settle: two files of one company
made it fail, and deleting one in SQL would leave its chatter and activities
pointing nowhere. Before it runs, the files of each company are merged into
one, held by the kept contact's commercial entity; after it, that file's
figures are read again and its history replayed from the merged orders, not
at the weekly full pass.
"""

from markupsafe import Markup

from odoo import models

from ..models.reconquete_analysis import Scope


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        client = dst_partner.commercial_partner_id
        companies = self._merge_reconquest_files(src_partners, client)
        result = super()._update_foreign_keys(src_partners, dst_partner)
        analysis = self.env["reconquete.analysis"]
        today = self.env["reconquete.client"]._today()
        for company in companies:
            analysis._refresh_partners(client, company)
            # A company already replayed gets the merged client's replayed history now; otherwise the
            # replay to come writes it with everyone else's.
            if self.env["reconquete.replay.state"].sudo()._for_company(company).replay_date:
                self.env["reconquete.replay"].sudo()._replay_scope(company, today, Scope(None, None, client.ids))
        return result

    def _merge_reconquest_files(self, src_partners, client):
        """Leave one file per company, on ``client``; returns the companies that had a file to merge."""
        files = self.env["reconquete.client"].sudo().search([("partner_id", "in", (src_partners | client).ids)])
        companies = files.company_id
        for company_files in files.grouped("company_id").values():
            # The client's own file stays; else the oldest of the merged contacts' files.
            kept = company_files.filtered(lambda file: file.partner_id == client)[:1] or company_files.sorted("id")[:1]
            kept.partner_id = client
            for file in company_files - kept:
                self._move_reconquest_file(file, kept)
        return companies

    def _move_reconquest_file(self, file, kept):
        """Move what ``file`` holds onto ``kept``, then delete ``file``."""
        # Replayed lines and reconquests come from the purchases: they are replayed for the merged client.
        file.history_ids.filtered("is_replayed").unlink()
        file.reconquest_ids.filtered("is_replayed").unlink()
        file.history_ids.write({"client_id": kept.id})
        file.reconquest_ids.write({"client_id": kept.id, "partner_id": kept.partner_id.id})
        activities = self.env["mail.activity"].sudo().with_context(active_test=False)
        activities = activities.search([("res_model", "=", "reconquete.client"), ("res_id", "=", file.id)])
        kept.invalidate_recordset(["activity_ids"])
        open_types = kept.activity_ids.activity_type_id
        # The database allows one open activity of a type per file: the kept file's stays, this one is done.
        activities.filtered(
            lambda activity: activity.active and activity.activity_type_id in open_types
        ).action_feedback(
            feedback=self.env._(
                "Merged into the reconquest file of %(client)s, which has this activity open already.",
                client=kept.partner_id.display_name,
            )
        )
        # Done activities are archived, or deleted when their type keeps none: move what is left.
        activities.exists().write({"res_id": kept.id})
        messages = (
            self.env["mail.message"].sudo().search([("model", "=", "reconquete.client"), ("res_id", "=", file.id)])
        )
        messages.write({"res_id": kept.id})
        kept.message_subscribe(partner_ids=file.message_partner_ids.ids)
        kept.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Merged with the reconquest file of %(client)s: its history, notes and activities are here now.",
                client=file.partner_id.display_name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        file.unlink()
