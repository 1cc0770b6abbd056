"""Goal services: reported values (submit → approve/return → locked), targets, thresholds,
notifications, snapshots. Services take plain values and an explicit actor and never commit.

The roll-up itself lives in goals.rollup; `rollup` and `records` are re-exported here for the API.
"""
import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit import service as audit
from core.db import db, utcnow
from core.errors import ServiceError
from core import dates
from goals.models import (GoalSnapshot, GoalTarget, Goal, Notification, ReportedValue,
                          StatusThreshold, TargetRevision)
from goals.rollup import actual_of, get_goal, records, rollup  # noqa: F401 - the API's entry points

PERIOD_RE = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")
EVIDENCE_EXTENSIONS = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "csv", "txt", "jpg", "jpeg",
                                 "png", "zip", "rar", "7z", "ofd", "wps", "et"})
QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


# --------------------------------------------------------------------------- periods

def parse_period(text: str) -> tuple[str, date, date]:
    """'2019' or '2019-Q2' → (normalised period, first day, last day); ServiceError otherwise."""
    text = (text or "").strip().upper()
    m = PERIOD_RE.match(text)
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise ServiceError(_("填报期格式应为“2019”或“2019-Q2”"), field="period")
    year = int(m.group(1))
    if m.group(2) is None:
        return text, date(year, 1, 1), date(year, 12, 31)
    q = int(m.group(2))
    month, day = QUARTER_END[q]
    return text, date(year, 3 * q - 2, 1), date(year, month, day)


def due_period(goal: Goal, today: date) -> str:
    """The last period that has ended by `today` for the goal's reporting frequency."""
    if goal.report_frequency == "quarter":
        q = (today.month - 1) // 3
        return f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}"
    return str(today.year - 1)


def to_decimal(value, field: str = "value") -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise ServiceError(_("请输入数字"), field=field) from None
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise ServiceError(_("数值超出范围"), field=field)
    return number


# --------------------------------------------------------------------------- reported values

def find_report(goal: Goal, period: str) -> ReportedValue | None:
    return db.session.scalars(select(ReportedValue).where(
        ReportedValue.goal_id == goal.id, ReportedValue.period == period)).first()


def _check_editable(rv: ReportedValue) -> None:
    if rv.locked:
        raise ServiceError(_("%(p)s 期已审核锁定，不能修改；如需更正请联系管理员重新开放", p=rv.period))
    if rv.status == "submitted":
        raise ServiceError(_("%(p)s 期已提交，正在等待审核，暂不能修改", p=rv.period))


def save_report(goal: Goal, *, period: str, value, note: str, actor, unit,
                evidence: tuple[str, bytes] | None = None, submit: bool = True,
                today: date | None = None) -> ReportedValue:
    """Create or update the goal's value for `period` (draft, or submitted for review).

    Refused: computed goals, periods that have not begun, locked or pending periods.
    `evidence` = (original file name, content); stored under instance/uploads/goals.
    """
    if goal.kind != "reported":
        raise ServiceError(_("该目标由系统根据业务数据自动计算，无需填报"))
    period, start, end = parse_period(period)
    if start > (today or dates.today()):
        raise ServiceError(_("填报期尚未开始"), field="period")
    number = to_decimal(value)
    if number is not None:
        check_plausible(goal, number, "value", what=_("填报值"))
    rv = find_report(goal, period)
    creating = rv is None
    if creating:
        rv = ReportedValue(goal=goal, goal_id=goal.id, period=period, period_end=end)
        db.session.add(rv)
    else:
        _check_editable(rv)
    rv.value, rv.note, rv.unit_id = number, (note or "").strip(), unit.id if unit else None
    if evidence is not None:
        rv.evidence_path, rv.evidence_name = store_evidence(*evidence)
    rv.status = "submitted" if submit else "draft"
    if submit:
        rv.submitted_by_id, rv.submitted_at = actor.id, utcnow()
    verb = "submit" if submit else ("create" if creating else "update")
    audit.record(actor, f"goals.report.{verb}", rv)
    return rv


def store_evidence(filename: str, content: bytes) -> tuple[str, str]:
    """Save an uploaded attachment; returns (relative path, original name)."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not name or ext not in EVIDENCE_EXTENSIONS:
        raise ServiceError(_("附件类型不支持，请上传 PDF、Word、Excel、图片或压缩包"), field="evidence")
    if not content:
        raise ServiceError(_("附件为空"), field="evidence")
    rel = f"goals/{uuid.uuid4().hex}.{ext}"
    path = uploads_dir() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return rel, name[:255]


def uploads_dir() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "uploads"


def approve_report(rv: ReportedValue, *, actor) -> ReportedValue:
    """Approve a submitted value: the period is locked from now on."""
    if rv.status != "submitted":
        raise ServiceError(_("只有已提交的填报才能审核"))
    rv.status, rv.locked, rv.return_reason = "approved", True, ""
    rv.decided_by_id, rv.decided_at = actor.id, utcnow()
    audit.record(actor, "goals.report.approve", rv)
    return rv


def return_report(rv: ReportedValue, *, reason: str, actor) -> ReportedValue:
    """Send a submitted value back to its unit with a reason (the unit is notified)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("退回时必须填写原因"), field="reason")
    if rv.status != "submitted":
        raise ServiceError(_("只有已提交的填报才能退回"))
    rv.status, rv.return_reason = "returned", reason
    return _decided(rv, actor, "return", reason,
                    _("“%(g)s” %(p)s 期填报被退回：%(r)s", g=rv.goal.name_zh, p=rv.period, r=reason))


