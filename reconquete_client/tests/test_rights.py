"""Who reads the figures, and that nobody but the analysis writes them."""

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import ReconqueteCase

# A value to try on every field of the file a user could wish to forge.
FORGED_VALUES = {
    "stage_id": "lost_stage",
    "stage_date": "2020-01-01",
    "last_purchase_date": "2030-01-01",
    "first_purchase_date": "2000-01-01",
    "purchase_days": 99,
    "revenue": 1e9,
    "mean_interval": 1.0,
    "reference_interval": 1.0,
    "next_review_date": "2000-01-01",
    "is_strategic": True,
    "strategic_reason": "manager",
    "strategic_override": "on",
    "excluded": True,
    "snoozed_until": "2030-01-01",
    "unanswered_count": 50,
    "departure_note": "forged",
}


@tagged("reconquete_rights")
class TestRights(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_seller = cls._create_user("reconquete_other_seller", "sales_team.group_sale_salesman")
        cls.mine = cls._create_client("My client", user_id=cls.salesman.id)
        cls.theirs = cls._create_client("Their client", user_id=cls.other_seller.id)
        cls.nobodys = cls._create_client("Nobody's client")
        for client in cls.mine | cls.theirs | cls.nobodys:
            cls._create_orders(client, [60, 90, 120, 150])
        cls.env["reconquete.analysis"]._analyse_all_companies()
        cls.lost_stage = cls.env.ref("reconquete_client.reconquete_stage_lost")

    def _snapshot(self, file):
        file.invalidate_recordset()
        return {name: file[name] for name in FORGED_VALUES}

    def test_contact_editor_cannot_forge_a_figure(self):
        """A salesman allowed to edit contacts tries every figure, on the file and through the contact."""
        file = self._file(self.mine)
        before = self._snapshot(file)
        for name, value in FORGED_VALUES.items():
            value = self.lost_stage.id if value == "lost_stage" else value
            with self.subTest(field=name), self.assertRaises(AccessError):
                file.with_user(self.salesman).write({name: value})
        values_by_type = {
            "many2one": self.lost_stage.id,
            "one2many": [Command.create({"company_id": self.company.id})],
            "date": "2030-01-01",
            "boolean": True,
            "selection": "manager",
            "text": "forged",
        }
        partner_fields = [name for name in self.env["res.partner"]._fields if name.startswith("reconquete_")]
        for name in partner_fields:
            value = values_by_type.get(self.env["res.partner"]._fields[name].type, 99)
            # Refused with the field's name, not dropped without a word as Odoo does for read-only fields.
            with self.subTest(field=name), self.assertRaisesRegex(UserError, rf"\({name}\)"):
                self.mine.with_user(self.salesman).write({name: value})
        with self.assertRaisesRegex(UserError, r"\(reconquete_excluded\)"):
            self.env["res.partner"].with_user(self.salesman).create({"name": "Forged", "reconquete_excluded": True})
        self.env.invalidate_all()
        self.assertEqual(self._snapshot(file), before, "no figure changed")
        with self.assertRaises(AccessError):
            self.env["reconquete.client"].with_user(self.salesman).create(
                {"partner_id": self.theirs.id, "company_id": self.company.id}
            )

    def test_salesman_reads_own_and_unassigned_clients_only(self):
        files = self.env["reconquete.client"].with_user(self.other_seller).search([])
        self.assertEqual(files.partner_id, self.theirs | self.nobodys, "like Sales' own-documents rule on orders")
        with self.assertRaises(AccessError):
            self._file(self.mine).with_user(self.other_seller).read(["stage_id"])
        self.assertFalse(self.mine.with_user(self.other_seller).reconquete_stage_id, "not through the contact either")
        self.assertFalse(
            self.env["res.partner"]
            .with_user(self.other_seller)
            .search([("reconquete_stage_id.code", "=", "at_risk"), ("id", "=", self.mine.id)]),
            "nor through a search on the contact",
        )
        self.assertEqual(
            self.env["reconquete.client"].with_user(self.sales_manager).search_count([]), 3, "managers see all"
        )

    def test_portal_and_users_without_sales_rights_read_nothing(self):
        portal = new_test_user(self.env, login="reconquete_portal", groups="base.group_portal")
        employee = self._create_user("reconquete_employee", "base.group_user")
        for user in (portal, employee):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self._file(self.mine).with_user(user).read(["revenue"])
                with self.assertRaises(AccessError):
                    self.mine.with_user(user).read(["reconquete_revenue"])
                with self.assertRaises(AccessError):
                    self.env["reconquete.stage.history"].with_user(user).search([])

    def test_another_company_reads_no_note_nor_activity(self):
        other = self.setup_other_company()["company"]
        manager_b = new_test_user(
            self.env,
            login="reconquete_manager_b",
            groups="sales_team.group_sale_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        file = self._file(self.nobodys)
        file._log_note("Called the owner: unhappy with the last delivery.")
        self._run_scheduled_action()
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "reconquete.client"), ("res_id", "=", file.id)]
        )
        self.assertTrue(activities)
        self.assertTrue(self.nobodys.with_user(manager_b).name, "the shared client itself is readable")
        with self.assertRaises(AccessError):
            file.with_user(manager_b).message_ids.read(["body"])
        with self.assertRaises(AccessError):
            activities.with_user(manager_b).read(["note"])
        self.assertFalse(
            self.env["mail.message"]
            .with_user(manager_b)
            .search([("model", "=", "reconquete.client"), ("res_id", "=", file.id)])
        )
