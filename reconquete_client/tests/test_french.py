from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import ReconqueteCase


@tagged("reconquete_french")
class TestFrench(ReconqueteCase):
    """The French catalogue loads into Odoo and reaches what users read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"].sudo()._activate_lang("fr_FR")
        cls.env["ir.module.module"].sudo()._load_module_terms(["reconquete_client"], ["fr_FR"], overwrite=True)

    def test_stage_names(self):
        stages = self.env["reconquete.stage"].with_context(lang="fr_FR").search([])
        self.assertEqual(
            stages.mapped("name"), ["Nouveau", "Actif", "À surveiller", "À reconquérir", "Perdu", "Reconquis"]
        )

    def test_field_labels(self):
        fields = self.env["res.partner"].with_context(lang="fr_FR").fields_get(["reconquete_silence_days"])
        self.assertEqual(fields["reconquete_silence_days"]["string"], "Jours de silence")

    def test_error_message(self):
        with self.assertRaises(ValidationError) as caught:
            self.company.with_context(lang="fr_FR").reconquete_default_interval = 0
        self.assertIn("(valeur saisie", str(caught.exception))
        self.assertIn("Intervalle par défaut", str(caught.exception))

    def test_refused_contact_field_in_french(self):
        client = self._create_client("Client en français")
        with self.assertRaises(UserError) as caught:
            client.with_context(lang="fr_FR").write({"reconquete_excluded": True})
        self.assertIn("Exclus (reconquete_excluded) : ces champs de reconquête", str(caught.exception))

    def test_activity_note_in_the_assignees_language(self):
        self.salesman.lang = "fr_FR"
        client = self._create_client("Client silencieux", user_id=self.salesman.id)
        self._create_orders(client, [60, 90, 120, 150])
        self._run_scheduled_action()
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "reconquete.client"), ("res_id", "=", self._file(client).id)]
        )
        self.assertIn("Silencieux depuis 60 jours", activity.note)
