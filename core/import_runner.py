"""Running import jobs (core.import_jobs): a preview reads and checks the upload, a commit writes it.

Who runs them: `wake(app)` starts a small pool of threads in the web process (IMPORT_JOB_THREADS)
that takes queued jobs at once; the scheduler process looks every IMPORT_JOB_POLL_SECONDS for jobs
nobody took (the web process was busy or restarted) and for abandoned ones. Tests on in-memory
SQLite, where a second thread cannot share the database, run a job inline in the request
(IMPORT_JOB_RUNNER=inline). A job's work is the engine's (core.imports): nothing partial is ever
written, and the permission is checked again when the job runs.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import date, datetime

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import gettext as _

from core import dates, export_jobs, import_jobs, import_stash, imports, scheduler
from core.db import db
from core.import_jobs import ImportJob, JobLost
from core.permissions import can

log = logging.getLogger(__name__)
PREVIEW_ROWS = 20
VIEW_ERRORS = 500       # errors the page lists; the xlsx report has every one
FLUSH_SECONDS = 0.5     # counters written at most this often


class Refused(Exception):
    """The job cannot run (file gone, permission withdrawn): failed with this message."""


class Tracker:
    """The engine's progress callback: counters in memory, written out at most every FLUSH_SECONDS
    and by the heartbeat thread, never inside the import's transaction."""

    def __init__(self, job: ImportJob, app):
        self.job_id, self.attempt, self.app = job.id, job.attempts, app
        self.counts = {"total": job.rows_total, "read": 0, "validated": 0, "written": 0, "phase": "reading"}
        self._lock = threading.Lock()
        self._last = 0.0

    def __call__(self, stage: str, rows: int) -> None:
        self.counts[stage] = rows
        self.counts["phase"] = {"read": "reading", "validated": "validating", "written": "writing"}[stage]
        if stage == "written" and rows >= self.counts["total"]:
            self.counts["phase"] = "saving"        # the audit trail and the commit follow the last row
        if time.monotonic() - self._last >= FLUSH_SECONDS:
            self.flush()

    def set(self, **values) -> None:
        self.counts.update(values)
        self.flush()

    def flush(self) -> None:
        with self._lock, self.app.app_context():
            try:
                import_jobs.write_live(self.job_id, self.attempt, dict(self.counts))
            except Exception:  # noqa: BLE001 - progress is best effort; the job goes on
                log.warning("import job %s: progress not recorded", self.job_id, exc_info=True)
            finally:
                db.session.remove()
            self._last = time.monotonic()


class Heartbeat(threading.Thread):
    """Beats for a running job while the engine is busy in a phase that reports no rows."""

    def __init__(self, tracker: Tracker, every: float):
        super().__init__(daemon=True, name=f"import-beat-{tracker.job_id}")
        self.tracker, self.every, self.stopped = tracker, every, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.tracker.flush()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def run_next() -> bool:
    """Claim and run one job; False when there was none to take."""
    job = import_jobs.claim(runner_name())
    if job is None:
        return False
    run(job)
    return True


def run(job: ImportJob) -> None:
    """Run a claimed job to its end: done (with the result's counts) or failed (with a message)."""
    app = current_app._get_current_object()
    tracker = Tracker(job, app)
    beat = Heartbeat(tracker, app.config["IMPORT_JOB_HEARTBEAT_SECONDS"])
    beat.start()
    g.import_job = job.id                     # Flask-Babel takes an empty `g` for "no context"
    try:
        with force_locale(job.locale or "zh"):
            _run(job, tracker)
    except JobLost:
        db.session.rollback()
        log.warning("import job %s was taken over by another runner; its work here is dropped", job.id)
    except Refused as exc:
        db.session.rollback()
        _fail(job, tracker, str(exc))
    except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, never kills the runner
        db.session.rollback()
        log.exception("import job %s failed", job.id)
        with force_locale(job.locale or "zh"):
            if job.action == export_jobs.ACTION:
                message = _("导出时发生内部错误（%(e)s），未生成文件。请稍后重新导出；如仍失败，请联系管理员。",
                            e=type(exc).__name__)
            else:
                message = _("导入时发生内部错误（%(e)s），未写入任何数据。", e=type(exc).__name__)
            _fail(job, tracker, message)
    finally:
        beat.stop()


def _fail(job: ImportJob, tracker: Tracker, message: str) -> None:
    try:
        import_jobs.finish(job.id, tracker.attempt, "failed", tracker.counts, error=message)
    except JobLost:
        db.session.rollback()


