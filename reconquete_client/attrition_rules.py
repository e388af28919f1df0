"""Attrition rules: where a client stands against its own buying rhythm.

The daily analysis aggregates purchases in SQL, then asks ``assess`` which
stage each client is in, whether it is strategic, and on which day that can
change with no new purchase. They know nothing of Odoo on purpose: the whole
product contract reads in one sitting and is tested without a database (see
``tests/`` at the repository root). The stage codes live here only: the
analysis, the reports and the stage records all take them from this module.
"""

import calendar
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

NEW = "new"
ACTIVE = "active"
WATCH = "watch"
AT_RISK = "at_risk"
LOST = "lost"
WON_BACK = "won_back"
# A purchase made while in one of these stages is a reconquest.
RISK_STAGES = (AT_RISK, LOST)
# Stages of a client still buying as usual (active clients, for the attrition rate).
LIVING_STAGES = (NEW, ACTIVE, WATCH, WON_BACK)

# Why a client is strategic (stored on the client, shown to the user).
REASON_SHARE = "revenue_share"
REASON_RELATIONSHIP = "relationship"
REASON_BOTH = "both"
REASON_MANAGER = "manager"

OVERRIDE_AUTO = "auto"
OVERRIDE_ON = "on"
OVERRIDE_OFF = "off"


@dataclass(frozen=True)
class Thresholds:
    """A company's settings; the defaults are those of the product contract."""

    analysis_months: int = 24
    revenue_months: int = 12
    min_purchase_days: int = 3
    default_interval: int = 90
    watch_factor: float = 1.0
    at_risk_factor: float = 1.5
    lost_days: int = 365
    solicitation_limit: int = 3
    strategic_share: float = 5.0
    strategic_years: int = 3
    steady_max_variation: float = 1.0


@dataclass(frozen=True)
class Rhythm:
    """What the purchases of one client say, as aggregated by the analysis.

    ``purchase_days``, ``mean_interval`` and ``interval_spread`` cover the
    analysis window; first and last purchase cover the whole history, so a
    client silent for longer than the window is still known as lost.
    """

    purchase_days: int = 0
    first_purchase: date | None = None
    last_purchase: date | None = None
    mean_interval: float | None = None
    median_interval: float | None = None
    interval_spread: float | None = None


@dataclass(frozen=True)
class Assessment:
    """What the rules say of one client on one day (``assess``).

    ``watch_date``, ``alert_date`` and ``lost_date`` are the first days of
    silence past each threshold; ``next_review`` is the first day after
    ``today`` on which the stage or the strategic flag changes if the client
    buys nothing (None: never), so that a nightly run only looks at the
    clients due that day.
    """

    stage: str | None = None
    stage_date: date | None = None
    reference_interval: float | None = None
    expected_date: date | None = None
    watch_date: date | None = None
    alert_date: date | None = None
    lost_date: date | None = None
    next_review: date | None = None
    strategic_reason: str | None = None


@lru_cache(maxsize=4096)  # every day of a replay (about 800), and a few more: held all at once
def months_before(day, months):
    """The same day ``months`` earlier, clamped to the end of shorter months."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=8192)  # a few thousand distinct first purchases per company
def first_day_after(start, months):
    """The first day ``d`` with ``months_before(d, months) > start``: when ``start`` leaves a window."""
    day = months_before(start, -months)
    while months_before(day, months) <= start:
        day += timedelta(days=1)
    return day


def has_own_rhythm(rhythm, thresholds):
    """Enough purchase days in the window to trust the client's own interval."""
    return bool(rhythm.mean_interval) and rhythm.purchase_days >= thresholds.min_purchase_days


def reference_interval(rhythm, thresholds):
    """The interval the stage rules measure silence against, in days."""
    if has_own_rhythm(rhythm, thresholds):
        return rhythm.mean_interval
    return float(thresholds.default_interval)


def threshold_dates(rhythm, thresholds):
    """(watch, alert, lost): the first day of silence past each threshold."""
    interval = reference_interval(rhythm, thresholds)
    alert_days = math.floor(interval * thresholds.at_risk_factor)
    last = rhythm.last_purchase
    return (
        last + timedelta(days=math.floor(interval * thresholds.watch_factor) + 1),
        last + timedelta(days=alert_days + 1),
        last + timedelta(days=max(thresholds.lost_days, alert_days) + 1),
    )


