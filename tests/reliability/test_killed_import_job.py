"""A runner process killed (SIGKILL) while a web import's commit job writes: nothing of the file is in the
database, the job is left "running" without a heartbeat, and another runner takes it over and writes the
file once — one batch, every row.

Runs on a SQLite file, or on a PostgreSQL database of its own when TEST_DATABASE_URL is set.
"""
import io
import signal
import subprocess
import sys
import time

from bench.generate import FIRM_HEADERS, _csv_bytes, firm_cells, firms
from tests.reliability.conftest import ROOT
from tests.reliability.test_killed_import import _count, _writing_started

ROWS = 8000         # the commit still writes half a second after it began (SQLite and PostgreSQL, CI)
RUNNER = ("from composition import create_app\n"
          "app = create_app()\n"
          "with app.app_context():\n"
          "    from core import import_runner\n"
          "    import_runner.run_pending()\n")


def _queue_commit(scratch_db):
    """Through the web pages (jobs left to a runner): upload, preview (run here), confirm."""
    from composition import create_app
    from core import import_runner
    from core.auth.service import create_user
    from core.db import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_db.url, "INSTANCE_PATH": str(scratch_db.instance),
                      "SECRET_KEY": "reliability", "PII_HASH_KEY": "reliability", "LOG_LEVEL": "WARNING",
                      "WTF_CSRF_ENABLED": False, "IMPORT_JOB_RUNNER": "none"})
    ctx = app.app_context()
    ctx.push()
    create_user("jxj_kill", "password123", unit="jxj", role="editor")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "jxj_kill", "password": "password123"})
    data = _csv_bytes(FIRM_HEADERS, (firm_cells(f) for f in firms(ROWS, seed=83)))
    resp = client.post("/imports/firms/preview", data={"file": (io.BytesIO(data), "firms.csv")},
                       content_type="multipart/form-data")
    preview_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert import_runner.run_pending() == 1
    from core.import_jobs import ImportJob
    token = db.session.get(ImportJob, preview_id).token
    resp = client.post("/imports/firms/commit", data={"token": token})
    commit_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    db.session.rollback()
    return app, ctx, commit_id


def test_killed_runner_leaves_nothing_and_the_job_is_taken_over(scratch_db):
    from core import import_runner
    from core.db import db
    from core.import_jobs import ImportJob
    app, ctx, commit_id = _queue_commit(scratch_db)
    try:
        proc = subprocess.Popen([sys.executable, "-c", RUNNER], cwd=ROOT, env=scratch_db.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 180
        try:
            while not _writing_started(scratch_db):
                assert proc.poll() is None, f"runner ended before writing: {proc.communicate()}"
                assert time.monotonic() < deadline, "the runner never started writing"
                time.sleep(0.05)
            time.sleep(0.5)
            assert proc.poll() is None and _writing_started(scratch_db), "committed before the kill; use more rows"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert _count(scratch_db, "registry_firms") == 0
        assert _count(scratch_db, "core_import_batches") == 0
        job = db.session.get(ImportJob, commit_id)
        assert (job.state, job.attempts) == ("running", 1)

        app.config["IMPORT_JOB_STALE_SECONDS"] = 0          # no need to wait a minute for its heartbeat to age
        assert import_runner.run_pending() == 1
        db.session.rollback()
        job = db.session.get(ImportJob, commit_id)
        assert (job.state, job.attempts, job.result["written"]) == ("done", 2, True), job.error
        assert _count(scratch_db, "registry_firms") == ROWS
        assert _count(scratch_db, "core_import_batches") == 1
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