def _decided(rv: ReportedValue, actor, verb: str, reason: str, message: str) -> ReportedValue:
    """Record who decided and when, audit it with the reason, and tell the reporting units."""
    rv.decided_by_id, rv.decided_at = actor.id, utcnow()
    audit.record(actor, f"goals.report.{verb}", rv, note=reason)
    for unit in _report_units(rv):
        notify(unit, f"{verb}:{rv.id}:{rv.version}", message)
    return rv


def reopen_report(rv: ReportedValue, *, reason: str, actor) -> ReportedValue:
    """Admin: unlock an approved period so the unit can correct it (audited with the reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("重新开放时必须填写原因"), field="reason")
    if not rv.locked:
        raise ServiceError(_("该填报期未锁定"))
    rv.locked, rv.status, rv.return_reason = False, "returned", reason
    return _decided(rv, actor, "reopen", reason,
                    _("“%(g)s” %(p)s 期已重新开放：%(r)s", g=rv.goal.name_zh, p=rv.period, r=reason))


def _report_units(rv: ReportedValue):
    return [rv.unit] if rv.unit is not None else rv.goal.units


def reports_of(goal: Goal) -> list[ReportedValue]:
    stmt = select(ReportedValue).where(ReportedValue.goal_id == goal.id).order_by(ReportedValue.period_end.desc())
    return list(db.session.scalars(stmt))


def pending_reports() -> list[ReportedValue]:
    stmt = select(ReportedValue).where(ReportedValue.status == "submitted").order_by(ReportedValue.submitted_at)
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------- targets & thresholds

TARGET_SOURCE = "年度目标"     # the source of a target set on the target page (not in the plan)
TARGET_YEARS = (2017, 2035)


def check_target_value(goal: Goal, value: Decimal, field: str = "value") -> None:
    """Refuse targets that cannot be meant: negative counts, shares above 100 %, fractions of a firm."""
    check_plausible(goal, value, field, what=_("目标值"))


def check_plausible(goal: Goal, value: Decimal, field: str, *, what: str) -> None:
    """Refuse a target or a reported value that cannot be real for the goal's unit and nature
    (a share of 950 %, a negative count, half a firm, a growth rate of 5,000 %)."""
    from goals.pace import is_count
    if goal.nature == "growth_rate":
        if not Decimal(-100) <= value <= Decimal(1000):
            raise ServiceError(_("%(what)s为增长率，应在 -100%% 到 1000%% 之间", what=what), field=field)
        return
    if value < 0:
        raise ServiceError(_("%(what)s不能为负数", what=what), field=field)
    if goal.unit_zh == "%" and value > 100:
        raise ServiceError(_("%(what)s为比重或比率，不能超过 100%%", what=what), field=field)
    if is_count(goal) and value != value.to_integral_value():
        raise ServiceError(_("“%(u)s”为计数单位，%(what)s应为整数", u=goal.unit_zh, what=what), field=field)
    if value >= Decimal("1e12"):
        raise ServiceError(_("%(what)s过大，请检查单位", what=what), field=field)


def _target_values(goal: Goal, comparator: str, value, value_max) -> tuple[Decimal, Decimal | None]:
    new = to_decimal(value)
    new_max = None if value_max in (None, "") else to_decimal(value_max, "value_max")
    check_target_value(goal, new)
    if comparator == "range":
        if new_max is None or new_max <= new:
            raise ServiceError(_("区间目标的上限必须大于下限"), field="value_max")
        check_target_value(goal, new_max, "value_max")
    else:
        new_max = None
    return new, new_max


def revise_target(target: GoalTarget, *, value, value_max=None, note: str = "", actor) -> TargetRevision:
    """Change a target's value, keeping who/when/old → new as a TargetRevision (audited)."""
    new, new_max = _target_values(target.goal, target.comparator, value, value_max)
    if new == target.value and new_max == target.value_max:
        raise ServiceError(_("目标值没有变化"), field="value")
    rev = TargetRevision(target=target, changed_by_id=actor.id, old_value=target.value, new_value=new,
                         old_value_max=target.value_max, new_value_max=new_max, note=(note or "").strip())
    db.session.add(rev)
    target.value, target.value_max = new, new_max
    audit.record(actor, "goals.target.revise", target, note=rev.note)
    return rev


