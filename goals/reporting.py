"""Reporting completeness of the reported goals: what each unit owes, per period, and how it did.

DHIS2's reporting rate, applied to the plan's reported goals:
- an expected report ("slot") is one (goal, period) whose period has ended by `today`: every year
  from 2017 (quarter for a quarterly goal) up to the goal's last target year;
- it is due within a number of days after the period's end: the settings REPORTING_DUE_DAYS (default
  31: an annual figure by 31 January), overridden per kind of period by REPORTING_DUE_DAYS_YEAR and
  REPORTING_DUE_DAYS_QUARTER (`due_days`); the reporting-completeness table states the rule (`due_rule`);
- submitted = a value submitted or approved (a returned or draft value is not submitted);
  approved = approved; on time = submitted by the deadline (Asia/Shanghai date of the last
  submission); late = submitted after the deadline; overdue = not submitted and the deadline has
  passed; open = not submitted, deadline still ahead.
- a goal with several responsible units counts for each of them (each is reminded alike); the
  district total counts each slot once.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import dataversion
from core.auth.models import Unit
from core.dates import TZ, as_utc
from core.db import db
from goals.models import Goal, GoalUnit, ReportedValue
from goals.service import QUARTER_END

FIRST_YEAR = 2017
DEADLINE_DAYS = 31          # the default of the REPORTING_DUE_DAYS setting
FREQUENCIES = ("year", "quarter")
SUBMITTED = ("submitted", "approved")


@dataclass(frozen=True)
class Slot:
    """One expected report, as plain values (safe to cache across requests)."""
    goal_key: str
    goal_zh: str
    goal_en: str
    period: str
    period_end: date
    deadline: date
    state: str                  # open | overdue | on_time | late  (see module docstring)
    status: str | None          # the report's status (draft, submitted, approved, returned) or None
    return_reason: str
    unit_codes: tuple[str, ...]

    @property
    def submitted(self) -> bool:
        return self.status in SUBMITTED

    def name(self, lang: str = "zh") -> str:
        return self.goal_en if lang == "en" and self.goal_en else self.goal_zh


@dataclass(frozen=True)
class Rate:
    """One unit's reporting: counts of its slots."""
    unit_code: str
    unit_zh: str
    unit_en: str
    due: int
    submitted: int
    approved: int
    on_time: int
    late: int
    overdue: int
    open: int

    @property
    def rate(self) -> Decimal | None:
        """Reporting rate: submitted ÷ due (None when nothing is due)."""
        return None if not self.due else Decimal(self.submitted) / Decimal(self.due)

    @property
    def timely_rate(self) -> Decimal | None:
        return None if not self.due else Decimal(self.on_time) / Decimal(self.due)

    def name(self, lang: str = "zh") -> str:
        return self.unit_en if lang == "en" and self.unit_en else self.unit_zh


def due_days(frequency: str = "year") -> int:
    """Days after a period's end by which its value is due, for goals reported per `frequency`."""
    cfg = current_app.config if has_app_context() else {}
    specific = cfg.get(f"REPORTING_DUE_DAYS_{frequency.upper()}")
    return int(specific if specific is not None else cfg.get("REPORTING_DUE_DAYS", DEADLINE_DAYS))


def due_rule() -> dict[str, int]:
    """{frequency: due days} in force (what the completeness table states)."""
    return {f: due_days(f) for f in FREQUENCIES}


def expected_periods(goal: Goal, today: date) -> list[tuple[str, date]]:
    """(period, last day) of every period the goal owes a value for, ended before `today`."""
    if not goal.targets:
        return []
    last = max(t.year for t in goal.targets)
    out = []
    for year in range(FIRST_YEAR, min(last, today.year) + 1):
        if goal.report_frequency == "quarter":
            ends = [(f"{year}-Q{q}", date(year, *QUARTER_END[q])) for q in (1, 2, 3, 4)]
        else:
            ends = [(str(year), date(year, 12, 31))]
        out.extend((p, end) for p, end in ends if end < today)
    return out


def _state(rv: ReportedValue | None, deadline: date, today: date) -> str:
    if rv is not None and rv.status in SUBMITTED and rv.submitted_at is not None:
        return "on_time" if _local_day(rv.submitted_at) <= deadline else "late"
    if rv is not None and rv.status in SUBMITTED:
        return "on_time"
    return "overdue" if today > deadline else "open"


def _local_day(moment) -> date:
    return as_utc(moment).astimezone(TZ).date()


def _compute_slots(today: date, rule: dict[str, int]) -> tuple[Slot, ...]:
    goals = list(db.session.scalars(
        select(Goal).where(Goal.kind == "reported")
        .options(selectinload(Goal.targets), selectinload(Goal.unit_links).selectinload(GoalUnit.unit))
        .order_by(Goal.position, Goal.id)))
    reports = {(rv.goal_id, rv.period): rv for rv in db.session.scalars(
        select(ReportedValue).where(ReportedValue.goal_id.in_([g.id for g in goals])))}
    out = []
    for goal in goals:
        units = tuple(u.code for u in goal.units)
        for period, end in expected_periods(goal, today):
            rv = reports.get((goal.id, period))
            deadline = end + timedelta(days=rule.get(goal.report_frequency, rule["year"]))
            out.append(Slot(goal.key, goal.name_zh, goal.name_en, period, end, deadline,
                            _state(rv, deadline, today), rv.status if rv else None,
                            (rv.return_reason or "") if rv else "", units))
    return tuple(out)


def slots(today: date) -> tuple[Slot, ...]:
    """Every expected report as of `today` (cached per deadline rule until a commit writes a table it read)."""
    rule = due_rule()
    return dataversion.cached(("goals.reporting.slots", today, tuple(sorted(rule.items()))),
                              lambda: _compute_slots(today, rule),
                              tables=("goals_goals", "goals_targets", "goals_goal_units", "core_units"))


def slots_of_unit(unit_code: str, today: date) -> list[Slot]:
    return [s for s in slots(today) if unit_code in s.unit_codes]


def to_do(unit_code: str, today: date) -> list[Slot]:
    """The unit's reports still to send (not submitted: open, overdue, returned), oldest first."""
    return sorted((s for s in slots_of_unit(unit_code, today) if not s.submitted),
                  key=lambda s: (s.deadline, s.goal_key))


def _rate(code: str, zh: str, en: str, items) -> Rate:
    states = [s.state for s in items]
    return Rate(code, zh, en, due=len(items), submitted=sum(1 for s in items if s.submitted),
                approved=sum(1 for s in items if s.status == "approved"),
                on_time=states.count("on_time"), late=states.count("late"),
                overdue=states.count("overdue"), open=states.count("open"))


def completeness(today: date) -> tuple[list[Rate], Rate]:
    """(one Rate per unit responsible for a reported goal, the district total)."""
    all_slots = slots(today)
    codes = sorted({c for s in all_slots for c in s.unit_codes})
    units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)).order_by(Unit.id))}
    rates = [_rate(u.code, u.name_zh, u.name_en, [s for s in all_slots if u.code in s.unit_codes])
             for u in units.values()]
    return rates, _rate("", "", "", list(all_slots))


def late_units(today: date) -> list[Rate]:
    """Units with overdue reports, the most overdue first."""
    rates, _total = completeness(today)
    return sorted((r for r in rates if r.overdue), key=lambda r: (-r.overdue, r.unit_code))
