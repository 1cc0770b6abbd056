"""Long exports as jobs (issue 15): the firm registry's export beyond EXPORT_DIRECT_MAX_ROWS firms runs on
the import jobs' runners — rows counted, then written with their progress, the file kept (0600) for its
owner (or an admin) to download, swept after its retention time; a failing writer fails the job with a
message, an expired file says so. Small exports still download at once.

Runs on a SQLite file (threads cannot share the in-memory database) or on TEST_DATABASE_URL.
"""
import dataclasses
import io
import os
import re
import stat
import time

import openpyxl
import pytest
from sqlalchemy import func, select

from bench.generate import bulk_firms
from core import dates, export_jobs, import_jobs, import_runner, scheduler
from core.db import db
from core.exports import XLSX_MIME
from core.import_jobs import ImportJob
from registry import export
from registry.models import Firm
from tests.core.test_import_jobs import _app, _served, _user

LIMIT = 50          # EXPORT_DIRECT_MAX_ROWS in these tests


def _export_app(tmp_path, runner):
    app = _app(tmp_path, runner)
    app.config["EXPORT_DIRECT_MAX_ROWS"] = LIMIT
    return app


@pytest.fixture
def queued_only(tmp_path):
    """No runner in the web process: jobs wait for the scheduler's look (run_pending)."""
    yield from _served(_export_app(tmp_path, "none"))


@pytest.fixture
def threaded(tmp_path):
    yield from _served(_export_app(tmp_path, "thread"))


def _start(client, **filters) -> int:
    resp = client.post("/registry/export/jobs", data=filters)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return int(re.search(r"/exports/firms/jobs/(\d+)$", resp.headers["Location"]).group(1))


def _job(job_id) -> ImportJob:
    db.session.rollback()
    return db.session.get(ImportJob, job_id)


def _sheet(data: bytes):
    return list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))


def test_a_long_export_is_a_job_with_progress_and_a_private_file(queued_only, monkeypatch):
    bulk_firms(130)
    editor, client = _user(queued_only, "jxj_export")
    html = client.get("/registry/").get_data(as_text=True)
    assert 'id="firm-export-form"' in html and 'name="sort" value="name"' in html     # the button posts a job
    assert "firm-export-form" in client.get("/registry/export.xlsx").get_data(as_text=True)   # a GET: its page

    job_id = _start(client, sort="name", dir="desc")
    job = _job(job_id)
    assert (job.action, job.kind, job.state, job.params) == ("export", "firms", "queued", {"sort": "name", "dir": "desc"})
    page = client.get(f"/exports/firms/jobs/{job_id}").get_data(as_text=True)
    assert "export-job-progress" in page and "排队中" in page and "import_job.js" in page

    seen = []
    real = import_jobs.write_live
    monkeypatch.setattr(import_jobs, "write_live", lambda j, a, snap: (seen.append(dict(snap)), real(j, a, snap)))
    monkeypatch.setattr(import_runner, "FLUSH_SECONDS", 0)
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 20)
    assert import_runner.run_pending() == 1
    job = _job(job_id)
    assert job.state == "done", job.error
    assert (job.rows_total, job.rows_written, job.result["rows"]) == (130, 130, 130)
    assert seen[0]["phase"] == "counting" and seen[1]["total"] == 130
    written = [s["written"] for s in seen]
    assert written == sorted(written) and any(0 < w < 130 for w in written)       # progress seen on the way
    status = client.get(f"/exports/firms/jobs/{job_id}/status").get_json()
    assert (status["state"], status["written"], status["total"]) == ("done", 130, 130)

    path = export_jobs.file_path(job)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and path.parent == import_jobs.upload_dir()
    assert not list(path.parent.glob("*.tmp"))
    page = client.get(f"/exports/firms/jobs/{job_id}").get_data(as_text=True)
    assert 'id="export-download"' in page and "共 130 行" in page
    resp = client.get(f"/exports/firms/jobs/{job_id}/download")
    assert resp.status_code == 200 and resp.mimetype == XLSX_MIME
    assert "firms-" in resp.headers["Content-Disposition"] and resp.headers["Content-Disposition"].startswith("attachment")
    rows = _sheet(resp.data)
    assert rows[0][:2] == ("统一社会信用代码", "企业名称") and len(rows) == 131
    names = [r[1] for r in rows[1:]]
    db.session.rollback()
    expected = [r[1] for r in export.rows(export._filter({"sort": "name", "dir": "desc"}), dates.today())]
    assert names == expected

    home = client.get("/").get_data(as_text=True)
    assert 'id="recent-exports"' in home and f'data-export-job="{job_id}"' in home and "已完成" in home
    assert f"/exports/firms/jobs/{job_id}/download" in home


