"""Periodic jobs: declared by the domains (`Domain.jobs`), run by one `flask --app wsgi scheduler` process.

Each run is claimed by inserting (job, period) into core_job_runs, which is unique: a second
scheduler process running the same job for the same period finds the claim and skips. A claim
carries a lease; a claim whose process died is taken over once the lease runs out, and failed runs
are retried with backoff (the scheduler looks every five minutes).
"""
import logging
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

import click
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Integer, String, Text, UniqueConstraint, select, update
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
    run_date: Mapped[date | None] = mapped_column(Date, default=None)       # the `today` the period came from
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


_JOBS: dict[str, Job] = {}
# Work the scheduler process looks for every few seconds besides its periodic jobs (queued web imports):
# name -> (func() run in an app context, seconds between looks). Not recorded per period.
_POLLERS: dict[str, tuple[Callable, Callable]] = {}


def register_jobs(jobs) -> None:
    """Add declared jobs (core.domain.install; core's own in init_app)."""
    for job in jobs:
        _JOBS[job.name] = job


def jobs() -> dict[str, Job]:
    return dict(_JOBS)


def register_poller(name: str, func: Callable, seconds: Callable) -> None:
    """`func()` is called every `seconds(app)` seconds by the scheduler process (and once by --once)."""
    _POLLERS[name] = (func, seconds)


STATUS_LABELS = {"running": _l("运行中"), "ok": _l("成功"), "failed": _l("失败")}


def run_job(name: str, today: date | None = None, *, rerun: bool = False) -> JobRun | None:
    """Run `name` once for its period; None when the period is done, running elsewhere or not due.

    A claim carries a lease (JOB_LEASE_MINUTES): a run still "running" past it was killed, and its
    period is taken over. A failed run is retried after a backoff (JOB_RETRY_MINUTES, doubling) up to
    JOB_MAX_ATTEMPTS; `rerun` (an operator's `run-job`) retries a failed period at once, whatever
    its attempts.
    """
    job = _JOBS[name]
    today = today or dates.today()
    period = job.period(today)
    run = _claim(name, period, today, rerun)
    if run is None:
        return None
    try:
        run.summary = str(job.func(period, today) or "")
        run.status, run.next_try_at = "ok", None
    except Exception as exc:  # a job failure is recorded, never kills the scheduler
        db.session.rollback()
        run = db.session.get(JobRun, run.id)
        run.status, run.summary = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        run.next_try_at = _next_try(run.attempts)
        log.exception("job %s failed (attempt %s)", name, run.attempts)
    run.finished_at, run.lease_until = utcnow(), None
    db.session.commit()
    return run


def _setting(key: str):
    return current_app.config[key]


def _next_try(attempts: int):
    """When a run that failed `attempts` times is tried again (None: given up, a person must rerun it)."""
    if attempts >= _setting("JOB_MAX_ATTEMPTS"):
        return None
    return utcnow() + timedelta(minutes=_setting("JOB_RETRY_MINUTES") * 2 ** (attempts - 1))


def _claim(name: str, period: str, today: date, rerun: bool) -> JobRun | None:
    """Insert the (job, period) claim, or take over a stale or failed one; None when not ours to run."""
    lease = utcnow() + timedelta(minutes=_setting("JOB_LEASE_MINUTES"))
    run = JobRun(job=name, period=period, run_date=today, lease_until=lease)
    db.session.add(run)
    try:
        db.session.commit()
        return run
    except IntegrityError:
        db.session.rollback()
    old = db.session.scalars(select(JobRun).where(JobRun.job == name, JobRun.period == period)).one()
    if not _may_take_over(old, rerun):
        log.info("job %s period %s: %s, not taken", name, period, old.status)
        return None
    # compare-and-set on (status, attempts): of two processes taking over, one wins
    taken = db.session.execute(
        update(JobRun).where(JobRun.id == old.id, JobRun.status == old.status, JobRun.attempts == old.attempts)
        .values(status="running", attempts=old.attempts + 1, started_at=utcnow(), finished_at=None,
                lease_until=lease, next_try_at=None, run_date=today))
    db.session.commit()
    if taken.rowcount != 1:
        return None
    db.session.refresh(old)
    log.warning("job %s period %s taken over (attempt %s)", name, period, old.attempts)
    return old


def _may_take_over(run: JobRun, rerun: bool) -> bool:
    now = utcnow()
    if run.status == "running":
        ends = dates.as_utc(run.lease_until) or dates.as_utc(run.started_at) + timedelta(minutes=_setting("JOB_LEASE_MINUTES"))
        return ends < now                      # the process that claimed it died (or overran its lease)
    if run.status == "failed":
        return rerun or (run.next_try_at is not None and dates.as_utc(run.next_try_at) <= now)
    return False


