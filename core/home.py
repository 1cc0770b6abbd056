"""The home page's panels and the navigation badge, contributed by the domains (`Domain.home`).

Core owns the page and the badge but knows nothing of goals or bureaus: a domain declares a
`HomeProvider` whose `panels(user)` returns what it shows on that user's home page and whose
`awaiting(user)` counts what waits for the user (the badge, shown on every page).

The badge is computed once per data version per user (core.dataversion): a page load costs the
one version read unless something was written since.
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
    """What waits for `user` (the nav badge): one cached number per user, day and data version."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    counters = [p.awaiting for p in _PROVIDERS if p.awaiting is not None]
    if not counters:
        return 0
    key = ("home.awaiting", user.id, dates.today())
    try:
        return dataversion.cached(key, lambda: sum(fn(user) for fn in counters))
    except SQLAlchemyError:      # the badge is on every page, error pages included: never a second failure
        log.exception("the navigation badge could not be counted")
        return 0


# --------------------------------------------------------------------------- imports that failed

FAILED_IMPORT_DAYS = 30


def failed_imports(user, limit: int = 5) -> list:
    """The user's recent imports that did not go through cleanly, newest first: import jobs that
    failed or ended with errors (core.import_jobs), and imports written with rejected rows
    (--skip-invalid batches). Each item: (kind, filename, when, what went wrong, link)."""
    from core import import_jobs
    since = utcnow() - timedelta(days=FAILED_IMPORT_DAYS)
    items = []
    for job in import_jobs.recent_for(user, 50):
        if dates.as_utc(job.created_at) < since:
            break
        problem = _job_problem(job)
        if problem:
            items.append(FailedImport(job.kind, job.filename, job.created_at, problem,
                                      url_for("core.import_job", kind=job.kind, job_id=job.id)))
    stmt = (select(ImportBatch).where(ImportBatch.actor_id == user.id, ImportBatch.rejected > 0,
                                      ImportBatch.created_at >= since)
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit))
    for b in db.session.scalars(stmt):
        items.append(FailedImport(b.kind, b.filename, b.created_at, _("%(n)s 行被拒绝", n=b.rejected),
                                  url_for("core.import_batches", kind=b.kind)))
    return items[:limit]


@dataclass
class FailedImport:
    kind: str
    filename: str
    created_at: object
    problem: str
    url: str


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
