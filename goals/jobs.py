"""Nightly jobs of goals/: snapshots, reminders for reported goals, the data-quality scan.

The scan runs the checks each domain declares on its own data (`Domain.quality_checks`) and keeps
their findings as DataQualityIssue rows for the admins' data-quality page.

Run by the one `flask --app wsgi scheduler` process; core.scheduler claims (job, period) so a
second scheduler skips, and each job is itself idempotent for its period.
"""
import logging
import smtplib
from datetime import date
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from core import domain
from core.db import db
from core.scheduler import Job
from goals import service
from goals.models import DataQualityIssue, Goal

log = logging.getLogger(__name__)
PLAN_FIRST_REPORT_YEAR = 2017


def snapshot_job(period: str, today: date) -> str:
    """Store every goal's value as of `today` (one row per goal per day), and the quarter-end
    values recomputed from the records that are still missing (the dashboard's trend points)."""
    stored = service.snapshot_all(today)
    filled = service.backfill_quarter_ends(today)
    db.session.commit()
    return f"{stored} snapshots for {today.isoformat()}, {filled} quarter ends filled in"


# --------------------------------------------------------------------------- reminders

def overdue(today: date) -> dict:
    """{unit: [goal, …]} of reported goals whose due period has no submitted/approved value."""
    out: dict = {}
    for goal in db.session.scalars(select(Goal).where(Goal.kind == "reported").order_by(Goal.position)):
        period = service.due_period(goal, today)
        year = int(period[:4])
        last_year = max((t.year for t in goal.targets), default=0)
        if not PLAN_FIRST_REPORT_YEAR <= year <= last_year:
            continue
        rv = service.find_report(goal, period)
        if rv is not None and rv.status in ("submitted", "approved"):
            continue
        for unit in goal.units:
            out.setdefault(unit, []).append((goal, period))
    return out


def reminder_job(period: str, today: date) -> str:
    """Remind each responsible unit of its overdue reports (in-app; e-mail when SMTP is set)."""
    sent = mailed = 0
    for unit, items in overdue(today).items():
        names = "、".join(f"{g.name_zh}（{p}）" for g, p in items)
        message = _("请填报以下目标的数据：%(items)s", items=names)
        if service.notify(unit, f"remind:{period}", message) is not None:
            sent += 1
            mailed += _mail(unit, message)
    db.session.commit()
    return f"{sent} units reminded, {mailed} e-mails"


def _mail(unit, message: str) -> int:
    """E-mail the unit's addresses (config GOALS_UNIT_EMAILS = {code: [addr]}) when SMTP_HOST is set."""
    cfg = current_app.config
    recipients = (cfg.get("GOALS_UNIT_EMAILS") or {}).get(unit.code) or []
    if not cfg.get("SMTP_HOST") or not recipients:
        return 0
    mail = EmailMessage()
    mail["Subject"] = "鄞州智造2025：目标数据填报提醒"
    mail["From"] = cfg.get("SMTP_FROM", "noreply@localhost")
    mail["To"] = ", ".join(recipients)
    mail.set_content(message)
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT", 25)), timeout=30) as smtp:
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException):
        log.exception("reminder mail to %s failed", unit.code)
        return 0
    return 1


# --------------------------------------------------------------------------- data quality

def scan(today: date) -> list[DataQualityIssue]:
    """Run every installed domain's data-quality checks for `today`, replacing that day's earlier findings."""
    db.session.execute(delete(DataQualityIssue).where(DataQualityIssue.day == today))
    issues = [DataQualityIssue(day=today, kind=f.kind, domain=d.name, firm_id=f.firm_id, firm_name=f.firm_name,
                               uscc=f.uscc, detail=f.detail)
              for d in domain.installed() for check in d.quality_checks for f in check(today)]
    db.session.add_all(issues)
    db.session.flush()
    return issues


def quality_job(period: str, today: date) -> str:
    issues = scan(today)
    db.session.commit()
    counts: dict[str, int] = {}
    for i in issues:
        counts[i.kind] = counts.get(i.kind, 0) + 1
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no issues"


def latest_issues() -> tuple[date | None, list[DataQualityIssue]]:
    day = db.session.scalars(select(DataQualityIssue.day).order_by(DataQualityIssue.day.desc()).limit(1)).first()
    if day is None:
        return None, []
    stmt = select(DataQualityIssue).where(DataQualityIssue.day == day).order_by(DataQualityIssue.kind,
                                                                                DataQualityIssue.firm_name)
    return day, list(db.session.scalars(stmt))


def _iso_week(today: date) -> str:
    y, w, _d = today.isocalendar()
    return f"{y}-W{w:02d}"


JOBS = (
    Job("goals.snapshot", snapshot_job, cron={"hour": 1, "minute": 0}),
    Job("goals.reminders", reminder_job, cron={"day_of_week": "mon", "hour": 8, "minute": 30},
        period=_iso_week),
    Job("goals.data_quality", quality_job, cron={"hour": 2, "minute": 0}),
)
