"""Calibration of the alert threshold on the company's own history.

"Is 1.5 times the usual interval the right alarm for our clients?" For the
current factor and a few candidates, every silence of every client over the
analysis window is measured as the rules would have judged it: did the
client cross the alert threshold (interval x factor), did it then buy again
on its own before it would have been lost (a false alarm), or was it lost,
and how many days of warning did the alert give before that. All candidates
come out of one SQL statement over the purchase gaps, with the usual
interval known on the day of the purchase that opened each silence (no
look-ahead), instead of replaying the history once per factor.
"""

from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_date, formatLang

from ..attrition_rules import months_before

# Alert factors measured besides the company's own (see ``_candidate_factors``).
CANDIDATE_FACTORS = (1.25, 1.5, 2.0, 3.0)
# A calibration older than this is computed again by the replay's scheduled action.
STALE_AFTER_DAYS = 7


class ReconqueteCalibration(models.Model):
    _name = "reconquete.calibration"
    _description = "Alert Threshold Calibration"
    _order = "company_id, factor"
    _rec_name = "factor"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    factor = fields.Float(
        string="Alert After (x interval)",
        digits=(4, 2),
        readonly=True,
        help='The "To Win Back After" factor measured: a client is alerted once silent for its usual interval '
        "times this factor.",
    )
    alerts = fields.Integer(
        readonly=True,
        help="Times a client stayed silent past the alert threshold during the analysis window (a client can "
        "raise several).",
    )
    false_alarms = fields.Integer(
        readonly=True,
        help="Alerts after which the client bought again on its own before it would have been lost.",
    )
    lost = fields.Integer(readonly=True, help="Alerts after which the client stayed silent until it was lost.")
    open_alerts = fields.Integer(readonly=True, help="Alerts still open today: the client is silent but not lost yet.")
    false_alarm_rate = fields.Float(
        string="False Alarms (%)",
        digits=(16, 1),
        readonly=True,
        help="False alarms out of the alerts whose outcome is known (false alarms and lost).",
    )
    median_warning_days = fields.Float(
        string="Median Warning (days)",
        digits=(16, 1),
        readonly=True,
        help="Days between the alert and the day the client was lost, for half of the lost clients at least.",
    )
    date = fields.Date(string="Computed On", readonly=True)
    period_start = fields.Date(readonly=True, help="First day of the period measured (the analysis window).")

    _company_factor_unique = models.UniqueIndex("(company_id, factor)", "A factor is measured once per company.")

    @api.model
    def _candidate_factors(self, company):
        """The factors measured: the candidates and the company's own, within the allowed range."""
        lowest, highest, _open = company._reconquete_bounds()["reconquete_at_risk_factor"]
        factors = {*CANDIDATE_FACTORS, company.reconquete_at_risk_factor}
        return sorted(
            round(factor, 2)
            for factor in factors
            if company.reconquete_watch_factor <= factor and lowest <= factor <= highest
        )

    @api.model
    def _is_stale(self, company, today):
        newest = self.sudo().search([("company_id", "=", company.id)], order="date desc", limit=1)
        return not newest or (today - newest.date).days >= STALE_AFTER_DAYS

    @api.model
    def _calibrate(self, company, today):
        """Measure every candidate factor on the company's purchase gaps, and store the figures."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))  # see reconquete.analysis._fetch_figures
        rows = self.env.execute_query(self._calibration_query(company, today))
        self.sudo().search([("company_id", "=", company.id)]).unlink()
        period_start = self._period_start(company, today)
        return self.sudo().create(
            [
                {
                    "company_id": company.id,
                    "factor": factor,
                    "alerts": alerts,
                    "false_alarms": false_alarms,
                    "lost": lost,
                    "open_alerts": alerts - false_alarms - lost,
                    "false_alarm_rate": 100.0 * false_alarms / (false_alarms + lost) if false_alarms + lost else 0.0,
                    "median_warning_days": median or 0.0,
                    "date": today,
                    "period_start": period_start,
                }
                for factor, alerts, false_alarms, lost, median in rows
            ]
        )

    @api.model
    def _period_start(self, company, today):
        return months_before(today, company.reconquete_analysis_months)

    @api.model
    def _calibration_query(self, company, today):
        """Per candidate factor: alerts, false alarms, lost, median warning (days).

        A silence runs from a purchase day to the next (or to today). Its
        alert day is the first day past interval x factor, its lost day the
        first past the lost delay and the alert threshold, as in
        ``attrition_rules.threshold_dates``, with the usual interval the
        analysis had on the purchase day. It raises an alert when the alert
        day comes before the next purchase and falls in the analysis window;
        the alert is false when the next purchase comes by the lost day, lost
        when the lost day comes first (and is past).
        """
        thresholds = company._reconquete_thresholds()
        factors = self._candidate_factors(company)
        window = SQL("%s::interval", f"{thresholds.analysis_months} months")
        purchase_days = (
            self.env["reconquete.analysis"]
            ._source(company)
            ._reconquete_purchase_days_query(company, SQL("TRUE"), today, None)
        )
        return SQL(
            """
            WITH purchase_day AS (%(purchase_days)s),
            gap AS (
                SELECT day,
                       LEAD(day) OVER (PARTITION BY client_id ORDER BY day) AS next_day,
                       COUNT(*) OVER analysis_window AS purchase_days,
                       MIN(day) OVER analysis_window AS first_in_window
                  FROM purchase_day
                 WHERE is_purchase
                WINDOW analysis_window AS (PARTITION BY client_id ORDER BY day
                                           RANGE BETWEEN %(window)s PRECEDING AND CURRENT ROW)
            ),
            silence AS (
                SELECT day, next_day,
                       CASE WHEN purchase_days >= %(min_days)s
                            THEN ROUND((day - first_in_window)::numeric / (purchase_days - 1), 1)::float8
                            ELSE %(default_interval)s::float8
                       END AS interval
                  FROM gap
                 -- silences that can reach the window: an alert comes after the purchase
                 WHERE COALESCE(next_day, %(tomorrow)s) > %(period_start)s
            ),
            threshold AS (
                SELECT candidate.factor, silence.next_day,
                       silence.day + FLOOR(silence.interval * candidate.factor)::int + 1 AS alert_day,
                       silence.day + GREATEST(%(lost_days)s, FLOOR(silence.interval * candidate.factor)::int) + 1
                           AS lost_day
                  FROM silence
            CROSS JOIN unnest(%(factors)s::float8[]) AS candidate(factor)
            ),
            alert AS (
                SELECT factor, alert_day, lost_day,
                       next_day IS NOT NULL AND next_day <= lost_day AS is_false,
                       COALESCE(next_day, %(tomorrow)s) > lost_day AND lost_day <= %(today)s AS is_lost
                  FROM threshold
                 WHERE alert_day < COALESCE(next_day, %(tomorrow)s)
                   AND alert_day BETWEEN %(period_start)s AND %(today)s
            )
            SELECT candidate.factor,
                   COUNT(alert.factor),
                   COUNT(alert.factor) FILTER (WHERE alert.is_false),
                   COUNT(alert.factor) FILTER (WHERE alert.is_lost),
                   PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY alert.lost_day - alert.alert_day)
                       FILTER (WHERE alert.is_lost)
              FROM unnest(%(factors)s::float8[]) AS candidate(factor)
         LEFT JOIN alert ON alert.factor = candidate.factor
          GROUP BY candidate.factor
          ORDER BY candidate.factor
            """,
            purchase_days=purchase_days,
            window=window,
            min_days=thresholds.min_purchase_days,
            default_interval=thresholds.default_interval,
            lost_days=thresholds.lost_days,
            factors=factors,
            today=today,
            tomorrow=today + timedelta(days=1),
            period_start=self._period_start(company, today),
        )

    def _suggested_factor(self, accepted_rate):
        """Of these rows, the factor warning earliest (median) with false alarms within ``accepted_rate`` (%).

        None when no alert was settled; when no factor stays within the rate,
        the one with the fewest false alarms.
        """
        settled = self.filtered(lambda row: row.false_alarms + row.lost)
        if not settled:
            return None
        within = settled.filtered(lambda row: row.false_alarm_rate <= accepted_rate)
        if within:
            return max(within, key=lambda row: (row.median_warning_days, -row.factor)).factor
        return min(settled, key=lambda row: (row.false_alarm_rate, row.factor)).factor

    def _html(self, current_factor, suggested, accepted_rate):
        """These rows as the table of the settings, each figure explained in one line of plain words."""
        if not self:
            return Markup("<p>%s</p>") % self.env._(
                "No calibration yet: it is measured when the history is replayed from the purchases."
            )
        labels = (
            self.env._("Alert after"),
            self.env._("Alerts"),
            self.env._("False alarms"),
            self.env._("Lost"),
            self.env._("Median warning"),
        )
        # The first column names the factor, the others are figures: right-aligned.
        header = Markup("").join(
            Markup('<th class="%s">%s</th>') % ("text-end" if index else "", label)
            for index, label in enumerate(labels)
        )
        body = []
        for row in self:
            tags = []
            if round(row.factor, 2) == round(current_factor, 2):
                tags.append(Markup('<span class="badge text-bg-secondary ms-1">%s</span>') % self.env._("current"))
            if suggested and round(row.factor, 2) == round(suggested, 2):
                tags.append(Markup('<span class="badge text-bg-success ms-1">%s</span>') % self.env._("suggested"))
            settled = row.false_alarms + row.lost
            body.append(
                Markup(
                    "<tr><td>%s%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
                )
                % (
                    self.env._("%(factor)s x interval", factor=formatLang(self.env, row.factor, digits=2)),
                    Markup("").join(tags),
                    formatLang(self.env, row.alerts, digits=0),
                    self.env._(
                        "%(count)s (%(rate)s%%)",
                        count=formatLang(self.env, row.false_alarms, digits=0),
                        rate=formatLang(self.env, row.false_alarm_rate, digits=0),
                    )
                    if settled
                    else formatLang(self.env, row.false_alarms, digits=0),
                    formatLang(self.env, row.lost, digits=0),
                    self.env._("%(days)s days", days=formatLang(self.env, row.median_warning_days, digits=0))
                    if row.lost
                    else "-",
                )
            )
        settled = self.filtered(lambda row: row.false_alarms + row.lost)
        explanations = []
        if settled and not settled.filtered(lambda row: row.false_alarm_rate <= accepted_rate):
            explanations.append(
                self.env._(
                    "No factor keeps false alarms within %(rate)s%%: the suggestion is the one with the fewest.",
                    rate=formatLang(self.env, accepted_rate, digits=0),
                )
            )
        explanations += [
            self.env._(
                "Alerts: how many times a client stayed silent past its usual interval times the factor (a client "
                "can raise several)."
            ),
            self.env._(
                "False alarms: alerts after which the client bought again on its own before it would have been "
                "lost; the percentage is out of the alerts already settled (false alarms and lost)."
            ),
            self.env._("Lost: alerts after which the client stayed silent until it was lost."),
            self.env._(
                "Median warning: the days between the alert and the day the client was lost, for half of the lost "
                "clients at least."
            ),
            self.env._(
                "Measured on %(date)s over the purchases since %(start)s, each silence against the usual interval "
                "known on its last purchase day. Alerts still open count as neither.",
                date=format_date(self.env, self[:1].date),
                start=format_date(self.env, self[:1].period_start),
            ),
        ]
        return (
            Markup(
                '<table class="table table-sm text-nowrap w-auto mb-2"><thead><tr>%s</tr></thead><tbody>%s</tbody>'
                "</table>"
            )
            % (header, Markup("").join(body))
        ) + Markup("").join(Markup('<p class="text-muted small mb-1">%s</p>') % line for line in explanations)
