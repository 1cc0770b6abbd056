"""Closed periods: close a date (freeze every goal's figure, status and records), reopen it, and
serve the frozen figures wherever that date is asked for (API, dashboard, 附件1 export).

Rules:
- a period closes on a year end (12-31) or a quarter end (03-31, 06-30, 09-30) that has passed;
  the same date cannot be closed twice while its close stands;
- closing freezes, per goal, the figure, status, target/expected/progress/projection as shown
  and the records behind the figure (their identities and display fields, as JSON);
- reopening needs a reason; the close row stays as history, its frozen rows too;
- services take an explicit actor, never commit, and write an audit entry.
"""
import dataclasses
import logging
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from core.api import plain
from core.audit import service as audit
from core.db import db, utcnow
from core.errors import ServiceError
from core.dates import as_utc, today
from core.formatting import localtime
from goals import pace, period_diff
from goals import rollup as ru
from goals.models import Goal, GoalTarget
from goals.period_models import PeriodClose, PeriodFigure

PERIOD_ENDS = {(3, 31): "quarter", (6, 30): "quarter", (9, 30): "quarter", (12, 31): "year"}
SHOWN_KEYS = ("target", "target_max", "target_year", "target_source", "comparator", "approximate",
              "expected", "progress", "projection", "actual_note", "actual_period")
EARLIEST = date(2016, 12, 31)      # the plan's baseline year end
log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- queries

def active_close(day: date) -> PeriodClose | None:
    """The standing close of `day`, or None when the date is open."""
    return db.session.scalars(select(PeriodClose).where(PeriodClose.active_day == day)).first()


def all_closes() -> list[PeriodClose]:
    """Every close, newest date first (reopened ones included, as history)."""
    return list(db.session.scalars(select(PeriodClose).order_by(PeriodClose.day.desc(), PeriodClose.id.desc())))


def figures_of(close: PeriodClose) -> dict[int, PeriodFigure]:
    """{goal id: frozen figure} of a close, without the record lists (read per goal when shown)."""
    stmt = select(PeriodFigure).where(PeriodFigure.close_id == close.id).options(defer(PeriodFigure.records))
    return {f.goal_id: f for f in db.session.scalars(stmt)}


def figures_by_key(close: PeriodClose) -> dict[str, PeriodFigure]:
    """{goal key: frozen figure} of a close (the API's dicts carry keys)."""
    stmt = (select(Goal.key, PeriodFigure).join(Goal, Goal.id == PeriodFigure.goal_id)
            .where(PeriodFigure.close_id == close.id).options(defer(PeriodFigure.records)))
    return {key: fig for key, fig in db.session.execute(stmt).tuples()}


def figure_of(close: PeriodClose, goal) -> PeriodFigure | None:
    return db.session.scalars(select(PeriodFigure).where(
        PeriodFigure.close_id == close.id, PeriodFigure.goal_id == goal.id)).first()


def local_text(moment: datetime) -> str:
    """'2019-01-05 09:30' in Asia/Shanghai."""
    return localtime(moment)


# --------------------------------------------------------------------------- services

def period_kind(day: date) -> str:
    """'year' or 'quarter' for a period end; ServiceError for any other date."""
    kind = PERIOD_ENDS.get((day.month, day.day))
    if kind is None:
        raise ServiceError(_("只能在年末（12月31日）或季末（3月31日、6月30日、9月30日）关账"), field="day")
    if day >= today():
        raise ServiceError(_("%(d)s 尚未过去，不能关账", d=day.isoformat()), field="day")
    if day < EARLIEST:
        raise ServiceError(_("不能关账 %(d)s 之前的期间", d=EARLIEST.isoformat()), field="day")
    return kind


