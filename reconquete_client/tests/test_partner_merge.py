"""Merging two contacts with Odoo's merge wizard merges their reconquest files, and loses nothing."""

from datetime import timedelta

from odoo.tests import tagged

from .common import TODAY, ReconqueteCase


@tagged("reconquete_merge")
class TestPartnerMerge(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call_type = cls.env.ref("reconquete_client.mail_activity_type_reconquest_call")

    def _merge(self, partners, kept, user=None):
        # As a contact manager would, from the contacts' list (extra_checks: they have different emails).
        env = self.env(user=user) if user else self.env
        wizard = env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge(partners.ids, kept.with_env(env), extra_checks=False)

    def _activities(self, file, active=True):
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search([("res_model", "=", "reconquete.client"), ("res_id", "=", file.id), ("active", "=", active)])
        )

    def test_two_files_of_a_company_become_one_with_both_histories_notes_and_calls(self):
        kept = self._create_client("Kept Ltd")
        duplicate = self._create_client("Kept Limited")
        # Both slipped away a month apart: both are To Win Back, each with an open call.
        self._create_orders(kept, [60, 90, 120, 150])
        self._create_orders(duplicate, [75, 105, 135, 165])
        self._run_scheduled_action()
        replay = self.env["reconquete.replay"]
        replay._replay_all_companies()
        kept_file, duplicate_file = self._file(kept), self._file(duplicate)
        self.assertEqual((kept_file | duplicate_file).stage_id.mapped("code"), ["at_risk"])
        self.assertEqual(len(self._activities(kept_file)), 1)
        self.assertEqual(len(self._activities(duplicate_file)), 1)
        logged = (kept_file.history_ids | duplicate_file.history_ids).filtered(lambda line: not line.is_replayed)
        self.assertEqual(len(logged), 2, "one first look each, today")
        duplicate_file.message_post(body="Met their buyer at the trade fair.", subtype_xmlid="mail.mt_note")

        self._merge(kept | duplicate, kept)

        self.assertFalse(duplicate_file.exists())
        self.assertEqual(self._file(kept), kept_file, "the kept contact's file stays")
        self.assertEqual(kept_file.history_ids & logged, logged, "both logged histories are on the kept file")
        self.assertIn("Met their buyer at the trade fair.", "".join(kept_file.message_ids.mapped("body")))
        self.assertEqual(self._activities(kept_file).activity_type_id, self.call_type)
        self.assertEqual(len(self._activities(kept_file)), 1, "one open call: the database allows no second")
        self.assertIn(
            "which has this activity open already", "".join(kept_file.message_ids.mapped("body")), "the other is done"
        )
        self.assertFalse(self._activities(duplicate_file) | self._activities(duplicate_file, active=False))
        # The figures are read again from the merged orders at once, not at the weekly full pass.
        self.assertEqual(kept_file.purchase_days, 8)
        self.assertEqual(kept_file.first_purchase_date, TODAY - timedelta(days=165), "the duplicate's first order")
        # Its replayed history is the merged client's already: a whole replay changes nothing.
        self.assertTrue(kept_file.history_ids.filtered("is_replayed"))
        self.assertEqual(replay._replay_all_companies(), (0, 0, 0, 0, 0))

    def test_files_of_merged_contacts_move_to_the_kept_one_that_had_none(self):
        kept = self._create_client("New Entry Ltd")
        first, second = self._create_client("Old Entry One"), self._create_client("Old Entry Two")
        self._create_orders(first, [20, 50, 80])
        self._create_orders(second, [35, 65, 95])
        self._analyse()
        first_file, second_file = self._file(first), self._file(second)
        logged = first_file.history_ids | second_file.history_ids

        # A salesperson allowed to edit contacts, who sees neither of these clients' reconquests.
        self._merge(kept | first | second, kept, user=self.salesman)

        oldest, other = (first_file | second_file).sorted("id")
        merged = self._file(kept)
        self.assertEqual(merged, oldest, "the oldest file stays, now the kept contact's")
        self.assertFalse(other.exists())
        self.assertEqual(merged.history_ids & logged, logged)
        self.assertEqual(merged.purchase_days, 6)