def classify(rhythm, thresholds, today, previous_stage=None, previous_stage_date=None, unanswered=0):
    """Return the stage code of a client on ``today``, or None if it never bought.

    ``previous_stage`` and ``previous_stage_date`` are the stage the client is
    in and the day it entered it: a reconquest is a purchase made after
    entering ``at_risk`` or ``lost``, and ``won_back`` lasts one normal cycle.
    ``unanswered`` counts solicitations in a row that got no answer.
    """
    if rhythm.last_purchase is None:
        return None
    interval = reference_interval(rhythm, thresholds)
    silence = (today - rhythm.last_purchase).days
    if previous_stage in RISK_STAGES and previous_stage_date and rhythm.last_purchase >= previous_stage_date:
        return WON_BACK
    if previous_stage == WON_BACK and previous_stage_date and (today - previous_stage_date).days < interval:
        return WON_BACK
    alert_threshold = interval * thresholds.at_risk_factor
    if silence > thresholds.lost_days and silence > alert_threshold:
        return LOST
    if silence > alert_threshold or unanswered >= thresholds.solicitation_limit:
        return AT_RISK
    if silence > interval * thresholds.watch_factor:
        return WATCH
    analysis_start = months_before(today, thresholds.analysis_months)
    if not has_own_rhythm(rhythm, thresholds) and rhythm.first_purchase >= analysis_start:
        return NEW
    return ACTIVE


def is_steady(rhythm, thresholds):
    """A reliable rhythm whose intervals vary little around their mean."""
    if not has_own_rhythm(rhythm, thresholds) or rhythm.interval_spread is None:
        return False
    return rhythm.interval_spread / rhythm.mean_interval <= thresholds.steady_max_variation


def strategic_reason(rhythm, revenue_share, thresholds, today, override=OVERRIDE_AUTO):
    """Return why the client is strategic, or None when it is not.

    ``revenue_share`` is the client's percentage of the company's revenue
    over the revenue window. A manager's override wins over the rules.
    """
    if override == OVERRIDE_ON:
        return REASON_MANAGER
    if override == OVERRIDE_OFF or rhythm.first_purchase is None:
        return None
    big_share = revenue_share >= thresholds.strategic_share
    relationship_start = months_before(today, 12 * thresholds.strategic_years)
    long_relationship = rhythm.first_purchase <= relationship_start and is_steady(rhythm, thresholds)
    if big_share and long_relationship:
        return REASON_BOTH
    if big_share:
        return REASON_SHARE
    if long_relationship:
        return REASON_RELATIONSHIP
    return None


def assess(rhythm, thresholds, today, revenue_share=0.0, previous=(None, None), unanswered=0, override=OVERRIDE_AUTO):
    """Everything the analysis stores for one client, from its figures alone.

    ``previous`` is the (stage, entry date) the client was in before today;
    ``revenue_share`` its percentage of the company's revenue.
    """
    if rhythm.last_purchase is None:
        return Assessment()
    previous_stage, previous_date = previous
    stage = classify(rhythm, thresholds, today, previous_stage, previous_date, unanswered)
    if stage == WON_BACK and previous_stage in RISK_STAGES:
        # Won back on the day of the purchase that did it (an invoice may be posted
        # days after its date): the cycle of Won Back counts from there.
        stage_date = rhythm.last_purchase
    elif stage == previous_stage and previous_date:
        stage_date = previous_date
    else:
        stage_date = today
    reason = strategic_reason(rhythm, revenue_share, thresholds, today, override)
    interval = reference_interval(rhythm, thresholds)
    watch, alert, lost = threshold_dates(rhythm, thresholds)
    # While nothing is bought, silence only grows: each stage has one next stage,
    # reached on one known day, and the flag changes only when the relationship
    # reaches its length. (Checked day by day against classify() in the tests.)
    next_stage_day = {
        WON_BACK: stage_date + timedelta(days=math.ceil(interval)),
        NEW: min(watch, first_day_after(rhythm.first_purchase, thresholds.analysis_months)),
        ACTIVE: watch,
        WATCH: alert,
        AT_RISK: lost,
    }.get(stage)
    relationship_day = None
    if override == OVERRIDE_AUTO and is_steady(rhythm, thresholds):
        relationship_start = months_before(today, 12 * thresholds.strategic_years)
        if rhythm.first_purchase > relationship_start:
            # the first day with months_before(day) >= first purchase
            relationship_day = first_day_after(
                rhythm.first_purchase - timedelta(days=1), 12 * thresholds.strategic_years
            )
    next_review = min((day for day in (next_stage_day, relationship_day) if day), default=None)
    return Assessment(
        stage=stage,
        stage_date=stage_date,
        reference_interval=interval,
        expected_date=rhythm.last_purchase + timedelta(days=round(interval)),
        watch_date=watch,
        alert_date=alert,
        lost_date=lost,
        next_review=next_review,
        strategic_reason=reason,
    )


