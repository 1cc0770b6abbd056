"""The home page's panels and the navigation badge, contributed by the domains (`Domain.home`).

Core owns the page and the badge but knows nothing of goals or bureaus: a domain declares a
`HomeProvider` whose `panels(user)` returns what it shows on that user's home page and whose
`awaiting(user)` counts what waits for the user (the badge, shown on every page).

The badge is cached per user until a commit writes a table it read (core.dataversion): a page load
costs the one version read unless such a table was written since.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core import dataversion, dates
from core.db import db, utcnow
from core.import_batches import ImportBatch
from core.permissions import can


@dataclass(frozen=True)
class Panel:
    """One block of the home page: a template and its context."""
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50


@dataclass(frozen=True)
class HomeProvider:
    panels: Callable            # fn(user) -> list[Panel]
    awaiting: Callable | None = None   # fn(user) -> int: items waiting for the user's action


_PROVIDERS: list[HomeProvider] = []
log = logging.getLogger(__name__)


def register(provider: HomeProvider) -> None:
    """Add a domain's provider (core.domain.install); a provider is registered once."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def panels(user) -> list[Panel]:
    out = [p for prov in _PROVIDERS for p in prov.panels(user)]
    return sorted(out, key=lambda p: p.order)


def awaiting(user) -> int:
    """What waits for `user` (the nav badge): one cached number per user and day (core.dataversion)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    counters = [p.awaiting for p in _PROVIDERS if p.awaiting is not None]
    if not counters:
        return 0
    key = ("home.awaiting", user.id, dates.today())
    try:
        # the user (role, unit) was loaded before: its tables count besides the SQL the counters run
        return dataversion.cached(key, lambda: sum(fn(user) for fn in counters), tables=("core_users", "core_units"))
    except SQLAlchemyError:      # the badge is on every page, error pages included: never a second failure
        log.exception("the navigation badge could not be counted")
        return 0


# --------------------------------------------------------------------------- imports that failed

FAILED_IMPORT_DAYS = 30


def sees_everyones_imports(user) -> bool:
    """Whoever administers the users (admin.users) follows everybody's failed imports on the home page."""
    return can("admin.users", user=user)


def failed_imports(user, limit: int = 5) -> list:
    """The user's recent imports that did not go through cleanly, newest first: import jobs that
    failed or ended with errors (core.import_jobs), and imports written with rejected rows
    (--skip-invalid batches) — everybody's for an administrator (`sees_everyones_imports`). Each item:
    (kind, filename, when, what went wrong, link, whose: '' for the user's own). Another user's job
    page stays that user's (core.import_jobs.owned): it is listed without a link."""
    from core import import_jobs
    from core.auth.models import User
    everyone = sees_everyones_imports(user)
    since = utcnow() - timedelta(days=FAILED_IMPORT_DAYS)
    jobs = (select(import_jobs.ImportJob).where(import_jobs.ImportJob.created_at >= since)
            .order_by(import_jobs.ImportJob.id.desc()).limit(50))
    if not everyone:
        jobs = jobs.where(import_jobs.ImportJob.owner_id == user.id)
    items = []
    names: dict[int, str] = {}
    for job in db.session.scalars(jobs):
        problem = _job_problem(job)
        if problem:
            own = job.owner_id == user.id
            if not own and job.owner_id not in names:
                other = db.session.get(User, job.owner_id)
                names[job.owner_id] = other.label if other else ""
            items.append(FailedImport(job.kind, job.filename, job.created_at, problem,
                                      url_for("core.import_job", kind=job.kind, job_id=job.id) if own else None,
                                      "" if own else names[job.owner_id]))
    stmt = (select(ImportBatch).where(ImportBatch.rejected > 0, ImportBatch.created_at >= since)
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit))
    if not everyone:
        stmt = stmt.where(ImportBatch.actor_id == user.id)
    for b in db.session.scalars(stmt):
        items.append(FailedImport(b.kind, b.filename, b.created_at, _("%(n)s 行被拒绝", n=b.rejected),
                                  url_for("core.import_batches", kind=b.kind),
                                  "" if b.actor_id == user.id else (b.actor_name or "")))
    items.sort(key=lambda i: dates.as_utc(i.created_at), reverse=True)
    return items[:limit]


