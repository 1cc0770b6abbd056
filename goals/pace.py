"""Pace of a goal by its nature (口径): expected-by-now, gap, what is needed per quarter, projection.

- stock, cumulative flow, reduction, and a level or growth rate with a baseline: expected-by-now
  lies on the line from the start point through the interim targets (one per earlier year, when
  set) to the target at 31 Dec of its year. The start point is the plan's baseline (31 Dec of the
  baseline year); without one, 0 at the start of the counting window for a cumulative flow, 0 at
  the end of the base year for a reduction (the size of a decline is 0 in the base year), and 0
  at the plan's start (2017-01-01) for a stock.
- annual flow: the actual is the sum within the as-of date's calendar year, so expected-by-now
  is the year's target prorated by the share of the year elapsed (50 of 100 by 30 June is on pace).
- level or growth rate without a baseline: compared with the target directly (the year's own
  interim target when one is set).
- comparator "<=" (a ceiling: lower is better): the gap is how far the actual is above it.
- gap = distance to the target in the goal's unit (0 once met); needed per quarter = gap spread
  over the quarters left until the target date. Counts (家, 名, 个, 项, 人) are whole numbers.
- projection at the target date: least-squares line through real dated points only — the plan's
  baseline, the zero a flow starts from, the quarter-end values recomputed from the records,
  and the actual; None before two real points exist, never below zero for a count or flow.
"""
import math
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

PLAN_START = date(2017, 1, 1)
COUNT_UNITS = frozenset({"家", "名", "个", "项", "人"})
FLOWS = ("cumulative", "annual_flow")
NON_NEGATIVE = ("stock", "cumulative", "annual_flow")
QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def year_end(year: int) -> date:
    return date(year, 12, 31)


def is_count(goal) -> bool:
    """A count of firms, persons, items: shown as whole numbers everywhere."""
    return goal.unit_zh in COUNT_UNITS and goal.nature in NON_NEGATIVE


def whole(goal, value: Decimal | None, rounding=ROUND_HALF_UP) -> Decimal | None:
    if value is None or not is_count(goal):
        return value
    return value.quantize(Decimal(1), rounding=rounding)


def window_start(goal) -> date:
    return goal.window_start or PLAN_START


def counting_date(goal, as_of: date) -> date:
    """The date a figure is counted at: a flow's window ends at window_end."""
    if goal.window_end is not None and as_of > goal.window_end:
        return goal.window_end
    return as_of


# --------------------------------------------------------------------------- expected-by-now

def start_point(goal) -> tuple[Decimal, date] | None:
    """The real point the line starts from; None when the goal is compared with its target directly."""
    if goal.baseline is not None and goal.baseline_year:
        return goal.baseline, year_end(goal.baseline_year)
    if goal.nature == "cumulative":
        return Decimal(0), window_start(goal)
    if goal.nature == "reduction":
        return Decimal(0), year_end(goal.baseline_year or PLAN_START.year - 1)
    if goal.nature in ("level", "growth_rate"):
        return None
    return Decimal(0), PLAN_START


def milestones(goal, target) -> list[tuple[date, Decimal]]:
    """(31 Dec of year, target) for every year before the target's that has a target of its own."""
    years: dict[int, object] = {}
    for t in goal.targets:
        if t.year < target.year and (t.year not in years or t.source == goal.source):
            years[t.year] = t
    return [(year_end(y), years[y].value) for y in sorted(years)]


def expected_by(goal, target, as_of: date) -> Decimal | None:
    if target is None:
        return None
    if goal.nature == "annual_flow":
        return target.value * year_share(as_of)
    start = start_point(goal)
    if start is None:
        return target.value
    base, begin = start
    line = [(begin, base)] + [(d, v) for d, v in milestones(goal, target) if d > begin]
    line.append((year_end(target.year), target.value))
    return _interpolate(line, as_of)       # exact: status compares it; pages round counts


def _interpolate(line: list[tuple[date, Decimal]], at: date) -> Decimal:
    if at <= line[0][0]:
        return line[0][1]
    for (d0, v0), (d1, v1) in zip(line, line[1:]):
        if at <= d1:
            if d1 <= d0:
                return v1
            return v0 + (v1 - v0) * Decimal((at - d0).days) / Decimal((d1 - d0).days)
    return line[-1][1]