def set_target(goal: Goal, *, year, value, value_max=None, note: str = "", actor) -> TargetRevision:
    """Set the goal's target for `year` (an interim year, or a goal the plan left without one).

    A year that already has a target is revised (its own wording first); otherwise a target is
    added with the comparator of the goal's other targets (">=" when it has none, "range" when an
    upper bound is given). Every change leaves a TargetRevision and an audit entry."""
    try:
        year = int(str(year).strip())
    except ValueError:
        raise ServiceError(_("请填写年份，如 2018"), field="year") from None
    if not TARGET_YEARS[0] <= year <= TARGET_YEARS[1]:
        raise ServiceError(_("年份应在 %(a)s 至 %(b)s 之间", a=TARGET_YEARS[0], b=TARGET_YEARS[1]), field="year")
    same = sorted((t for t in goal.targets if t.year == year), key=lambda t: t.source != goal.source)
    if same:
        return revise_target(same[0], value=value, value_max=value_max, note=note, actor=actor)
    comparator = goal.targets[-1].comparator if goal.targets else ">="
    if value_max not in (None, "") and comparator != "<=":
        comparator = "range"
    new, new_max = _target_values(goal, comparator, value, value_max)
    target = GoalTarget(goal=goal, year=year, value=new, value_max=new_max, comparator=comparator,
                        approximate=False, source=TARGET_SOURCE, plan_text="")
    db.session.add(target)
    audit.record(actor, "goals.target.create", target, note=(note or "").strip())
    rev = TargetRevision(target=target, changed_by_id=actor.id, old_value=None, new_value=new,
                         old_value_max=None, new_value_max=new_max, note=(note or "").strip())
    db.session.add(rev)
    return rev


def update_threshold(rule: StatusThreshold, *, min_ratio, actor) -> StatusThreshold:
    """Admin: change a status threshold (ratio, e.g. 0.95 = 95 %)."""
    if rule.basis == "none":
        raise ServiceError(_("兜底状态没有阈值"))
    ratio = to_decimal(min_ratio, "min_ratio")
    if not Decimal(0) < ratio <= Decimal(10):
        raise ServiceError(_("阈值应大于 0 且不超过 10（1 表示 100%）"), field="min_ratio")
    rule.min_ratio = ratio
    audit.record(actor, "goals.threshold.update", rule)
    return rule


# --------------------------------------------------------------------------- notifications

def notify(unit, key: str, message: str, url: str | None = None) -> Notification | None:
    """Add a notification for `unit` unless one with the same key exists (idempotent)."""
    exists = db.session.scalars(select(Notification).where(
        Notification.unit_id == unit.id, Notification.key == key)).first()
    if exists is not None:
        return None
    note = Notification(unit_id=unit.id, key=key[:128], message=message, url=url)
    db.session.add(note)
    db.session.flush()
    return note


def notifications_for(unit, limit: int = 50) -> list[Notification]:
    stmt = (select(Notification).where(Notification.unit_id == unit.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def mark_read(note: Notification) -> None:
    if note.read_at is None:
        note.read_at = utcnow()


# --------------------------------------------------------------------------- snapshots

def take_snapshot(goal: Goal, day: date) -> GoalSnapshot | None:
    """Store the goal's value as of `day`; None when there is no value or the day is done.

    Safe against a concurrent scheduler: the insert runs in a savepoint and the unique
    (goal, day) constraint turns the second insert into a no-op.
    """
    if db.session.scalars(select(GoalSnapshot.id).where(
            GoalSnapshot.goal_id == goal.id, GoalSnapshot.day == day)).first() is not None:
        return None
    value = actual_of(goal, day).value
    if value is None:
        return None
    snap = GoalSnapshot(goal_id=goal.id, day=day, value=value)
    try:
        with db.session.begin_nested():
            db.session.add(snap)
    except IntegrityError:
        return None
    return snap


def snapshot_all(day: date) -> int:
    goals = list(db.session.scalars(select(Goal).order_by(Goal.position)))
    return sum(1 for g in goals if take_snapshot(g, day) is not None)


def backfill_quarter_ends(today: date) -> int:
    """Snapshots of every computed goal at each quarter end since its window began that has none
    yet, recomputed from the dated records — so a trend exists from the day data is imported."""
    from goals.pace import history_start, quarter_ends
    goals = list(db.session.scalars(select(Goal).where(Goal.kind == "computed").order_by(Goal.position)))
    have = set(db.session.execute(select(GoalSnapshot.goal_id, GoalSnapshot.day)).tuples())
    stored = 0
    for goal in goals:
        for day in quarter_ends(history_start(goal), today):
            if (goal.id, day) not in have and take_snapshot(goal, day) is not None:
                stored += 1
    return stored


def due_items(rows, today: date) -> list[tuple]:
    """(goal, period, report or None) of reported goals whose ended periods lack a submitted/approved value.

    Annual periods from 2017 up to the last completed year, but not beyond the goal's last target year.
    """
    out = []
    for row in rows:
        goal = row.goal
        if goal.kind != "reported" or not goal.targets:
            continue
        last = min(today.year - 1, max(t.year for t in goal.targets))
        have = {rv.period: rv for rv in reports_of(goal)}
        for year in range(2017, last + 1):
            rv = have.get(str(year))
            if rv is None or rv.status in ("draft", "returned"):
                out.append((goal, str(year), rv))
    return out