def test_the_job_exports_the_filter_of_the_list(queued_only):
    bulk_firms(130)
    _editor, client = _user(queued_only, "jxj_filter")
    db.session.rollback()
    town, n = db.session.execute(select(Firm.town_code, func.count()).group_by(Firm.town_code)
                                 .order_by(func.count().desc())).first()
    assert 0 < n < 130                         # a real filter (the button posts it whatever the count)
    job_id = _start(client, town=town)
    import_runner.run_pending()
    assert _job(job_id).rows_total == n
    rows = _sheet(client.get(f"/exports/firms/jobs/{job_id}/download").data)
    assert len(rows) == n + 1


def test_a_small_export_still_downloads_at_once(queued_only):
    bulk_firms(20)
    _editor, client = _user(queued_only, "jxj_small")
    assert 'id="firm-export" href="/registry/export.xlsx' in client.get("/registry/").get_data(as_text=True)
    resp = client.get("/registry/export.xlsx")
    assert resp.status_code == 200 and len(_sheet(resp.data)) == 21
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_only_the_owner_and_admins_see_and_download_it(queued_only):
    bulk_firms(60)
    _owner, client = _user(queued_only, "jxj_owner")
    job_id = _start(client)
    import_runner.run_pending()
    assert _job(job_id).state == "done"
    _other, other = _user(queued_only, "kjj_other", unit="kjj")
    for url in ("", "/status", "/download"):
        assert other.get(f"/exports/firms/jobs/{job_id}{url}").status_code == 404
    assert f'data-export-job="{job_id}"' not in other.get("/").get_data(as_text=True)
    _viewer, viewer = _user(queued_only, "jxj_viewer", role="viewer")
    assert viewer.get(f"/exports/firms/jobs/{job_id}/download").status_code == 403
    assert viewer.post("/registry/export/jobs").status_code == 403
    _admin, admin = _user(queued_only, "root_admin", role="admin")
    assert admin.get(f"/exports/firms/jobs/{job_id}/download").status_code == 200
    assert client.get(f"/exports/nosuch/jobs/{job_id}").status_code == 404
    assert client.get(f"/imports/firms/jobs/{job_id}").status_code == 404            # not an import job
    assert f'data-job="{job_id}"' not in client.get("/imports/jobs").get_data(as_text=True)


def test_a_failing_writer_fails_the_job_with_a_message(queued_only, monkeypatch):
    bulk_firms(60)
    _editor, client = _user(queued_only, "jxj_fail")
    job_id = _start(client)

    def broken(params, today):
        yield ("x",) * len(export.HEADERS)
        raise RuntimeError("disk full")
    monkeypatch.setitem(export_jobs._KINDS, "firms", dataclasses.replace(export.KIND, rows=broken))
    assert import_runner.run_pending() == 1
    job = _job(job_id)
    assert job.state == "failed" and "导出时发生内部错误（RuntimeError）" in job.error
    assert not list(import_jobs.upload_dir().glob(f"{job.token}*"))                  # no partial file
    page = client.get(f"/exports/firms/jobs/{job_id}")
    assert page.status_code == 200 and "export-job-failed" in page.get_data(as_text=True)
    download = client.get(f"/exports/firms/jobs/{job_id}/download")
    assert download.status_code == 303                                               # back to its page
    assert "失败" in client.get("/").get_data(as_text=True)


def test_the_sweep_removes_old_exports_and_the_page_says_so(queued_only):
    bulk_firms(60)
    _editor, client = _user(queued_only, "jxj_sweep_export")
    job_id = _start(client)
    import_runner.run_pending()
    path = export_jobs.file_path(_job(job_id))
    assert path.is_file()
    old = time.time() - (export_jobs.KEEP_HOURS + 1) * 3600
    os.utime(path, (old, old))
    run = scheduler.run_job("core.import_sweep")
    assert run.status == "ok" and not path.exists()
    resp = client.get(f"/exports/firms/jobs/{job_id}/download")
    assert resp.status_code == 410 and "export-expired" in resp.get_data(as_text=True)
    assert 'id="export-download"' not in client.get(f"/exports/firms/jobs/{job_id}").get_data(as_text=True)
    assert "文件已删除" in client.get("/").get_data(as_text=True)


def test_permission_withdrawn_before_the_job_runs(queued_only):
    bulk_firms(60)
    editor, client = _user(queued_only, "jxj_demoted")
    job_id = _start(client)
    editor.role = "viewer"
    db.session.commit()
    import_runner.run_pending()
    job = _job(job_id)
    assert job.state == "failed" and "无权导出" in job.error


def test_a_thread_of_the_web_process_runs_the_export(threaded):
    bulk_firms(80)
    _editor, client = _user(threaded, "jxj_thread_export")
    job_id = _start(client)
    end = time.monotonic() + 120
    while True:
        status = client.get(f"/exports/firms/jobs/{job_id}/status").get_json()
        if status["state"] in ("done", "failed"):
            break
        assert time.monotonic() < end, status
        time.sleep(0.2)
    assert status["state"] == "done" and status["written"] == status["total"] == 80
    assert len(_sheet(client.get(f"/exports/firms/jobs/{job_id}/download").data)) == 81
