"""Web imports as jobs (issue 18): the requests only queue work; a runner (threads of the web process,
or the scheduler's look) previews and writes the file with progress; an abandoned job is taken over
or given up; a job taken over never writes twice; nobody sees another user's job; the uploads wait
with mode 0600 and are swept by a job.

Runs on a SQLite file (threads cannot share the in-memory database) or on TEST_DATABASE_URL.
"""
import io
import os
import re
import stat
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bench.generate import FIRM_HEADERS, _csv_bytes, firm_cells, firms
from core import import_jobs, import_runner, import_stash, scheduler
from core.db import db, utcnow
from core.import_jobs import ImportJob
from core.imports import ImportBatch
from registry.models import Firm
from tests.conftest import TEST_DB, _url, make_app, serving


def _app(tmp_path, runner: str):
    uri = _url(TEST_DB) if TEST_DB else f"sqlite:///{tmp_path / 'jobs.db'}"
    return make_app(tmp_path, SQLALCHEMY_DATABASE_URI=uri, IMPORT_JOB_RUNNER=runner)


def _served(app):
    yield from serving(app, on_exit=import_runner.stop)


@pytest.fixture
def threaded(tmp_path):
    """Jobs run by this process's pool of threads, as under `flask run` or gunicorn."""
    yield from _served(_app(tmp_path, "thread"))


@pytest.fixture
def queued_only(tmp_path):
    """No runner in the web process: jobs wait for the scheduler's look (run_pending)."""
    yield from _served(_app(tmp_path, "none"))


def _user(app, name, unit="jxj", role="editor"):
    from core.auth.service import create_user
    user = create_user(name, "password123", unit=unit, role=role)
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": name, "password": "password123"}).status_code == 302
    return user, client


def _csv(n: int, seed: int = 5) -> bytes:
    return _csv_bytes(FIRM_HEADERS, (firm_cells(f) for f in firms(n, seed=seed)))


