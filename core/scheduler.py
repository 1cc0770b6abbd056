"""Periodic jobs: declared by the domains (`Domain.jobs`), run by one `flask --app wsgi scheduler` process.

Each run is claimed by inserting (job, period) into core_job_runs, which is unique: a second
scheduler process running the same job for the same period finds the claim and skips.
"""
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

import click
from sqlalchemy import DateTime, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core import dates
from core.db import db, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable          # func(period: str, today: date) -> str (summary)
    cron: dict              # APScheduler cron fields, e.g. {"hour": 1, "minute": 30}
    period: Callable = lambda today: today.isoformat()   # noqa: E731 - the idempotency key


class JobRun(db.Model):
    __tablename__ = "core_job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    status: Mapped[str] = mapped_column(String(16), default="running")
    summary: Mapped[str] = mapped_column(Text, default="")


_JOBS: dict[str, Job] = {}


def register_jobs(jobs) -> None:
    """Add declared jobs (core.domain.install; core's own in init_app)."""
    for job in jobs:
        _JOBS[job.name] = job


def jobs() -> dict[str, Job]:
    return dict(_JOBS)


def run_job(name: str, today: date | None = None) -> JobRun | None:
    """Run `name` once for its period; None when another process already claimed the period."""
    job = _JOBS[name]
    today = today or dates.today()
    period = job.period(today)
    run = JobRun(job=name, period=period)
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("job %s period %s already claimed; skipping", name, period)
        return None
    try:
        run.summary = str(job.func(period, today) or "")
        run.status = "ok"
    except Exception as exc:  # a job failure is recorded, never kills the scheduler
        db.session.rollback()
        run = db.session.get(JobRun, run.id)
        run.status, run.summary = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        log.exception("job %s failed", name)
    run.finished_at = utcnow()
    db.session.commit()
    return run


def last_runs() -> list[JobRun]:
    rows = []
    for name in sorted(_JOBS):
        stmt = select(JobRun).where(JobRun.job == name).order_by(JobRun.started_at.desc()).limit(1)
        rows.append((name, db.session.scalars(stmt).first()))
    return rows


def init_app(app) -> None:
    register_jobs(CORE_JOBS)

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="run every job once for today and exit")
    def scheduler_cmd(once):
        """Run the periodic jobs (Asia/Shanghai). Start exactly one of these per installation."""
        if once:
            for name in sorted(_JOBS):
                run = run_job(name)
                click.echo(f"{name}: {run.status + ' ' + run.summary if run else 'already done'}")
            return
        _serve(app)

    @app.cli.command("run-job")
    @click.argument("name")
    @click.option("--date", "on", default=None, help="YYYY-MM-DD (default: today in Asia/Shanghai)")
    def run_job_cmd(name, on):
        """Run one job for one day (idempotent per period)."""
        if name not in _JOBS:
            raise click.BadParameter(f"unknown job {name}; known: {', '.join(sorted(_JOBS))}")
        run = run_job(name, date.fromisoformat(on) if on else None)
        click.echo("already done for this period" if run is None else f"{run.status}: {run.summary}")


def _serve(app) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    sched = BlockingScheduler(timezone=dates.TZ)
    for name, job in _JOBS.items():
        sched.add_job(_in_context(app, name), "cron", id=name, coalesce=True,
                      max_instances=1, misfire_grace_time=3600, **job.cron)
    log.info("scheduler started with %d jobs: %s", len(_JOBS), ", ".join(sorted(_JOBS)))
    sched.start()


def _in_context(app, name):
    def call():
        with app.app_context():
            run_job(name)
    return call


def _statistics_job(_period: str, _today: date) -> str:
    from core.db import refresh_statistics
    return refresh_statistics()


# The query planner's statistics, refreshed nightly (imports of 1,000+ rows refresh them at once).
CORE_JOBS = (Job("core.statistics", _statistics_job, cron={"hour": 3, "minute": 30}),)