# ----------------------------------------------------------------------
# Replay: the stage history the nightly job would have logged
# ----------------------------------------------------------------------
#
# The job classifies every client every day with what it knows that day: the
# purchases up to that day, its previous stage and the day it entered it. The
# replay asks the same question of the past. ``replay_naive`` does it day by
# day, the reference; ``replay_walk.ReplayWalk`` does the same from the few days
# the rhythm can change, fast enough for every client, and must agree with it.

ONE_DAY = timedelta(days=1)


def mean_interval(first, last, count):
    """Mean gap between ``count`` purchase days from ``first`` to ``last``, rounded half up to a tenth of a day.

    The gaps between consecutive days add up to ``last - first``: the mean is
    that over ``count - 1``, rounded as PostgreSQL rounds the analysis's
    ``ROUND(AVG(gap), 1)``. None with fewer than two days.
    """
    if count < 2:
        return None
    return math.floor(Fraction(10 * (last - first).days, count - 1) + Fraction(1, 2)) / 10


def rhythm_on(purchase_days, thresholds, day):
    """The ``Rhythm`` the analysis computes on ``day`` from sorted, distinct purchase days.

    Days after ``day`` are not known yet: nothing here looks ahead. Purchase
    days and the mean cover the analysis window ending on ``day``; first and
    last purchase the whole history up to it.
    """
    known = purchase_days[: bisect_right(purchase_days, day)]
    if not known:
        return Rhythm()
    in_window = known[bisect_left(known, months_before(day, thresholds.analysis_months)) :]
    return Rhythm(
        purchase_days=len(in_window),
        first_purchase=known[0],
        last_purchase=known[-1],
        mean_interval=mean_interval(in_window[0], in_window[-1], len(in_window)) if in_window else None,
    )


def replay_naive(purchase_days, thresholds, start, end):
    """The stage changes of one client from ``start`` to ``end``, classified day by day: [(day, from, to)].

    Each day sees only the purchases made up to it; the stage and the day it
    was entered carry from one day to the next, as in the nightly job (which
    dates Won Back on the purchase that did it: the same day here). Nothing
    is known of solicitations: none is counted unanswered. The first change
    is the client's first classification, from None.
    """
    days = sorted(set(purchase_days))
    changes = []
    stage = since = None
    day = start
    while day <= end:
        rhythm = rhythm_on(days, thresholds, day)
        new = classify(rhythm, thresholds, day, stage, since)
        if new != stage:
            since = rhythm.last_purchase if new == WON_BACK and stage in RISK_STAGES else day
            changes.append((day, stage, new))
            stage = new
        day += ONE_DAY
    return changes


def replay_wins(changes):
    """[(risk day, stage won back from, day won back)] of a replay's changes.

    The risk day is when the client last entered To Win Back or Lost from a
    stage outside them, as the reconquest records of the nightly job say.
    """
    wins = []
    risk_day = None
    for day, previous, stage in changes:
        if stage in RISK_STAGES and previous not in RISK_STAGES:
            risk_day = day
        elif stage == WON_BACK and previous in RISK_STAGES:
            wins.append((risk_day, previous, day))
    return wins
