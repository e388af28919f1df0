"""The rules in SQL agree with the rules in Python (the product contract), to the day."""

import random
from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import SQL

from .. import attrition_rules
from ..models.reconquete_analysis import FIGURE_COLUMNS, FIGURE_NAMES
from .common import TODAY, ReconqueteCase

STAGES = [None, *attrition_rules.RISK_STAGES, *attrition_rules.LIVING_STAGES]
# Settings of the company under test: the defaults, then stricter and looser ones.
SETTINGS = [
    {},
    {
        "reconquete_watch_factor": 1.5,
        "reconquete_at_risk_factor": 1.5,
        "reconquete_lost_days": 200,
        "reconquete_min_purchase_days": 2,
        "reconquete_default_interval": 60,
    },
    {
        "reconquete_watch_factor": 1.25,
        "reconquete_at_risk_factor": 3.0,
        "reconquete_lost_days": 800,
        "reconquete_analysis_months": 13,
        "reconquete_strategic_years": 1,
        "reconquete_strategic_share": 2.0,
        "reconquete_steady_max_variation": 0.3,
        "reconquete_solicitation_limit": 1,
    },
]


@tagged("reconquete_rules")
class TestAssessmentSql(ReconqueteCase):
    def _random_case(self, rng):
        purchase_days = rng.choice([0, 1, 2, 3, 5, 12])
        last = TODAY - timedelta(days=rng.choice([0, 1, 5, 29, 30, 31, 45, 46, 91, 135, 136, 200, 365, 366, 800]))
        first = last - timedelta(days=rng.choice([0, 10, 90, 400, 1000, 1095, 1096, 1200]))
        mean = None if purchase_days < 2 else rng.choice([1.0, 7.0, 30.0, 30.5, 90.0, 97.5, 300.0])
        return {
            "rhythm": attrition_rules.Rhythm(
                purchase_days=purchase_days,
                first_purchase=first,
                last_purchase=last,
                mean_interval=mean,
                median_interval=mean,
                interval_spread=None if mean is None else rng.choice([None, 0.0, 10.0, 45.0, 300.0]),
            ),
            "revenue": rng.choice([0.0, -50.0, 10.0, 400.0, 5000.0]),
            "unanswered": rng.choice([0, 0, 1, 3, 5]),
            "override": rng.choice(["auto", "auto", "on", "off"]),
            "previous": (
                stage := rng.choice(STAGES),
                None if stage is None else TODAY - timedelta(days=rng.choice([0, 3, 10, 29, 30, 31, 100])),
            ),
        }

    def _sql_values(self, index, case, stage_ids):
        rhythm = case["rhythm"]
        stored = dict.fromkeys(FIGURE_NAMES)
        stored["stage_id"] = stage_ids.get(case["previous"][0])
        stored["stage_date"] = case["previous"][1]
        types = dict(FIGURE_COLUMNS)
        return SQL(
            "(%s, NULL::int4, %s, %s::int4, %s::date, %s::date, %s::float8, %s::float8, %s::float8, %s::numeric, "
            "%s::int4, %s)",
            index,
            case["override"],
            rhythm.purchase_days,
            rhythm.first_purchase,
            rhythm.last_purchase,
            rhythm.mean_interval,
            rhythm.median_interval,
            rhythm.interval_spread,
            case["revenue"],
            case["unanswered"],
            SQL(", ").join(SQL("%s::%s", stored[name], SQL(types[name])) for name in FIGURE_NAMES),
        )

    def test_sql_and_python_agree_on_thousands_of_clients(self):
        rng = random.Random(20261125)
        stage_ids = self.env["reconquete.stage"]._ids_by_code()
        stage_codes = {stage_id: code for code, stage_id in stage_ids.items()}
        total = 8000.0
        self._state().revenue_total = total
        checked = 0
        for settings in SETTINGS:
            self.company.write(settings)
            thresholds = self.company._reconquete_thresholds()
            cases = [self._random_case(rng) for _index in range(800)]
            columns = ", ".join(
                [
                    "partner_id",
                    "file_id",
                    "override",
                    "purchase_days",
                    "first_purchase",
                    "last_purchase",
                    "mean_interval",
                    "median_interval",
                    "interval_spread",
                    "revenue",
                    "unanswered",
                ]
                + [f"stored_{name}" for name in FIGURE_NAMES]
            )
            client_select = SQL(
                "SELECT * FROM (VALUES %s) AS client(%s)",
                SQL(", ").join(self._sql_values(index, case, stage_ids) for index, case in enumerate(cases)),
                SQL(columns),
            )
            self.env["reconquete.assessment"]._create_batch_table(
                self.company, TODAY, SQL(), client_select, FIGURE_NAMES
            )
            self.env.cr.execute(
                "SELECT partner_id, stage_id, stage_date, reference_interval, expected_date, watch_date, alert_date, "
                "lost_date, next_review_date, strategic_reason, is_strategic FROM reconquete_batch ORDER BY partner_id"
            )
            rows = self.env.cr.fetchall()
            self.assertEqual(len(rows), len(cases))
            for row in rows:
                case = cases[row[0]]
                share = 100.0 * case["revenue"] / total if case["revenue"] > 0 else 0.0
                expected = attrition_rules.assess(
                    case["rhythm"],
                    thresholds,
                    TODAY,
                    revenue_share=share,
                    previous=case["previous"],
                    unanswered=case["unanswered"],
                    override=case["override"],
                )
                got = (stage_codes.get(row[1]), row[2], row[3], *row[4:10], bool(row[10]) if row[1] else None)
                want = (
                    expected.stage,
                    expected.stage_date,
                    expected.reference_interval,
                    expected.expected_date,
                    expected.watch_date,
                    expected.alert_date,
                    expected.lost_date,
                    expected.next_review,
                    expected.strategic_reason,
                    bool(expected.strategic_reason) if expected.stage else None,
                )
                self.assertEqual(got, want, f"settings {settings}, case {case}")
                checked += 1
        self.assertEqual(checked, 3 * 800)
