"""Roll-up of every goal for an as-of date: actual, progress, expected-by-now, status, projection.

Rules:
- actual: computed goals call core.indicators.compute(metric, as_of) (a missing or failing
  indicator gives None with a note, never an error); reported goals take the latest approved
  value whose period ended on or before as_of.
- target: the first target year ≥ as_of's year (else the last); among several wordings for one
  year the goal's own source (附件1) wins, the others are shown as alternatives.
- a computed flow is counted at its window's end once that has passed (goals.pace.counting_date).
- progress = actual ÷ target (for "<=": target ÷ actual); a range uses its lower bound.
- expected-by-now, gap, needed per quarter and projection follow the goal's nature (goals.pace).
- status: "no_target" (未设目标) without a target; otherwise from StatusThreshold rows (data).
- projection on the dashboard: from the quarter-end snapshots (the nightly job backfills them
  from the records since the window's start) and the actual; the goal page recomputes the
  quarter-end values from the records themselves (`history`).
"""
import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import indicators
from core.db import db
from goals import pace
from goals.models import Goal, GoalSnapshot, GoalTarget, GoalUnit, ReportedValue, StatusThreshold
from goals.pace import PLAN_START, year_end  # noqa: F401 - re-exported

log = logging.getLogger(__name__)
NO_TARGET = "no_target"
#: what the goals' caches (core.dataversion.cached) depend on besides the SQL they run: goals, targets,
#: units and thresholds may be in the session already when a cached computation starts
DEFINITION_TABLES = ("goals_goals", "goals_targets", "goals_goal_units", "goals_status_thresholds", "core_units")


@dataclass
class Actual:
    value: Decimal | None
    note: str = ""
    period: str | None = None


@dataclass
class Row:
    goal: Goal
    target: GoalTarget | None
    actual: Actual
    progress: Decimal | None
    expected: Decimal | None
    status: str | None
    projection: Decimal | None
    alternatives: list = field(default_factory=list)
    gap: Decimal | None = None                  # to the target, in the goal's unit
    behind: Decimal | None = None               # behind expected-by-now, in the goal's unit
    needed_per_quarter: Decimal | None = None


def goals_query(unit_code: str | None = None):
    stmt = (select(Goal).options(selectinload(Goal.targets), selectinload(Goal.unit_links))
            .order_by(Goal.position, Goal.id))
    if unit_code:
        from core.auth.models import Unit
        stmt = stmt.where(Goal.unit_links.any(GoalUnit.unit.has(Unit.code == unit_code)))
    return stmt


# --------------------------------------------------------------------------- actual

def actual_of(goal: Goal, as_of: date, approved: dict | None = None) -> Actual:
    """`approved`: {goal id: latest approved value} read for many goals at once (rollup_rows)."""
    if goal.kind == "computed":
        return _computed(goal, as_of)
    return _reported(goal, as_of, approved)


def _computed(goal: Goal, as_of: date) -> Actual:
    if not goal.metric or indicators.get(goal.metric) is None:
        return Actual(None, _("指标“%(m)s”尚未登记，暂无数据", m=goal.metric or ""))
    day = pace.counting_date(goal, as_of)
    hit, value = indicators.cached_value(goal.metric, day)   # cached: no SAVEPOINT round trips
    try:
        if not hit:
            with db.session.begin_nested():   # a failing query must not abort the outer transaction
                value = indicators.compute(goal.metric, day)
    except Exception as exc:  # a broken indicator must not take the dashboard down
        log.exception("indicator %s failed", goal.metric)
        return Actual(None, _("指标计算失败：%(e)s", e=type(exc).__name__))
    if value is None:
        return Actual(None, _("暂无数据"))
    return Actual(Decimal(str(value)))


def latest_approved(goal: Goal, as_of: date) -> ReportedValue | None:
    stmt = (select(ReportedValue)
            .where(ReportedValue.goal_id == goal.id, ReportedValue.status == "approved",
                   ReportedValue.period_end <= as_of, ReportedValue.value.is_not(None))
            .order_by(ReportedValue.period_end.desc(), ReportedValue.id.desc()).limit(1))
    return db.session.scalars(stmt).first()


def latest_approved_by_goal(goal_ids, as_of: date) -> dict[int, ReportedValue]:
    """latest_approved for many goals in one query."""
    stmt = (select(ReportedValue)
            .where(ReportedValue.goal_id.in_(list(goal_ids)), ReportedValue.status == "approved",
                   ReportedValue.period_end <= as_of, ReportedValue.value.is_not(None))
            .order_by(ReportedValue.period_end, ReportedValue.id))
    return {rv.goal_id: rv for rv in db.session.scalars(stmt)}     # the last one wins


def _reported(goal: Goal, as_of: date, approved: dict | None = None) -> Actual:
    rv = latest_approved(goal, as_of) if approved is None else approved.get(goal.id)
    if rv is None:
        return Actual(None, _("尚无已审核的填报值"))
    return Actual(rv.value, period=rv.period)