def _run(job: ImportJob, tracker: Tracker) -> None:
    from core.auth.models import User
    actor = db.session.get(User, job.owner_id)
    if job.action == export_jobs.ACTION:
        kind = export_jobs.kinds().get(job.kind)
        if kind is None or actor is None or not actor.active or not can(f"{kind.domain}.export", user=actor):
            raise Refused(_("您已无权导出该数据，未生成文件。"))
        return _export(job, kind, tracker)
    spec = imports.kinds().get(job.kind)
    if spec is None or actor is None or not actor.active or not can(f"{spec.domain}.import", user=actor):
        raise Refused(_("您已无权导入该类数据，未写入任何数据。"))
    (_preview if job.action == "preview" else _commit)(job, spec, actor, tracker)


def _preview(job: ImportJob, spec, actor, tracker: Tracker) -> None:
    folder = import_jobs.upload_dir()
    upload = _read(folder, job, spec, tracker)
    rows = len(upload.table.rows) if upload.table is not None else 0
    tracker.set(total=rows, read=rows, phase="validating")
    preview = _preview_rows(spec, upload)
    result = imports.run_import(job.kind, None, job.filename, actor=actor, params=job.params, dry_run=True,
                                skip_invalid=job.skip_invalid, upload=upload, progress=tracker)
    db.session.rollback()
    tracker.set(phase="saving")
    _keep_details(folder, job, spec, result, preview)
    can_commit = bool((not result.errors or job.skip_invalid) and result.total_rows)
    import_jobs.finish(job.id, tracker.attempt, "done", tracker.counts,
                       result=_summary(result, can_commit=can_commit))


def _read(folder, job: ImportJob, spec, tracker: Tracker) -> imports.Upload:
    """Read the kept file once and stash what was read (a run taken over finds the stash instead)."""
    path = import_stash.upload_path(folder, job.token)
    if not path.is_file():
        stash = import_stash.load(folder, job.owner_id, job.token)
        if stash is None:
            raise Refused(_("上传的文件已不在服务器上，请重新上传。"))
        return stash.upload
    upload = imports.read_upload(spec, path, job.filename, progress=tracker)   # a CSV read without its bytes
    import_stash.save(folder, job.owner_id, upload, job.params, token=job.token)
    path.unlink(missing_ok=True)
    return upload


def _commit(job: ImportJob, spec, actor, tracker: Tracker) -> None:
    folder = import_jobs.upload_dir()
    stash = import_stash.load(folder, job.owner_id, job.token)
    if stash is None:
        raise Refused(_("预览过的文件已不在服务器上（最多保留 %(h)s 小时），请重新上传。", h=import_stash.STASH_HOURS))
    rows = len(stash.upload.table.rows) if stash.upload.table is not None else 0
    tracker.set(total=rows, read=rows, phase="validating")

    def done_with_the_rows(result):       # inside the import's transaction: rows and "done" commit together
        tracker.counts["phase"] = "saving"
        import_jobs.finish(job.id, tracker.attempt, "done", tracker.counts, result=_summary(result),
                           commit=False)

    result = imports.import_and_commit(job.kind, None, stash.upload.filename, actor=actor, params=stash.params,
                                       skip_invalid=job.skip_invalid, upload=stash.upload, progress=tracker,
                                       before_commit=done_with_the_rows)
    if result.written:
        import_stash.discard(folder, job.token)
        return
    tracker.set(phase="saving")
    _keep_details(folder, job, spec, result, (import_stash.load_view(folder, job.token) or {}).get("preview"))
    import_jobs.finish(job.id, tracker.attempt, "done", tracker.counts, result=_summary(result))


def _export(job: ImportJob, kind, tracker: Tracker) -> None:
    """Count the rows, write them (rows_written as they go), keep the file: done with its size."""
    today = dates.today()
    tracker.set(phase="counting")
    total = kind.count(job.params, today)
    db.session.rollback()                 # the count's transaction ends; the rows are read in a new one
    tracker.set(total=total, phase="writing")
    rows = export_jobs.write(job, kind, tracker.attempt, today, lambda n: tracker("written", n))
    db.session.rollback()
    tracker.set(written=rows, total=max(total, rows), phase="saving")
    size = export_jobs.file_path(job).stat().st_size
    import_jobs.finish(job.id, tracker.attempt, "done", tracker.counts, result={"rows": rows, "bytes": size})


def _summary(result: imports.ImportResult, **extra) -> dict:
    """The counts the job keeps in the database (never a cell of the file: those stay with the stash)."""
    return {"total_rows": result.total_rows, "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "rejected": result.rejected, "errors": len(result.errors),
            "written": result.written, "batch_id": result.batch_id,
            "unknown_columns": list(result.unknown_columns), **extra}


