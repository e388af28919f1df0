"""The bathtub and the win-back rates per departure reason and per action, on a small history computed by hand.

History (the first month is January 2026):
- A, first purchase 2026-01-10: new; watch 03-15; at risk 04-20; won back 05-25.
- B, a client since 2025 (first purchase 2025-06-01), first seen active on 01-05 (no event); at risk 02-10;
  lost 03-20. Its departure reason: price.
- C, first purchase 2026-02-14: new.
- D, first seen at risk on 01-08 (an episode from the start of its history); won back 02-20. Reason: price.

Per month: January gains A (B and D were there before: no change), February gains C and loses B to "To Win
Back" while D comes back, March loses B, April loses A to "To Win Back", May wins A back.
"""

from datetime import date

from odoo.tests import tagged

from .common import ReconqueteCase


@tagged("reconquete_replay", "reconquete_indicators")
class TestBathtub(ReconqueteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        price = cls.env.ref("reconquete_client.departure_reason_price")
        first_purchases = {"A": date(2026, 1, 10), "B": date(2025, 6, 1), "C": date(2026, 2, 14), "D": date(2024, 3, 1)}
        cls.files = {
            name: cls.env["reconquete.client"]
            .sudo()
            .create(
                {
                    "partner_id": cls._create_client(name).id,
                    "company_id": cls.company.id,
                    "first_purchase_date": first_purchase,
                    "departure_reason_id": price.id if name in ("B", "D") else False,
                }
            )
            for name, first_purchase in first_purchases.items()
        }
        changes = [
            ("A", date(2026, 1, 10), None, "new", True),
            ("A", date(2026, 3, 15), "new", "watch", True),
            ("A", date(2026, 4, 20), "watch", "at_risk", True),
            ("A", date(2026, 5, 25), "at_risk", "won_back", False),
            ("B", date(2026, 1, 5), None, "active", True),
            ("B", date(2026, 2, 10), "active", "at_risk", True),
            ("B", date(2026, 3, 20), "at_risk", "lost", True),
            ("C", date(2026, 2, 14), None, "new", True),
            ("D", date(2026, 1, 8), None, "at_risk", True),
            ("D", date(2026, 2, 20), "at_risk", "won_back", True),
        ]
        cls.env["reconquete.stage.history"].sudo().create(
            [
                {
                    "client_id": cls.files[name].id,
                    "date": day,
                    "stage_from": from_code or False,
                    "stage_to": to_code,
                    "user_id": cls.salesman.id,
                    "is_replayed": replayed,
                }
                for name, day, from_code, to_code, replayed in changes
            ]
        )
        # The reconquest work logged on A while it was at risk; the call on D was closed by its win.
        call = cls.env.ref("reconquete_client.mail_activity_type_reconquest_call")
        invitation = cls.env.ref("reconquete_client.mail_activity_type_winback_invitation")
        activities = (
            cls.env["mail.activity"]
            .sudo()
            .create(
                [
                    {
                        "res_model_id": cls.env["ir.model"]._get_id("reconquete.client"),
                        "res_id": cls.files[name].id,
                        "activity_type_id": activity_type.id,
                        "user_id": cls.salesman.id,
                        "date_deadline": done,
                        "date_done": done,
                        "active": False,
                    }
                    for name, activity_type, done in (
                        ("A", call, date(2026, 4, 22)),
                        ("A", invitation, date(2026, 5, 2)),
                        ("A", call, date(2026, 6, 1)),  # after the win: not an action before it
                        ("B", call, date(2026, 2, 12)),
                        ("D", call, date(2026, 2, 20)),
                    )
                ]
            )
        )
        cls.env["reconquete.reconquest"].sudo().create(
            {
                "client_id": cls.files["D"].id,
                "risk_date": date(2026, 1, 8),
                "won_back_date": date(2026, 2, 20),
                "closed_activity_ids": [(6, 0, activities[-1].ids)],
            }
        )

    def _monthly(self, *fields):
        # Up to June: the months after it (the database's today) hold the clients' last stages.
        groups = self.env["reconquete.indicator"]._read_group(
            [("company_id", "=", self.company.id), ("month", "<=", date(2026, 6, 1))],
            ["month:month"],
            [f"{name}:sum" for name in fields],
        )
        return {month: figures for month, *figures in groups}

    def test_bathtub_counts(self):
        self.assertEqual(
            self._monthly("gained", "won_back", "entered_lost", "net_change", "active_at_start"),
            {
                # gained, won back, lost, net change, active at the start of the month
                date(2026, 1, 1): [1, 0, 0, 1, 0],
                date(2026, 2, 1): [1, 1, 0, 1, 2],  # A and B active on February 1st
                date(2026, 3, 1): [0, 0, 1, 0, 3],  # A, C, D
                date(2026, 4, 1): [0, 0, 0, -1, 3],  # A, C, D
                date(2026, 5, 1): [0, 1, 0, 1, 2],  # C, D
                date(2026, 6, 1): [0, 0, 0, 0, 3],  # A, C, D
            },
        )

    def test_flow_graph_rows(self):
        groups = self.env["reconquete.flow"]._read_group(
            [("company_id", "=", self.company.id)], ["month:month", "flow"], ["clients:sum"]
        )
        flows = {(month, flow): clients for month, flow, clients in groups}
        self.assertEqual(
            flows,
            {
                (date(2026, 1, 1), "gained"): 1,
                (date(2026, 1, 1), "net_change"): 1,
                (date(2026, 2, 1), "gained"): 1,
                (date(2026, 2, 1), "won_back"): 1,
                (date(2026, 2, 1), "net_change"): 1,
                (date(2026, 3, 1), "lost"): -1,
                (date(2026, 4, 1), "net_change"): -1,
                (date(2026, 5, 1), "won_back"): 1,
                (date(2026, 5, 1), "net_change"): 1,
            },
        )

    def test_rates_stay_ratios_of_sums(self):
        [(attrition, win_back)] = self.env["reconquete.indicator"]._read_group(
            [
                ("company_id", "=", self.company.id),
                ("month", ">=", date(2026, 2, 1)),
                ("month", "<=", date(2026, 5, 1)),
            ],
            [],
            ["attrition_rate:avg", "win_back_rate:avg"],
        )
        # Lost: B in March, out of 2 + 3 + 3 + 2 active client-months; won back: D and A, for B and A
        # entering the risk (D's first look at risk is no entry).
        self.assertAlmostEqual(attrition, 10.0)
        self.assertAlmostEqual(win_back, 100.0)

    def test_episodes(self):
        episodes = self.env["reconquete.episode"].search([("company_id", "=", self.company.id)], order="risk_date")
        self.assertEqual(
            [(e.partner_id.name, e.risk_date, e.won_back_date, e.days_to_win_back, e.is_replayed) for e in episodes],
            [
                ("D", date(2026, 1, 8), date(2026, 2, 20), 43, True),
                ("B", date(2026, 2, 10), False, 0, True),
                ("A", date(2026, 4, 20), date(2026, 5, 25), 35, True),
            ],
        )

    def test_win_back_rate_per_departure_reason(self):
        groups = self.env["reconquete.episode"]._read_group(
            [("company_id", "=", self.company.id)],
            ["departure_reason_id"],
            ["episodes:sum", "won_back:sum", "win_back_rate:avg"],
        )
        rates = {reason.name or "none": (episodes, won, rate) for reason, episodes, won, rate in groups}
        self.assertEqual(rates, {"Price": (2, 1, 50.0), "none": (1, 1, 100.0)})

    def test_win_back_rate_per_action(self):
        groups = self.env["reconquete.episode"]._read_group(
            [("company_id", "=", self.company.id)],
            ["action_type_ids"],
            ["episodes:sum", "won_back:sum", "win_back_rate:avg"],
        )
        rates = {action.name or "none": (episodes, won, rate) for action, episodes, won, rate in groups}
        # A: a call and an invitation, won back; B: a call, lost; D: its call was closed by the win.
        self.assertEqual(
            rates,
            {"Reconquest Call": (2, 1, 50.0), "Win-back Invitation": (1, 1, 100.0), "none": (1, 1, 100.0)},
        )