def close_period(day: date, *, actor, note: str = "") -> PeriodClose:
    """Close the period ending on `day`: freeze every goal's figure, status and records.

    Raises ServiceError for a date that is not a passed year or quarter end, or that is closed
    already (the message says by whom and when).
    """
    kind = period_kind(day)
    _refuse_closed(day)
    close = PeriodClose(day=day, active_day=day, kind=kind, note=(note or "").strip()[:2000],
                        closed_at=utcnow(), closed_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():     # another close of the same date committed meanwhile
            db.session.add(close)
            db.session.flush()
    except IntegrityError:
        _refuse_closed(day)
        raise
    close.figures.extend(_freeze(day))
    audit.record(actor, "goals.period.close", close, note=_("冻结 %(n)s 项目标", n=len(close.figures)),
                 changes={"day": [None, day.isoformat()], "kind": [None, kind], "note": [None, close.note]})
    return close


def _refuse_closed(day: date) -> None:
    existing = active_close(day)
    if existing is not None:
        raise ServiceError(_("%(d)s 已于 %(at)s 由 %(who)s 关账，不能重复关账", d=day.isoformat(),
                             at=local_text(existing.closed_at),
                             who=_who(existing.closed_by)), field="day")


def reopen_period(day: date, *, reason: str, actor) -> PeriodClose:
    """Reopen the closed period of `day` (admins); the frozen rows stay as history."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写重新开放的原因"), field="reason")
    close = active_close(day)
    if close is None:
        raise ServiceError(_("%(d)s 未关账，无需重新开放", d=day.isoformat()), field="day")
    before = audit.plain(close.active_day)
    close.active_day = None
    close.reopened_at = utcnow()
    close.reopened_by_id = getattr(actor, "id", None)
    close.reopen_reason = reason[:2000]
    audit.record(actor, "goals.period.reopen", close, note=reason[:2000],
                 changes={"active_day": [before, None], "reopen_reason": [None, close.reopen_reason]})
    return close


def _who(user) -> str:
    return user.label if user is not None else _("系统")


def _freeze(day: date) -> list[PeriodFigure]:
    rows = ru.rollup_rows(day)
    return [_figure(row, day) for row in rows]


def _figure(row: ru.Row, day: date) -> PeriodFigure:
    shown = {k: v for k, v in ru.as_dict(row, "zh").items() if k in SHOWN_KEYS}
    records = [plain(r) for r in _records(row.goal, day)]
    return PeriodFigure(goal_id=row.goal.id, actual=row.actual.value, status=row.status, shown=shown,
                        records=records, record_count=len(records))


def _records(goal, day: date) -> list[dict]:
    try:
        with db.session.begin_nested():      # a failing indicator must not abort the close
            return list(ru.records(goal.key, day))
    except Exception:  # noqa: BLE001 - the figure itself already carries the failure's note
        log.exception("records of %s as of %s failed", goal.key, day)
        return []


# --------------------------------------------------------------------------- as reported

def reported_dicts(items: list[dict], as_of: date) -> list[dict]:
    """The API's roll-up dicts for `as_of`: frozen figures as `actual` when the date is closed,
    the figure from today's data as `live_actual`, and `closed_at` (None for an open date)."""
    close = active_close(as_of)
    if close is None:
        return [{**d, "closed_at": None, "live_actual": None} for d in items]
    frozen = figures_by_key(close)
    return [_reported_dict(d, frozen.get(d["key"]), close) for d in items]


def _reported_dict(item: dict, fig: PeriodFigure | None, close: PeriodClose) -> dict:
    if fig is None:                          # a goal added after the close: nothing was reported
        return {**item, "closed_at": None, "live_actual": None}
    return {**item, **fig.shown, "actual": _float(fig.actual), "status": fig.status,
            "live_actual": item.get("actual"), "closed_at": as_utc(close.closed_at)}


def _float(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 4)


def reported_rows(rows: list[ru.Row], as_of: date) -> tuple[list[ru.Row], PeriodClose | None, dict]:
    """Roll-up rows with the frozen figures of a closed `as_of` (dashboard, export).

    Returns (rows, close or None, {goal id: live actual} for the goals whose figure moved).
    """
    close = active_close(as_of)
    if close is None:
        return rows, None, {}
    frozen = figures_of(close)
    out, moved = [], {}
    for row in rows:
        fig = frozen.get(row.goal.id)
        if fig is None:
            out.append(row)
            continue
        if fig.actual != row.actual.value:
            moved[row.goal.id] = row.actual.value
        out.append(frozen_row(row, fig))
    return out, close, moved


CLOSED_HEADER = {"zh": "关账", "en": "Closed"}


def closed_mark(close: PeriodClose, lang: str = "zh") -> str:
    """The export's mark of a frozen figure: 已关账（2019-01-05 关账，报告值）."""
    at = local_text(close.closed_at)[:10]
    if lang == "en":
        return f"Closed on {at}: figure as reported"
    return f"已关账（{at} 关账，报告值）"


def frozen_row(row: ru.Row, fig: PeriodFigure) -> ru.Row:
    """`row` with the figure, status, target and pace as they were reported."""
    s = fig.shown or {}
    actual = ru.Actual(fig.actual, s.get("actual_note") or "", s.get("actual_period"))
    target, expected = _target(s), _dec(s.get("expected"))
    goal, as_of = row.goal, fig.close.day
    # the gap and the pace follow the figure as reported, never today's data
    return dataclasses.replace(row, actual=actual, status=fig.status, target=target,
                               progress=_dec(s.get("progress")), expected=expected,
                               projection=_dec(s.get("projection")), gap=pace.gap(goal, target, fig.actual),
                               behind=pace.behind_pace(goal, target, fig.actual, expected),
                               needed_per_quarter=pace.needed_per_quarter(goal, target, fig.actual, as_of))


def _target(shown: dict) -> GoalTarget | None:
    """A detached target carrying the frozen values (never added to the session)."""
    if shown.get("target") is None:
        return None
    return GoalTarget(year=shown.get("target_year"), value=_dec(shown["target"]),
                      value_max=_dec(shown.get("target_max")), comparator=shown.get("comparator") or ">=",
                      approximate=bool(shown.get("approximate")), source=shown.get("target_source") or "")


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def frozen_records(key: str, as_of: date) -> list[dict] | None:
    """The frozen records of goal `key` on a closed `as_of`; None when the date is open."""
    close = active_close(as_of)
    goal = ru.get_goal(key)
    if close is None or goal is None:
        return None
    fig = figure_of(close, goal)
    return None if fig is None else list(fig.records or [])


@dataclasses.dataclass
class Comparison:
    """A goal on a closed date: the figure as reported, the figure now, and what moved."""
    close: PeriodClose
    figure: PeriodFigure
    live: Decimal | None
    differences: list

    @property
    def moved(self) -> bool:
        return self.figure.actual != self.live or bool(self.differences)


def comparison(goal, as_of: date, live_row: ru.Row) -> Comparison | None:
    """As reported vs now for `goal` on a closed `as_of` (None when the date is open)."""
    close = active_close(as_of)
    fig = figure_of(close, goal) if close is not None else None
    if fig is None:
        return None
    diffs = period_diff.compare(list(fig.records or []), _records(goal, as_of))
    return Comparison(close, fig, live_row.actual.value, period_diff.explain(diffs, close.closed_at))