# --------------------------------------------------------------------------- target & pace

def main_target(goal: Goal, as_of: date) -> GoalTarget | None:
    """The target that counts on `as_of` (see module docstring)."""
    if not goal.targets:
        return None
    years = sorted({t.year for t in goal.targets})
    year = next((y for y in years if y >= as_of.year), years[-1])
    same = [t for t in goal.targets if t.year == year]
    own = [t for t in same if t.source == goal.source]
    return (own or same)[0]


def expected_by(goal: Goal, target: GoalTarget | None, as_of: date) -> Decimal | None:
    return pace.expected_by(goal, target, as_of)


def progress_of(actual: Decimal | None, target: GoalTarget | None) -> Decimal | None:
    if actual is None or target is None:
        return None
    if target.comparator == "<=":
        return None if actual == 0 else target.value / actual
    return None if target.value == 0 else actual / target.value


def thresholds() -> list[StatusThreshold]:
    return list(db.session.scalars(select(StatusThreshold).order_by(StatusThreshold.position)))


def status_of(actual, progress, expected, rules: list[StatusThreshold], comparator=">=",
              has_target: bool = True) -> str | None:
    """First threshold (in order) the numbers satisfy; the rule with basis "none" is the fallback.
    A goal without a target is "no_target" (未设目标), never on track."""
    if not has_target:
        return NO_TARGET
    if actual is None:
        return None
    for rule in rules:
        if rule.basis == "none" or rule.min_ratio is None:
            return rule.key
        if rule.basis == "progress":
            if progress is not None and progress >= rule.min_ratio:
                return rule.key
            continue
        ratio = _pace(actual, expected, comparator)
        if ratio is None or ratio >= rule.min_ratio:
            return rule.key
    return None


def _pace(actual: Decimal, expected: Decimal | None, comparator: str) -> Decimal | None:
    """actual ÷ expected (None = nothing expected yet, counts as on pace)."""
    if expected is None or expected <= 0:
        return None
    if comparator == "<=":
        return None if actual <= 0 else expected / actual
    return actual / expected


# --------------------------------------------------------------------------- projection

def snapshots(goal_ids, until: date, since: date | None = None) -> dict[int, list[GoalSnapshot]]:
    stmt = select(GoalSnapshot).where(GoalSnapshot.goal_id.in_(list(goal_ids)), GoalSnapshot.day <= until)
    if since is not None:
        stmt = stmt.where(GoalSnapshot.day >= since)
    out: dict[int, list[GoalSnapshot]] = {}
    for snap in db.session.scalars(stmt.order_by(GoalSnapshot.day)):
        out.setdefault(snap.goal_id, []).append(snap)
    return out


def quarter_values(snaps: list[GoalSnapshot]) -> list[tuple[date, Decimal]]:
    """The snapshots taken on quarter ends (the real points of the dashboard's projection)."""
    ends = {(m, d) for m, d in pace.QUARTER_ENDS}
    return [(s.day, s.value) for s in snaps if (s.day.month, s.day.day) in ends]


def projection(goal: Goal, target: GoalTarget | None, actual: Decimal | None, as_of: date,
               snaps: list[GoalSnapshot]) -> Decimal | None:
    """Value expected at the target date if the trend of the quarter-end values continues."""
    return pace.projection(goal, target, actual, as_of, quarter_values(snaps))


def history(goal: Goal, as_of: date) -> list[tuple[date, Decimal]]:
    """The goal's value at every quarter end since its window began (and as of `as_of`),
    recomputed from the dated records — or, for a reported goal, its approved values."""
    if goal.kind != "computed":
        stmt = (select(ReportedValue).where(ReportedValue.goal_id == goal.id, ReportedValue.status == "approved",
                                            ReportedValue.period_end <= as_of, ReportedValue.value.is_not(None))
                .order_by(ReportedValue.period_end, ReportedValue.id))
        return sorted({rv.period_end: rv.value for rv in db.session.scalars(stmt)}.items())
    out = []
    for day in pace.quarter_ends(pace.history_start(goal), as_of) + [as_of]:
        with indicators.shared_results():
            value = _computed(goal, day).value
        if value is not None:
            out.append((day, value))
    return out


# --------------------------------------------------------------------------- roll-up

def rollup_rows(as_of: date, unit_code: str | None = None, goals=None) -> list[Row]:
    goals = list(goals) if goals is not None else list(db.session.scalars(goals_query(unit_code)))
    rules = thresholds()
    snaps = snapshots([g.id for g in goals], as_of)
    approved = latest_approved_by_goal([g.id for g in goals if g.kind != "computed"], as_of)
    with indicators.shared_results():
        return [_row(g, as_of, rules, snaps.get(g.id, []), approved) for g in goals]