def _upload(client, data: bytes, name: str = "企业名单.csv"):
    resp = client.post("/imports/firms/preview", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return int(re.search(r"/imports/firms/jobs/(\d+)$", resp.headers["Location"]).group(1))


def _job(job_id) -> ImportJob:
    db.session.rollback()                  # the runner commits on other connections: read afresh
    return db.session.get(ImportJob, job_id)


def _wait(client, job_id, limit=300):
    """Poll the job's status endpoint (as the page does) until it ends."""
    end = time.monotonic() + limit
    while True:
        db.session.rollback()
        status = client.get(f"/imports/firms/jobs/{job_id}/status").get_json()
        if status["state"] in ("done", "failed"):
            return status
        assert time.monotonic() < end, f"job still {status} after {limit} s"
        time.sleep(0.2)


def _commit(client, job_id) -> int:
    token = _job(job_id).token
    resp = client.post("/imports/firms/commit", data={"token": token})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_requests_only_queue_and_the_scheduler_runs_the_jobs(queued_only):
    _editor, client = _user(queued_only, "jxj_jobs")
    job_id = _upload(client, _csv(300))
    job = _job(job_id)
    assert (job.state, job.rows_read, job.attempts) == ("queued", 0, 0)      # the request read nothing
    kept = import_stash.upload_path(import_jobs.upload_dir(), job.token)
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    page = client.get(f"/imports/firms/jobs/{job_id}").get_data(as_text=True)
    assert "import-job-progress" in page and "排队中" in page

    assert import_runner.run_pending() == 1                                  # the scheduler's look
    job = _job(job_id)
    assert job.state == "done" and job.attempts == 1
    assert (job.rows_total, job.rows_read, job.rows_validated) == (300, 300, 300)
    assert job.result["created"] == 300 and job.result["can_commit"] and _count(Firm) == 0
    assert not kept.exists()                                                 # read once, stashed (0600)
    stash = import_jobs.upload_dir() / f"{job.token}.json"
    assert stat.S_IMODE(os.stat(stash).st_mode) == 0o600
    page = client.get(f"/imports/firms/jobs/{job_id}").get_data(as_text=True)
    assert "import-preview-table" in page and 'id="import-commit"' in page

    commit_id = _commit(client, job_id)
    assert _job(commit_id).state == "queued" and _count(Firm) == 0
    assert _commit(client, job_id) == commit_id                              # a second click: the same job
    assert import_runner.run_pending() == 1
    commit = _job(commit_id)
    assert commit.state == "done" and commit.result["written"] and commit.rows_written == 300
    assert _count(Firm) == 300 and _count(ImportBatch) == 1
    assert commit.result["batch_id"] == db.session.scalar(select(ImportBatch.id))
    assert not stash.exists()                                                # written: the stash is gone
    page = client.get(f"/imports/firms/jobs/{commit_id}").get_data(as_text=True)
    assert "导入完成：新增 300" in page


def test_a_thread_of_the_web_process_runs_the_job_and_the_counters_move(threaded, monkeypatch):
    seen = []
    real = import_jobs.write_live

    def recording(job_id, attempt, snapshot):
        seen.append(dict(snapshot))
        real(job_id, attempt, snapshot)
    monkeypatch.setattr(import_jobs, "write_live", recording)
    monkeypatch.setattr(import_runner, "FLUSH_SECONDS", 0)
    _editor, client = _user(threaded, "jxj_threads")
    rows = 4500
    job_id = _upload(client, _csv(rows, seed=6))
    status = _wait(client, job_id)
    assert status["state"] == "done", _job(job_id).error
    assert (status["read"], status["validated"], status["total"]) == (rows, rows, rows)
    for stage in ("read", "validated", "written"):
        values = [s[stage] for s in seen]
        assert values == sorted(values) or stage == "read", (stage, values)
        assert any(0 < v < rows for v in values), (stage, values)           # seen between start and end
    commit_id = _commit(client, job_id)
    status = _wait(client, commit_id)
    assert status["state"] == "done" and status["written"] == rows
    assert _count(Firm) == rows and _count(ImportBatch) == 1
    listed = client.get("/imports/jobs").get_data(as_text=True)
    assert f'data-job="{job_id}"' in listed and f'data-job="{commit_id}"' in listed


def test_a_file_with_errors_is_previewed_with_a_report_and_cannot_be_committed(queued_only):
    _editor, client = _user(queued_only, "jxj_errors")
    data = _csv(30).replace(b"\r\n91", b"\r\nXX", 1)         # one bad credit code
    job_id = _upload(client, data)
    import_runner.run_pending()
    job = _job(job_id)
    assert job.state == "done" and job.result["errors"] >= 1 and not job.result["can_commit"]
    page = client.get(f"/imports/firms/jobs/{job_id}").get_data(as_text=True)
    assert 'id="import-errors"' in page and 'id="import-commit"' not in page
    report = client.get(f"/imports/firms/errors/{job.token}.xlsx")
    assert report.status_code == 200 and report.data[:2] == b"PK"
    resp = client.post("/imports/firms/commit", data={"token": job.token})
    assert resp.status_code == 302 and _count(Firm) == 0
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 1


def test_another_user_sees_nothing_of_my_job(queued_only):
    _mine, client = _user(queued_only, "jxj_owner")
    _other, other = _user(queued_only, "jxj_other")                      # same unit, same permissions
    job_id = _upload(client, _csv(10).replace(b"\r\n91", b"\r\nXX", 1))
    import_runner.run_pending()
    token = _job(job_id).token
    assert client.get(f"/imports/firms/jobs/{job_id}").status_code == 200
    for url in (f"/imports/firms/jobs/{job_id}", f"/imports/firms/jobs/{job_id}/status",
                f"/imports/firms/errors/{token}.xlsx"):
        assert other.get(url).status_code == 404, url
    assert other.post("/imports/firms/commit", data={"token": token}).status_code == 404
    assert f'data-job="{job_id}"' not in other.get("/imports/jobs").get_data(as_text=True)
    assert [j.id for j in import_jobs.recent_for(_other)] == []
    assert [j.id for j in import_jobs.recent_for(_mine)] == [job_id]
    _kjj, kjj = _user(queued_only, "kjj_editor", unit="kjj")             # not an importer of firms
    assert kjj.get(f"/imports/firms/jobs/{job_id}").status_code == 403


def _abandoned(job_id, attempts=1):
    """What a runner killed after its claim leaves: "running", no heartbeat for long."""
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
        state="running", attempts=attempts, heartbeat_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()


def test_an_abandoned_job_is_taken_over_then_given_up(queued_only):
    _editor, client = _user(queued_only, "jxj_stale")
    job_id = _upload(client, _csv(40))
    _abandoned(job_id)
    assert _job(job_id).state == "running"
    assert import_runner.run_pending() == 1
    job = _job(job_id)
    assert (job.state, job.attempts, job.rows_validated) == ("done", 2, 40)

    second = _upload(client, _csv(40, seed=9))
    _abandoned(second, attempts=queued_only.config["IMPORT_JOB_MAX_ATTEMPTS"])
    assert import_runner.run_pending() == 0
    job = _job(second)
    assert job.state == "failed" and "未写入任何数据" in job.error
    assert "import-job-failed" in client.get(f"/imports/firms/jobs/{second}").get_data(as_text=True)


def test_a_live_job_is_not_taken_over(queued_only):
    """A heartbeat younger than IMPORT_JOB_STALE_SECONDS (the file's, on SQLite) keeps the job its runner's."""
    _editor, client = _user(queued_only, "jxj_alive")
    job_id = _upload(client, _csv(10))
    _abandoned(job_id)
    import_jobs.write_live(job_id, 1, {"phase": "writing", "total": 10, "read": 10, "validated": 10, "written": 4})
    if not db.engine.dialect.name == "sqlite":            # PostgreSQL: the heartbeat is in the row
        assert _job(job_id).rows_written == 4
    assert import_jobs.claim("someone-else") is None
    assert _job(job_id).attempts == 1
    status = client.get(f"/imports/firms/jobs/{job_id}/status").get_json()
    assert status["written"] == 4 and not status["stale"]


def test_a_job_taken_over_meanwhile_never_commits_its_rows(queued_only, caplog):
    """The commit marks its job done inside the import's transaction, only while it still holds the claim."""
    _editor, client = _user(queued_only, "jxj_fence")
    job_id = _upload(client, _csv(50))
    import_runner.run_pending()
    commit_id = _commit(client, job_id)
    job = import_jobs.claim("slow-runner", commit_id)
    assert job is not None and job.attempts == 1
    db.session.expunge(job)                              # the slow runner's own copy: attempt 1
    # meanwhile another runner judged it dead and took it (attempt 2)
    db.session.execute(update(ImportJob).where(ImportJob.id == commit_id).values(attempts=2))
    db.session.commit()
    import_runner.run(job)
    assert "was taken over by another runner" in caplog.text
    assert _count(Firm) == 0 and _count(ImportBatch) == 0
    assert _job(commit_id).state == "running"           # left to the runner that holds it now


def test_the_sweep_job_removes_old_uploads(queued_only):
    _editor, client = _user(queued_only, "jxj_sweep")
    job_id = _upload(client, _csv(5))
    kept = import_stash.upload_path(import_jobs.upload_dir(), _job(job_id).token)
    fresh = import_jobs.upload_dir() / "9-fresh.upload"
    fresh.write_bytes(b"x")
    old = time.time() - (import_stash.STASH_HOURS + 1) * 3600
    os.utime(kept, (old, old))
    run = scheduler.run_job("core.import_sweep")
    assert run.status == "ok" and run.summary.startswith("1 ")
    assert not kept.exists() and fresh.exists()
    import_runner.run_pending()
    job = _job(job_id)
    assert job.state == "failed" and "重新上传" in job.error
