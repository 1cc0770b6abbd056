"""The dashboard's figures beyond the roll-up table: trends recomputed from the dated records,
the year-over-year change, the charts' series by category, and the latest comments.

Trends: each goal's value at every quarter end since its window began and as of the date,
recomputed from the records (goals.rollup.history), so a trend is there from the day the records
are imported, not only after nightly snapshots. On a closed date the frozen figure replaces the
point of that date. Cached as plain values until a commit writes a table they read (core.dataversion).
"""
from datetime import date
from decimal import Decimal

from core import dataversion, indicators
from goals import pace, periods
from goals import rollup as ru


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:              # 29 February
        return day.replace(year=day.year - 1, day=28)


# --------------------------------------------------------------------------- trends

def trend_days(goal, as_of: date) -> list[date]:
    """The sparkline's dates: each year end since the goal's history starts, the quarter ends of the
    last twelve months, and `as_of` (the goal page shows every quarter end)."""
    start = pace.history_start(goal)
    days = {d for d in pace.quarter_ends(start, as_of) if (d.month, d.day) == (12, 31)}
    days |= set(pace.quarter_ends(max(start, year_before(as_of)), as_of))
    return sorted(days) + [as_of]


def trend(goal, as_of: date) -> list[list]:
    """[[iso date, value], …] from the dated records (approved values for a reported goal)."""
    return _trends([goal], as_of)[goal.id]


def _trends(goals, as_of: date) -> dict[int, list[list]]:
    """Trends of many goals: each date computed once for all of them (the indicators share their
    queries within a date, as in the roll-up)."""
    out: dict[int, list] = {g.id: [] for g in goals}
    computed = [g for g in goals if g.kind == "computed"]
    for goal in goals:
        if goal.kind != "computed":
            out[goal.id] = [(d, v) for d, v in ru.history(goal, as_of)]
    wanted = {g.id: trend_days(g, as_of) for g in computed}
    for day in sorted({d for days in wanted.values() for d in days}):
        with indicators.shared_results():
            for goal in computed:
                if day in wanted[goal.id]:
                    out[goal.id].append((day, ru.actual_of(goal, day).value))
    return {gid: [[d.isoformat(), float(v)] for d, v in pts if v is not None] for gid, pts in out.items()}


def trends(rows, as_of: date) -> dict[int, list[list]]:
    """{goal id: [[iso date, value], …]} for the dashboard's sparklines; the last point is the
    figure shown (the frozen one on a closed date)."""
    goals = [r.goal for r in rows]
    key = ("goals.trends", as_of, tuple(g.id for g in goals))
    computed = dataversion.cached(key, lambda: _trends(goals, as_of), tables=ru.DEFINITION_TABLES)
    out = {}
    for row in rows:
        points = computed.get(row.goal.id, [])
        if row.actual.value is not None and points and points[-1][0] == as_of.isoformat():
            points = points[:-1] + [[as_of.isoformat(), float(row.actual.value)]]
        out[row.goal.id] = points
    return out


# --------------------------------------------------------------------------- year over year

def year_over_year(rows, as_of: date) -> dict[int, dict]:
    """{goal id: {"previous": value a year before (frozen when that date is closed), "change": now − then}}."""
    prev_day = year_before(as_of)
    goals = [r.goal for r in rows]
    previous, _close, _moved = periods.reported_rows(ru.rollup_rows(prev_day, goals=goals), prev_day)
    before = {r.goal.id: r.actual.value for r in previous}
    out = {}
    for row in rows:
        then, now = before.get(row.goal.id), row.actual.value
        out[row.goal.id] = {"previous": then, "day": prev_day,
                            "change": None if then is None or now is None else now - then}
    return out


# --------------------------------------------------------------------------- charts

STATUS_ORDER = ("achieved", "on_track", "at_risk", "behind", "no_target", "none")


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def _expected_share(row) -> Decimal | None:
    """Expected-by-now as a share of the target (the line each bar is read against)."""
    t = row.target
    if t is None or row.expected is None or t.comparator == "<=" or not t.value:
        return None
    return row.expected / t.value


def chart_data(groups, counts: dict, labels: dict, lang: str) -> dict:
    """The charts' series: the status donut and, per group, the progress of each goal that has a
    target and a figure against its expected-by-now (groups with no such goal are left out)."""
    cats = []
    for title, rows in groups:
        items = [{"key": r.goal.key, "name": r.goal.name(lang), "status": r.status or "none",
                  "progress": _pct(r.progress), "expected": _pct(_expected_share(r))}
                 for r in rows if r.target is not None and r.progress is not None]
        if items:
            cats.append({"title": title, "goals": items})
    return {"status": [{"key": k, "name": labels[k], "value": counts.get(k, 0)} for k in STATUS_ORDER],
            "categories": cats}