def year_share(as_of: date) -> Decimal:
    """Share of as_of's calendar year elapsed by the end of as_of (30 June ≈ 0.496, 31 Dec = 1)."""
    first = date(as_of.year, 1, 1)
    days = (year_end(as_of.year) - first).days + 1
    return Decimal((as_of - first).days + 1) / Decimal(days)


# --------------------------------------------------------------------------- gap

def gap(goal, target, actual: Decimal | None) -> Decimal | None:
    """How much is still missing to reach the target, in the goal's unit (0 once met)."""
    if target is None or actual is None:
        return None
    short = actual - target.value if target.comparator == "<=" else target.value - actual
    return whole(goal, max(short, Decimal(0)), ROUND_CEILING)


def behind_pace(goal, target, actual: Decimal | None, expected: Decimal | None) -> Decimal | None:
    """How far the actual is behind expected-by-now (0 when on or ahead of pace)."""
    if target is None or actual is None or expected is None:
        return None
    short = actual - expected if target.comparator == "<=" else expected - actual
    return whole(goal, max(short, Decimal(0)), ROUND_CEILING)


def quarters_left(as_of: date, end: date) -> int:
    """Quarter ends after as_of up to and including `end` (0 when `end` has passed)."""
    n, year = 0, as_of.year
    while year <= end.year:
        n += sum(1 for m, d in QUARTER_ENDS if as_of < date(year, m, d) <= end)
        year += 1
    return n


def needed_per_quarter(goal, target, actual: Decimal | None, as_of: date) -> Decimal | None:
    """The gap spread over the quarters left (None when nothing is needed or the date has passed)."""
    if goal.nature == "growth_rate" or target is None or actual is None:
        return None
    missing = gap(goal, target, actual)
    end = year_end(as_of.year if goal.nature == "annual_flow" else target.year)
    left = quarters_left(as_of, end)
    if missing is None or left == 0:
        return None
    return whole(goal, missing / left, ROUND_CEILING)


# --------------------------------------------------------------------------- projection

def quarter_ends(since: date, until: date) -> list[date]:
    """Every quarter end d with since <= d < until."""
    out = []
    for year in range(since.year, until.year + 1):
        out.extend(d for d in (date(year, m, dd) for m, dd in QUARTER_ENDS) if since <= d < until)
    return out


def history_start(goal) -> date:
    """First date of a goal's recomputed history: the day before its window (the 2016 year end)."""
    return window_start(goal) - timedelta(days=1)


def real_points(goal, as_of: date, actual: Decimal | None, values: list[tuple[date, Decimal]]):
    """The dated points a projection may use: start point, the given values, the actual."""
    points: dict[date, Decimal] = {}
    start = start_point(goal)
    if start is not None and (goal.baseline is not None or goal.nature in FLOWS + ("reduction",)):
        points[start[1]] = start[0]
    for day, value in values:
        if day < as_of:
            points[day] = Decimal(value)
    if actual is not None:
        points[counting_date(goal, as_of)] = actual
    return sorted(points.items())


def projection(goal, target, actual: Decimal | None, as_of: date, values) -> Decimal | None:
    """Value expected at the target date if the trend of the real points continues."""
    if target is None or actual is None:
        return None
    end = year_end(as_of.year if goal.nature == "annual_flow" else target.year)
    if as_of >= end:
        return None
    if goal.nature == "annual_flow":           # the year's sum at this year's run rate
        value = actual / year_share(as_of)
    else:
        points = real_points(goal, as_of, actual, values)
        if len(points) < 2:
            return None
        value = fit(points, end)
    if goal.nature in NON_NEGATIVE:
        value = max(value, Decimal(0))
    return whole(goal, value.quantize(Decimal("0.0001")))


def fit(points: list[tuple[date, Decimal]], at: date) -> Decimal:
    """Least-squares line through (day, value), evaluated at `at`."""
    xs = [float(d.toordinal()) for d, _v in points]
    ys = [float(v) for _d, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = 0.0 if sxx == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    value = my + slope * (at.toordinal() - mx)
    return Decimal(str(round(value, 4))) if math.isfinite(value) else Decimal(0)