@dataclass
class FailedImport:
    kind: str
    filename: str
    created_at: object
    problem: str
    url: str | None
    owner: str = ""          # whose import, when not the user's own (an administrator's list)


def _job_problem(job) -> str:
    """What went wrong with an import job ('' when nothing did or it is still running)."""
    if job.state == "failed":
        return _("导入任务失败")
    if job.state != "done":
        return ""
    errors = (job.result or {}).get("errors") or 0
    errors = len(errors) if isinstance(errors, list) else errors
    if job.action == "commit" and not (job.result or {}).get("written"):
        return _("未写入任何数据")
    if job.action == "preview" and errors:
        return _("校验发现 %(n)s 处错误", n=errors)
    return ""


def recent_imports(user, limit: int = 5) -> list:
    """The user's latest import jobs (running ones included): their result pages stay reachable from home."""
    from core import import_jobs
    return import_jobs.recent_for(user, limit)


# --------------------------------------------------------------------------- the administrators' to-dos

ADMIN_LIST_LIMIT = 8


def _admin_todos() -> dict:
    """Scheduled jobs that failed in the last FAILED_IMPORT_DAYS days (retrying or given up), users
    locked out by failed sign-ins, active users who must change their password."""
    from core.auth.models import LoginThrottle, User
    from core.scheduler import JobRun
    since = utcnow() - timedelta(days=FAILED_IMPORT_DAYS)
    jobs = [{"job": r.job, "period": r.period, "attempts": r.attempts, "summary": r.summary,
             "started_at": r.started_at, "next_try_at": r.next_try_at}
            for r in db.session.scalars(select(JobRun).where(JobRun.status == "failed", JobRun.started_at >= since)
                                        .order_by(JobRun.started_at.desc(), JobRun.id.desc()))]
    now = utcnow()
    locked: dict[str, object] = {}
    for name, until in db.session.execute(select(LoginThrottle.username, LoginThrottle.locked_until)
                                          .where(LoginThrottle.username != "",
                                                 LoginThrottle.locked_until.is_not(None))):
        until = dates.as_utc(until)
        if until > now and (name not in locked or until > locked[name]):
            locked[name] = until
    users = {u.username: u for u in db.session.scalars(select(User).where(
        (User.username.in_(list(locked))) | ((User.must_change_password.is_(True)) & (User.active.is_(True))))
        .order_by(User.username))}
    accounts = [{"id": u.id, "username": u.username, "label": u.label, "locked_until": locked.get(u.username),
                 "must_change": bool(u.must_change_password)} for u in users.values()]
    return {"jobs": jobs, "accounts": accounts, "total": len(jobs) + len(accounts)}


def admin_todos(user) -> dict | None:
    """What waits for an administrator (admin.users), as plain values; None for anyone else."""
    if not can("admin.users", user=user):
        return None
    return _admin_todos()            # a lock runs out with time: not cached (the badge's sum is, per data version)


def _admin_panels(user) -> list[Panel]:
    todos = admin_todos(user)
    if todos is None:
        return []
    return [Panel("core/home_admin.html", {**todos, "limit": ADMIN_LIST_LIMIT}, order=30)]


def _admin_awaiting(user) -> int:
    todos = admin_todos(user)
    return 0 if todos is None else todos["total"]


ADMIN = HomeProvider(panels=_admin_panels, awaiting=_admin_awaiting)
register(ADMIN)


# --------------------------------------------------------------------------- my exports

def export_panels(user) -> list[Panel]:
    """"My exports": the user's latest long exports (core.export_jobs) — running with their progress, done
    with the file to download, failed with the reason — shown once the user has started one."""
    from core import export_jobs, import_jobs
    jobs = export_jobs.recent_for(user, 5)
    if not jobs:
        return []
    kinds = export_jobs.kinds()
    items = [RecentExport(job, kinds.get(job.kind), import_jobs.status(job), export_jobs.percent(job),
                          export_jobs.job_url(job), export_jobs.kept_file(job) is not None) for job in jobs]
    return [Panel("core/home_exports.html", {"exports": items, "keep_hours": export_jobs.KEEP_HOURS}, order=12)]


@dataclass
class RecentExport:
    job: object
    kind: object
    status: dict
    percent: int
    url: str
    kept: bool


EXPORTS = HomeProvider(panels=export_panels)
register(EXPORTS)                  # core's own, like ADMIN: the export jobs are core's (core.export_jobs)
