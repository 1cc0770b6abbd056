"""Commands of goals/: `flask --app wsgi seed-plan`, `flask --app wsgi periods close|reopen|list`."""
import sys
from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from core import text as unsafe_text
from core.auth.models import User
from core.db import db
from core.errors import ServiceError
from core.permissions import can
from goals import periods
from goals.plan import seed_plan, seed_thresholds


@click.command("seed-plan")
def seed_plan_cmd():
    """Load the plan's goals and targets from goals/data/plan_goals.toml (idempotent)."""
    from core.seed import seed_units
    seed_units()
    added = seed_thresholds()
    counts = seed_plan()
    db.session.commit()
    click.echo(f"goals: {counts['created']} created, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged; thresholds: {added} added")


periods_cli = AppGroup("periods", help="关账 / close and reopen reporting periods")


def _day(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("日期格式应为 YYYY-MM-DD")) from None


def _actor(username: str | None, perm: str):
    """The user recorded as actor (None = system); refused when unknown or without `perm`."""
    if not username:
        return None
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        _fail(_("用户 %(u)s 不存在", u=username))
    if not can(perm, user=user):
        _fail(_("用户 %(u)s 无权执行此操作", u=username))
    return user


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _run(action) -> None:
    try:
        result = action()
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    return result


@periods_cli.command("close")
@click.argument("day", callback=_day)
@click.option("--note", default="", callback=unsafe_text.click_text, help="说明 / note")
@click.option("--as-user", default=None, help="actor recorded in the audit trail (default: system)")
def periods_close(day, note, as_user):
    """Close the period ending on DAY (YYYY-MM-DD, a year or quarter end): freeze every goal's figure."""
    actor = _actor(as_user, "goals.close")
    close = _run(lambda: periods.close_period(day, actor=actor, note=note))
    click.echo(_("%(d)s 已关账，%(n)s 项目标的数值已冻结", d=close.day.isoformat(), n=len(close.figures)))


@periods_cli.command("reopen")
@click.argument("day", callback=_day)
@click.option("--reason", required=True, callback=unsafe_text.click_text, help="重新开放原因 / why (required)")
@click.option("--as-user", default=None, help="actor recorded in the audit trail (default: system)")
def periods_reopen(day, reason, as_user):
    """Reopen the closed period of DAY (admins); the reason is audited."""
    actor = _actor(as_user, "goals.reopen")
    close = _run(lambda: periods.reopen_period(day, reason=reason, actor=actor))
    click.echo(_("%(d)s 已重新开放", d=close.day.isoformat()))


@periods_cli.command("list")
def periods_list():
    """Every close, newest first: date, kind, who closed it and when, reopened or standing."""
    for c in periods.all_closes():
        who = c.closed_by.label if c.closed_by else _("系统")
        state = _("已关账") if not c.is_open else _("已重新开放（%(r)s）", r=c.reopen_reason)
        click.echo(f"{c.day.isoformat()}\t{c.kind}\t{who}\t{periods.local_text(c.closed_at)}\t{state}")
