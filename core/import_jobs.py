"""Web imports run as jobs, off the request: the record of each job, its claim and its progress.

The upload request keeps the file (0600) and queues a preview job; the confirm button queues a
commit job. Either is run by whoever claims it first: a few threads in the web process that took
the request (core.import_runner), or the scheduler process, which looks for queued and abandoned
jobs every few seconds. A claim is one compare-and-set UPDATE on (state, attempts), so a job runs
once on SQLite and PostgreSQL alike. A running job beats a heartbeat every few seconds with its
counters (rows read / validated / written): in its own short transaction on PostgreSQL, in a small
file on SQLite, where the import's own write transaction holds the only write lock. A job whose
heartbeat stopped (its process was killed) is taken over, or given up after IMPORT_JOB_MAX_ATTEMPTS.
A commit job marks itself done inside the import's transaction, conditional on still holding its
claim: the rows and the "done" commit together, and a job taken over can never write twice.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from core.dates import as_utc
from core.db import db, is_sqlite, utcnow

STATES = ("queued", "running", "done", "failed")
STATE_LABELS = {"queued": _l("排队中"), "running": _l("进行中"), "done": _l("已完成"), "failed": _l("失败")}
ACTION_LABELS = {"preview": _l("预览校验"), "commit": _l("写入"), "export": _l("导出")}
IMPORT_ACTIONS = ("preview", "commit")          # "export": a long export (core.export_jobs) on the same runners
PHASE_LABELS = {"": "", "reading": _l("读取文件"), "validating": _l("逐行校验"), "writing": _l("写入数据"),
                "saving": _l("保存结果"), "counting": _l("统计行数")}


class ImportJob(db.Model):
    __tablename__ = "core_import_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))                  # the import (or export) kind (firms …)
    action: Mapped[str] = mapped_column(String(16))                # preview | commit | export
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    filename: Mapped[str] = mapped_column(String(255))
    token: Mapped[str] = mapped_column(String(64))                 # the upload's stash (core.import_stash)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    skip_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(8), default="zh")   # messages in the uploader's language
    preview_id: Mapped[int | None] = mapped_column(ForeignKey("core_import_jobs.id"), default=None)
    phase: Mapped[str] = mapped_column(String(16), default="")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_validated: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict] = mapped_column(JSON, default=dict)       # counts only: no cell of the file
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runner: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))


class JobLost(Exception):
    """The job was taken over by another runner (ours looked dead): our work must not commit."""


def _setting(key: str):
    return current_app.config[key]


def upload_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- queueing -------------------------------------------------------------------------------------

def queue_preview(*, owner, kind: str, filename: str, token: str, params: dict, skip_invalid: bool,
                  locale: str) -> ImportJob:
    """A preview job for an upload kept under `token`. The caller commits."""
    job = ImportJob(owner_id=owner.id, kind=kind, action="preview", filename=filename[:255], token=token,
                    params=params, skip_invalid=skip_invalid, locale=locale)
    db.session.add(job)
    db.session.flush()
    return job


def queue_commit(preview: ImportJob, locale: str) -> ImportJob:
    """The commit job of a previewed upload: the one already queued, running or written, if any (a second
    click), else a new one (also after a refused or failed write). The caller commits."""
    existing = commit_of(preview)
    if existing is not None and (not existing.finished or existing.result.get("written")):
        return existing
    job = ImportJob(owner_id=preview.owner_id, kind=preview.kind, action="commit", filename=preview.filename,
                    token=preview.token, params=preview.params, skip_invalid=preview.skip_invalid, locale=locale,
                    preview_id=preview.id, rows_total=preview.rows_total)
    db.session.add(job)
    db.session.flush()
    return job


def preview_for(owner, kind: str, token: str) -> ImportJob | None:
    """The owner's finished preview of the upload `token`."""
    return db.session.scalars(select(ImportJob).where(
        ImportJob.owner_id == owner.id, ImportJob.kind == kind, ImportJob.token == token,
        ImportJob.action == "preview", ImportJob.state == "done").order_by(ImportJob.id.desc())).first()


def owned(job_id: int, owner, kind: str | None = None) -> ImportJob | None:
    """The import job if it belongs to `owner` (and is of `kind`), else None: nobody sees another's job."""
    job = db.session.get(ImportJob, job_id)
    if (job is None or job.owner_id != owner.id or (kind is not None and job.kind != kind)
            or job.action not in IMPORT_ACTIONS):
        return None
    return job


def recent_for(user, limit: int = 10) -> list[ImportJob]:
    """The user's latest import jobs, newest first (the "my imports" list and the home page)."""
    return list(db.session.scalars(select(ImportJob).where(ImportJob.owner_id == user.id,
                                                           ImportJob.action.in_(IMPORT_ACTIONS))
                                   .order_by(ImportJob.id.desc()).limit(limit)))


def commit_of(preview: ImportJob) -> ImportJob | None:
    return db.session.scalars(select(ImportJob).where(ImportJob.preview_id == preview.id)
                              .order_by(ImportJob.id.desc())).first()


# --- progress -------------------------------------------------------------------------------------

def live_path(job_id: int) -> Path:
    return upload_dir() / f"job-{job_id}.live.json"


