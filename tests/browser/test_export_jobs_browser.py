"""Browser: a long firm export runs as a job — started from the firm list with its filter, its page shows
the rows written, then the file downloads and opens; the home page lists it under "my exports"."""
import re

import openpyxl
import pytest

from bench.generate import bulk_firms
from core import dates
from core.db import db
from registry import export

pytestmark = pytest.mark.browser
FIRMS = 3000


def test_long_export_from_the_list_progress_download(server, page, sign_in, tmp_path):
    base, app = server["url"], server["app"]
    app.config["EXPORT_DIRECT_MAX_ROWS"] = 100
    with app.app_context():
        bulk_firms(FIRMS)
        db.session.remove()
    polls = []
    page.on("response", lambda r: polls.append(r.json()) if r.url.endswith("/status") and r.ok else None)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, "jxj_editor")
    page.goto(base + "/registry/?sort=name&dir=desc")
    assert f"共 {FIRMS} 家" in page.inner_text("#firm-total")
    page.click("#firm-export")                                     # a form: the export is queued as a job
    page.wait_for_url(re.compile(r"/exports/firms/jobs/\d+$"))
    job_url = page.url
    page.wait_for_selector("#export-download", timeout=120000)     # the page reloads when the job ends
    assert f"共 {FIRMS:,} 行" in page.inner_text("#export-job-done")
    assert polls, "the progress page never asked for the job's status"
    assert all(p["written"] <= p["total"] for p in polls if p["total"])

    with page.expect_download() as dl:
        page.click("#export-download")
    download = dl.value
    assert re.fullmatch(r"firms-\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(openpyxl.load_workbook(target, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("统一社会信用代码", "企业名称") and len(rows) == FIRMS + 1
    with app.app_context():                                        # the list's filter and order kept
        expected = [r[1] for r in export.rows(export._filter({"sort": "name", "dir": "desc"}), dates.today())]
        db.session.remove()
    assert [r[1] for r in rows[1:]] == expected

    page.goto(base + "/")
    item = page.query_selector("#recent-exports [data-export-job]")
    assert item is not None and "已完成" in item.inner_text()
    assert job_url.endswith(item.query_selector("a").get_attribute("href"))
    assert errors == []