def retry_due() -> list[JobRun]:
    """Run again every failed run whose backoff has passed and every claim whose lease ran out."""
    now = utcnow()
    stmt = select(JobRun.job, JobRun.run_date).where(
        ((JobRun.status == "failed") & (JobRun.next_try_at <= now))
        | ((JobRun.status == "running") & (JobRun.lease_until < now)))
    done = []
    for name, on in db.session.execute(stmt).all():
        if name in _JOBS and on is not None:
            run = run_job(name, on)
            if run is not None:
                done.append(run)
    return done


def last_runs() -> list[tuple[str, JobRun | None]]:
    rows = []
    for name in sorted(_JOBS):
        stmt = select(JobRun).where(JobRun.job == name).order_by(JobRun.started_at.desc()).limit(1)
        rows.append((name, db.session.scalars(stmt).first()))
    return rows


def failed_runs(limit: int = 20) -> list[JobRun]:
    """The latest runs that failed (retrying or given up), for the administrators."""
    stmt = select(JobRun).where(JobRun.status == "failed").order_by(JobRun.started_at.desc()).limit(limit)
    return list(db.session.scalars(stmt))


def init_app(app) -> None:
    register_jobs(CORE_JOBS)

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="run every job once for today and exit")
    def scheduler_cmd(once):
        """Run the periodic jobs (Asia/Shanghai). Start exactly one of these per installation."""
        if once:
            for run in retry_due():
                click.echo(f"{run.job} {run.period} (retry {run.attempts}): {run.status} {run.summary}")
            for name in sorted(_JOBS):
                run = run_job(name)
                click.echo(f"{name}: {run.status + ' ' + run.summary if run else 'already done'}")
            for name, (func, _seconds) in sorted(_POLLERS.items()):
                click.echo(f"{name}: {func()}")
            return
        _serve(app)

    @app.cli.command("run-job")
    @click.argument("name")
    @click.option("--date", "on", default=None, help="YYYY-MM-DD (default: today in Asia/Shanghai)")
    def run_job_cmd(name, on):
        """Run one job for one day (idempotent per period; a failed period is run again)."""
        if name not in _JOBS:
            raise click.BadParameter(f"unknown job {name}; known: {', '.join(sorted(_JOBS))}")
        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            raise click.BadParameter(f"not a date (YYYY-MM-DD): {on}", param_hint="--date") from None
        run = run_job(name, day, rerun=True)
        click.echo("already done for this period" if run is None
                   else f"{run.status}: {run.summary}" + (f" (attempt {run.attempts})" if run.attempts > 1 else ""))
        if run is not None and run.status == "failed":
            sys.exit(1)


def _serve(app) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    sched = BlockingScheduler(timezone=dates.TZ)
    for name, job in _JOBS.items():
        sched.add_job(_in_context(app, name), "cron", id=name, coalesce=True,
                      max_instances=1, misfire_grace_time=3600, **job.cron)
    sched.add_job(_retries_in_context(app), "interval", id="core.retries", minutes=5, coalesce=True,
                  max_instances=1)
    for name, (func, seconds) in _POLLERS.items():
        sched.add_job(_poller_in_context(app, func), "interval", id=name, seconds=seconds(app), coalesce=True,
                      max_instances=1)
    log.info("scheduler started with %d jobs: %s", len(_JOBS), ", ".join(sorted(_JOBS)))
    sched.start()


def _in_context(app, name):
    def call():
        with app.app_context():
            run_job(name)
    return call


def _poller_in_context(app, func):
    def call():
        with app.app_context():
            try:
                func()
            finally:
                db.session.remove()
    return call


def _retries_in_context(app):
    def call():
        with app.app_context():
            retry_due()
    return call


def _statistics_job(_period: str, _today: date) -> str:
    from core.db import refresh_statistics
    return refresh_statistics()


def _audit_anchor_job(period: str, today: date) -> str:
    from core.audit.verify import anchor_job
    return anchor_job(period, today)


# The query planner's statistics, refreshed nightly (imports of 1,000+ rows refresh them at once);
# the audit chain's head anchored to a file outside the database every night.
CORE_JOBS = (Job("core.statistics", _statistics_job, cron={"hour": 3, "minute": 30}),
             Job("core.audit_anchor", _audit_anchor_job, cron={"hour": 3, "minute": 45}))
