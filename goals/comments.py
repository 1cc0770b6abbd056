"""分析与建议: one comment per goal, period and responsible unit, written by that unit's editors (or an
admin, for one of the responsible units) and read on the dashboard, the goal page and the managers'
home page by whoever holds `goals.comment_read` on the goal (READ): managers and admins on every goal,
a unit's own users on the goals it is responsible for — not the other units' editors. Services take an
explicit actor, never commit, and audit every write (`goals.comment.create` / `goals.comment.update`).
"""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import dates
from core.audit import service as audit
from core.auth.models import Unit
from core.db import db
from core.errors import ServiceError
from core.permissions import ALL_UNITS, can
from goals.models import Goal, GoalComment, GoalUnit
from goals.service import parse_period

MAX_LENGTH = 4000
READ = "goals.comment_read"      # core.permissions: who reads a goal's comments


def readable(goal: Goal, user=None) -> bool:
    """May `user` (default: the current user) read the comments on `goal`?"""
    return can(READ, goal, user=user)


def period_of(day: date) -> str:
    """The quarter a date falls in, as a period: 2019-05-02 → '2019-Q2'."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def save_comment(goal: Goal, *, period: str, text: str, unit, actor, version: int | None = None) -> GoalComment:
    """Create or update `unit`'s analysis of `goal` for `period` ('2019' or '2019-Q2').

    Refused: a unit that is not responsible for the goal, an empty or over-long text, a period
    that has not begun, an edit made on an older version (`version`, optimistic locking).
    """
    if unit is None or unit.code not in goal.owner_unit_codes():
        raise ServiceError(_("只有该目标的责任单位可以填写分析与建议"))
    period, start, end = parse_period(period)
    if start > dates.today():
        raise ServiceError(_("填报期尚未开始"), field="period")
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写分析与建议"), field="text")
    if len(text) > MAX_LENGTH:
        raise ServiceError(_("分析与建议不能超过 %(n)s 字", n=MAX_LENGTH), field="text")
    comment = find(goal, period, unit)
    if comment is None:
        comment = GoalComment(goal=goal, goal_id=goal.id, period=period, period_end=end, unit=unit,
                              unit_id=unit.id, text=text, author_id=actor.id)
        db.session.add(comment)
        audit.record(actor, "goals.comment.create", comment)
        return comment
    if version is not None and comment.version != version:
        raise ServiceError(_("该分析已被他人修改，请刷新后再编辑"), field="text")
    if comment.text == text:
        return comment
    comment.text, comment.author_id = text, actor.id
    audit.record(actor, "goals.comment.update", comment)
    return comment


def find(goal: Goal, period: str, unit) -> GoalComment | None:
    return db.session.scalars(select(GoalComment).where(
        GoalComment.goal_id == goal.id, GoalComment.period == period, GoalComment.unit_id == unit.id)).first()


def comments_of(goal: Goal) -> list[GoalComment]:
    """Every comment on the goal, the latest period first."""
    stmt = (select(GoalComment).where(GoalComment.goal_id == goal.id)
            .options(selectinload(GoalComment.unit), selectinload(GoalComment.author))
            .order_by(GoalComment.period_end.desc(), GoalComment.unit_id))
    return list(db.session.scalars(stmt))


def latest_by_goal(goal_ids, as_of: date) -> dict[int, list[GoalComment]]:
    """{goal id: comments of the latest period that began by `as_of`} (one per unit), in one query."""
    stmt = (select(GoalComment).where(GoalComment.goal_id.in_(list(goal_ids)))
            .options(selectinload(GoalComment.unit), selectinload(GoalComment.author))
            .order_by(GoalComment.period_end, GoalComment.unit_id))
    out: dict[int, list[GoalComment]] = {}
    for c in db.session.scalars(stmt):
        if parse_period(c.period)[1] > as_of:
            continue
        have = out.get(c.goal_id)
        if have and have[0].period_end != c.period_end:
            have = None
        out[c.goal_id] = (have or []) + [c]
    return out


def recent(limit: int = 5, lang: str = "zh", scope: str | None = ALL_UNITS) -> list[dict]:
    """The latest written comments, as plain values (the managers' home page), of the goals in `scope`
    (core.permissions.unit_scope(READ): every goal, those of one unit, or none)."""
    if scope is None:
        return []
    stmt = (select(GoalComment).options(selectinload(GoalComment.unit), selectinload(GoalComment.goal))
            .order_by(GoalComment.updated_at.desc(), GoalComment.id.desc()).limit(limit))
    if scope != ALL_UNITS:
        stmt = stmt.where(GoalComment.goal_id.in_(
            select(GoalUnit.goal_id).join(Unit, Unit.id == GoalUnit.unit_id).where(Unit.code == scope)))
    return [{"goal_key": c.goal.key, "goal": c.goal.name(lang), "period": c.period, "text": c.text,
             "unit": (c.unit.name_en if lang == "en" and c.unit.name_en else c.unit.name_zh),
             "updated_at": c.updated_at} for c in db.session.scalars(stmt)]
