"""The replay of one client's stage history from its purchase days, on day numbers.

``attrition_rules.replay_naive`` classifies a client day by day with
``classify``: the reference, and far too slow for a hundred thousand clients
over two years. ``ReplayWalk`` finds the same changes from the few days the
rhythm can change (the replay's first day, a purchase, a purchase leaving the
analysis window) and, while the rhythm holds, from the days silence crosses a
threshold. The replay of a batch calls it once per client: days are plain
integers (``date.toordinal``) and the rules are inlined, since this loop is
most of a replay's time. Tests hold it to ``replay_naive``.
"""

from bisect import bisect_left, bisect_right
from datetime import date
from functools import cache
from math import ceil, floor

from .attrition_rules import ACTIVE, AT_RISK, LOST, NEW, RISK_STAGES, WATCH, WON_BACK, first_day_after, months_before


class ReplayWalk:
    """The rules of one company, ready to replay its clients one after the other."""

    def __init__(self, thresholds):
        self.min_purchase_days = thresholds.min_purchase_days
        self.default_interval = float(thresholds.default_interval)
        self.watch_factor = thresholds.watch_factor
        self.at_risk_factor = thresholds.at_risk_factor
        self.lost_days = thresholds.lost_days
        analysis_months, revenue_months = thresholds.analysis_months, thresholds.revenue_months
        # A few thousand distinct days per company: each computed once with the calendar.
        self.leaves_window = cache(lambda day: first_day_after(date.fromordinal(day), analysis_months).toordinal())
        self.revenue_start = cache(lambda day: months_before(date.fromordinal(day), revenue_months).toordinal())

    def changes(self, days, start, end):
        """[(day, from, to)]: the stage changes of a client from ``start`` to ``end``, as ``replay_naive``.

        ``days`` are the client's purchase days up to ``end``, sorted and
        distinct. Purchase days and the mean interval cover the analysis
        window ending on each day: a purchase is in it until the day it leaves
        (``first_day_after``), and nothing after the day is known.
        """
        if not days:
            return []
        leaves = [self.leaves_window(day) for day in days]
        events = {day for day in days if day >= start}
        events.update(left for left in leaves if start < left <= end)
        if days[0] < start:
            events.add(start)
        events = sorted(events)
        # A client is new while it has no own rhythm and its first purchase is in the window.
        new_until = leaves[0]
        min_purchase_days, default_interval = self.min_purchase_days, self.default_interval
        watch_factor, at_risk_factor, lost_days = self.watch_factor, self.at_risk_factor, self.lost_days
        changes = []
        stage = since = None
        known = in_window = 0  # days[:known] are bought by the day; days[in_window:known] are in the window
        bought = len(days)
        # Each event's segment lasts until the day before the next one; the last one until ``end``.
        for day, next_event in zip(events, [*events[1:], end + 1], strict=True):
            while known < bought and days[known] <= day:
                known += 1
            while in_window < known and leaves[in_window] <= day:
                in_window += 1
            last = days[known - 1]
            purchase_days = known - in_window
            # attrition_rules.mean_interval in integers: (last - first) / (n - 1), rounded half up to a tenth.
            mean = (
                (20 * (last - days[in_window]) + purchase_days - 1) // (2 * (purchase_days - 1)) / 10
                if purchase_days >= 2
                else None
            )
            own_rhythm = bool(mean) and purchase_days >= min_purchase_days
            interval = mean if own_rhythm else default_interval
            watch_after, alert_after = interval * watch_factor, interval * at_risk_factor
            # While the rhythm holds, silence crosses the watch threshold first: a segment ending before it
            # crosses none (threshold_dates).
            watch_days = floor(watch_after)
            if next_event - 1 - last > watch_days:
                alert_days = floor(alert_after)
                crossings = (
                    last + watch_days + 1,
                    last + alert_days + 1,
                    last + max(lost_days, alert_days) + 1,
                )
            else:
                crossings = ()
            while True:
                # attrition_rules.classify, with no unanswered solicitation (the replay knows none)
                silence = day - last
                # won back: a purchase after entering a risk stage, then for one cycle
                if (stage in RISK_STAGES and last >= since) or (stage == WON_BACK and day - since < interval):
                    new = WON_BACK
                elif silence > alert_after:
                    new = LOST if silence > lost_days else AT_RISK
                elif silence > watch_after:
                    new = WATCH
                elif not own_rhythm and day < new_until:
                    new = NEW
                else:
                    new = ACTIVE
                if new != stage:
                    since = last if new == WON_BACK and stage in RISK_STAGES else day
                    changes.append((day, stage, new))
                    stage = new
                if not crossings and stage != WON_BACK:
                    break  # most segments: the next purchase comes before the watch threshold
                following = next_event
                for crossing in crossings:
                    if day < crossing < following:
                        following = crossing
                if stage == WON_BACK:
                    cycle_end = since + ceil(interval)
                    if day < cycle_end < following:
                        following = cycle_end
                if following == next_event:
                    break
                day = following
        return changes

    def revenue(self, days, amounts, day):
        """The sum of ``amounts`` dated within the revenue window ending on ``day`` (``days`` sorted)."""
        return sum(amounts[bisect_left(days, self.revenue_start(day)) : bisect_right(days, day)])