def write_live(job_id: int, attempt: int, snapshot: dict) -> None:
    """Record a running job's counters and heartbeat outside the import's transaction."""
    if is_sqlite():
        from core.import_stash import _write
        _write(live_path(job_id), {**snapshot, "attempt": attempt, "beat": time.time()})
        return
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        conn.execute(update(ImportJob.__table__).where(
            ImportJob.id == job_id, ImportJob.attempts == attempt, ImportJob.state == "running")
            .values(heartbeat_at=utcnow(), **_counter_values(snapshot)))


def _counter_values(snapshot: dict) -> dict:
    return {"phase": snapshot.get("phase", ""), "rows_total": snapshot.get("total", 0),
            "rows_read": snapshot.get("read", 0), "rows_validated": snapshot.get("validated", 0),
            "rows_written": snapshot.get("written", 0)}


def _live(job: ImportJob) -> dict | None:
    try:
        live = json.loads(live_path(job.id).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return live if live.get("attempt") == job.attempts else None


def last_beat(job: ImportJob) -> float:
    """When the job last showed it was alive (epoch seconds): the database's heartbeat or the file's."""
    beats = [(as_utc(job.heartbeat_at) or as_utc(job.started_at) or as_utc(job.created_at)).timestamp()]
    if job.state == "running" and (live := _live(job)) is not None:
        beats.append(live["beat"])
    return max(beats)


def is_stale(job: ImportJob) -> bool:
    return job.state == "running" and time.time() - last_beat(job) > _setting("IMPORT_JOB_STALE_SECONDS")


def status(job: ImportJob) -> dict:
    """What the progress page shows: state, phase and the three counters."""
    counts = {"total": job.rows_total, "read": job.rows_read, "validated": job.rows_validated,
              "written": job.rows_written, "phase": job.phase}
    if job.state == "running" and (live := _live(job)) is not None:
        counts.update({k: live.get(k, v) for k, v in counts.items()})
    return {"id": job.id, "state": job.state, "action": job.action, "stale": is_stale(job),
            "state_label": str(STATE_LABELS[job.state]), "phase_label": str(PHASE_LABELS.get(counts["phase"], "")),
            **counts}


# --- claiming and finishing -----------------------------------------------------------------------

def claim(runner: str, job_id: int | None = None) -> ImportJob | None:
    """Take a queued job (or `job_id`), or one whose runner died; None when there is nothing to take.

    Abandoned jobs that already had IMPORT_JOB_MAX_ATTEMPTS runs are marked failed instead.
    """
    cutoff = utcnow() - timedelta(seconds=_setting("IMPORT_JOB_STALE_SECONDS"))
    stmt = (select(ImportJob).where((ImportJob.state == "queued")
                                    | ((ImportJob.state == "running") & (ImportJob.heartbeat_at < cutoff)))
            .order_by(ImportJob.id).limit(20))
    if job_id is not None:
        stmt = stmt.where(ImportJob.id == job_id)
    for job in db.session.scalars(stmt).all():
        if job.state == "running":
            if not is_stale(job):            # SQLite: its heartbeat file says it is alive
                continue
            if job.attempts >= _setting("IMPORT_JOB_MAX_ATTEMPTS"):
                give_up(job)
                continue
        if _take(job, runner, cutoff):
            return job
    db.session.rollback()
    return None


def _running_cap() -> int:
    """Jobs running at once across every process: one on SQLite (one writer at a time)."""
    return 1 if is_sqlite() else _setting("IMPORT_JOB_MAX_RUNNING")


def _take(job: ImportJob, runner: str, cutoff: datetime) -> bool:
    """Compare-and-set on (state, attempts): of two runners taking the same job, one wins."""
    others = (select(func.count()).select_from(ImportJob)
              .where(ImportJob.state == "running", ImportJob.id != job.id).scalar_subquery())
    now = utcnow()
    try:
        taken = db.session.execute(
            update(ImportJob).where(ImportJob.id == job.id, ImportJob.state == job.state,
                                    ImportJob.attempts == job.attempts, others < _running_cap(),
                                    (ImportJob.state == "queued") | (ImportJob.heartbeat_at < cutoff))
            .values(state="running", attempts=job.attempts + 1, runner=runner[:120], started_at=now,
                    heartbeat_at=now, finished_at=None)
            .execution_options(synchronize_session=False))
        db.session.commit()
    except OperationalError:              # SQLite: another import holds the write lock; try later
        db.session.rollback()
        return False
    if taken.rowcount != 1:
        db.session.rollback()
        return False
    db.session.refresh(job)
    return True


def give_up(job: ImportJob) -> None:
    """An abandoned job that was already retried: failed, with nothing written (one transaction)."""
    msg = str(_l("处理该导出的进程意外中止，未生成文件。请重新导出。") if job.action == "export"
              else _l("处理该导入的进程意外中止，未写入任何数据。请重新上传或重新确认导入。"))
    db.session.execute(update(ImportJob).where(
        ImportJob.id == job.id, ImportJob.state == "running", ImportJob.attempts == job.attempts)
        .values(state="failed", error=msg, finished_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


def finish(job_id: int, attempt: int, state: str, counts: dict, *, result: dict | None = None, error: str = "",
           commit: bool = True) -> None:
    """Record the outcome if the job is still ours (JobLost otherwise).

    `commit=False` runs inside the caller's transaction: a commit job's "done" commits with its rows.
    """
    done = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.attempts == attempt, ImportJob.state == "running")
        .values(state=state, result=result or {}, error=error[:4000], finished_at=utcnow(), heartbeat_at=utcnow(),
                **_counter_values(counts))
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise JobLost(job_id)
    if commit:
        db.session.commit()