def _row(goal: Goal, as_of: date, rules, snaps, approved, values=None) -> Row:
    actual = actual_of(goal, as_of, approved)
    target = main_target(goal, as_of)
    expected = expected_by(goal, target, as_of)
    progress = progress_of(actual.value, target)
    comparator = target.comparator if target else ">="
    status = status_of(actual.value, progress, expected, rules, comparator, has_target=target is not None)
    alternatives = [t for t in goal.targets if target and t.year == target.year and t is not target]
    values = quarter_values(snaps) if values is None else values
    return Row(goal, target, actual, progress, expected, status,
               pace.projection(goal, target, actual.value, as_of, values), alternatives,
               gap=pace.gap(goal, target, actual.value),
               behind=pace.behind_pace(goal, target, actual.value, expected),
               needed_per_quarter=pace.needed_per_quarter(goal, target, actual.value, as_of))


def row_for(goal: Goal, as_of: date) -> Row:
    return rollup_rows(as_of, goals=[goal])[0]


def row_with_history(goal: Goal, as_of: date) -> tuple[Row, list[tuple[date, Decimal]]]:
    """The goal page's row: its projection built from the history recomputed from the records."""
    points = history(goal, as_of)
    approved = latest_approved_by_goal([goal.id], as_of) if goal.kind != "computed" else {}
    with indicators.shared_results():
        row = _row(goal, as_of, thresholds(), [], approved, values=[(d, v) for d, v in points if d < as_of])
    return row, points


def _num(value) -> float | None:
    return None if value is None else round(float(value), 4)


def _value(goal: Goal, value):
    """A figure of the goal in its unit: a whole number for counts."""
    if value is None:
        return None
    return int(pace.whole(goal, Decimal(value))) if pace.is_count(goal) else _num(value)


def as_dict(row: Row, lang: str = "zh") -> dict:
    g, t = row.goal, row.target
    lead = g.lead_unit
    return {
        "key": g.key, "name": g.name(lang), "name_zh": g.name_zh, "name_en": g.name_en,
        "category": g.category_en if lang == "en" and g.category_en else g.category_zh,
        "unit": g.unit_en if lang == "en" and g.unit_en else g.unit_zh, "kind": g.kind,
        "baseline": _num(g.baseline), "baseline_year": g.baseline_year,
        "target": _num(t.value) if t else None, "target_max": _num(t.value_max) if t else None,
        "target_year": t.year if t else None, "target_source": t.source if t else None,
        "comparator": t.comparator if t else None, "approximate": bool(t and t.approximate),
        "actual": _value(g, row.actual.value), "actual_note": row.actual.note,
        "actual_period": row.actual.period, "progress": _num(row.progress),
        "expected": _value(g, row.expected), "status": row.status, "projection": _value(g, row.projection),
        "responsible_unit": (lead.name_en if lang == "en" and lead.name_en else lead.name_zh) if lead else None,
        "responsible_units": [u.code for u in g.units],
        "nature": g.nature, "window_start": g.window_start, "window_end": g.window_end,
        "definition": g.definition(lang), "gap": _value(g, row.gap), "behind_pace": _value(g, row.behind),
        "needed_per_quarter": _value(g, row.needed_per_quarter), "whole_numbers": pace.is_count(g),
    }


def rollup(as_of: date, unit_code: str | None = None, lang: str = "zh") -> list[dict]:
    """Every goal as of `as_of` as plain dicts (the API's /api/v1/goals body).

    Keys: key, name, unit, baseline, baseline_year, target, target_year, actual, progress
    (fraction: 1.0 = 100 %), expected, status (achieved | on_track | at_risk | behind |
    no_target | None), responsible_unit (lead unit's name), plus projection, category, kind,
    notes, nature, window_start/window_end, definition, gap, behind_pace and needed_per_quarter.
    """
    return [as_dict(r, lang) for r in rollup_rows(as_of, unit_code)]


def get_goal(key: str) -> Goal | None:
    return db.session.scalars(select(Goal).where(Goal.key == key)).first()


def records(key: str, as_of: date) -> list[dict]:
    """The records behind a computed goal's number as of `as_of` (LookupError for an unknown key).

    Reported goals return their approved values up to `as_of` instead.
    """
    goal = get_goal(key)
    if goal is None:
        raise LookupError(key)
    if goal.kind == "computed":
        if not goal.metric or indicators.get(goal.metric) is None:
            return []
        return list(indicators.records(goal.metric, pace.counting_date(goal, as_of)))
    stmt = (select(ReportedValue).where(ReportedValue.goal_id == goal.id, ReportedValue.status == "approved",
                                        ReportedValue.period_end <= as_of).order_by(ReportedValue.period_end))
    return [{"period": rv.period, "value": _num(rv.value), "note": rv.note,
             "unit": rv.unit.name_zh if rv.unit else ""} for rv in db.session.scalars(stmt)]