def _preview_rows(spec, upload) -> dict | None:
    """The first PREVIEW_ROWS rows as read, personal data masked."""
    table = upload.table
    if table is None:
        return None
    rows = imports.masked_rows(spec, upload.hmap, table.rows[:PREVIEW_ROWS])
    return {"headers": table.headers, "rows": list(zip(table.line_numbers[:PREVIEW_ROWS], rows))}


def _keep_details(folder, job: ImportJob, spec, result, preview) -> None:
    """The page's view (first rows, first errors) and, when there are errors, the xlsx report."""
    errors = [{"row": e["row"], "column": e["column"], "message": str(e["message"])} for e in result.errors]
    import_stash.keep_view(folder, job.token, {"preview": preview, "errors": errors[:VIEW_ERRORS]})
    if errors:
        stash = import_stash.load(folder, job.owner_id, job.token)
        upload = stash.upload if stash is not None else None
        report = imports.error_report(imports.ImportResult(errors=errors), job.kind, upload)
        import_stash.keep_report(folder, job.token, report)


# --- who runs them ----------------------------------------------------------------------------------

class Pool:
    """IMPORT_JOB_THREADS threads of this process taking queued jobs; started at the first wake."""

    IDLE_SECONDS = 30    # an idle thread looks for abandoned jobs this often

    def __init__(self, app):
        self.app, self.wanted = app, threading.Event()
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            if not self.threads:
                for n in range(self.app.config["IMPORT_JOB_THREADS"]):
                    thread = threading.Thread(target=self._loop, daemon=True, name=f"import-job-{n + 1}")
                    thread.start()
                    self.threads.append(thread)
        self.wanted.set()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            with self.app.app_context():
                try:
                    ran = run_next()
                except Exception:  # noqa: BLE001 - the pool outlives a database hiccup
                    log.exception("import job runner")
                    ran = False
                finally:
                    db.session.remove()
            if not ran and not self.stopped.is_set():
                self.wanted.wait(self.IDLE_SECONDS)
                self.wanted.clear()

    def stop(self) -> None:
        self.stopped.set()
        self.wanted.set()
        for thread in self.threads:
            thread.join(timeout=30)


def mode(app) -> str:
    """inline | thread | none (only the scheduler runs jobs)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri in ("sqlite://", "sqlite:///:memory:") or ":memory:" in uri:
        return "inline"            # one connection shared by everything: no second thread may use it
    return app.config["IMPORT_JOB_RUNNER"] or ("inline" if app.testing else "thread")


def start(job: ImportJob) -> None:
    """After the job's row is committed: run it now (inline) or wake this process's pool."""
    app = current_app._get_current_object()
    how = mode(app)
    if how == "inline":
        taken = import_jobs.claim(runner_name(), job.id)
        if taken is not None:
            run(taken)
    elif how == "thread":
        pool(app).wake()


def polled_status(job) -> dict:
    """A job's progress for its page's poll (static/js/import_job.js). A queued or abandoned job nudges
    this process's runners: under `flask run` there is no scheduler process to find it."""
    status = import_jobs.status(job)
    if job.state == "queued" or status["stale"]:
        nudge()
    return status


def nudge() -> None:
    """Wake this process's pool (thread mode) to look for queued and abandoned jobs."""
    app = current_app._get_current_object()
    if mode(app) == "thread":
        pool(app).wake()


def pool(app) -> Pool:
    if "import_job_pool" not in app.extensions:
        app.extensions["import_job_pool"] = Pool(app)
    return app.extensions["import_job_pool"]


def stop(app) -> None:
    """Stop this app's pool (tests; a process shutting down simply lets its daemon threads die)."""
    found = app.extensions.pop("import_job_pool", None)
    if found is not None:
        found.stop()


def run_pending(limit: int = 5) -> int:
    """The scheduler's look: run up to `limit` queued or abandoned jobs. Returns how many ran."""
    ran = 0
    while ran < limit and run_next():
        ran += 1
    return ran


def _sweep_job(_period: str, _today: date) -> str:
    """Uploaded files (personal data) kept no longer than import_stash.STASH_HOURS, upload or not."""
    return f"{import_stash.sweep(import_jobs.upload_dir())} files removed"


def _half_hour(_today: date) -> str:
    now = datetime.now(dates.TZ)
    return f"{now:%Y-%m-%dT%H}:{'00' if now.minute < 30 else '30'}"


SWEEP_JOB = scheduler.Job("core.import_sweep", _sweep_job, cron={"minute": "5,35"}, period=_half_hour)


def init_app(app) -> None:
    """The sweep every half hour, and the scheduler's look for import jobs nobody took."""
    scheduler.register_jobs([SWEEP_JOB])
    scheduler.register_poller("core.import_jobs", lambda: f"{run_pending()} import jobs run",
                              lambda app: app.config["IMPORT_JOB_POLL_SECONDS"])
