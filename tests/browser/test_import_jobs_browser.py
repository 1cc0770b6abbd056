"""Browser: a long import runs off the request — upload, follow its progress, read the preview, confirm,
follow the write, see the result; the job stays listed under "my imports"."""
import re

import pytest

from bench.generate import FIRM_HEADERS, _csv_bytes, firm_cells, firms

pytestmark = pytest.mark.browser
ROWS = 3000


def test_upload_progress_preview_commit_result(server, page, sign_in):
    base = server["url"]
    polls = []
    page.on("response", lambda r: polls.append(r.json()) if r.url.endswith("/status") and r.ok else None)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, "jxj_editor")
    page.goto(base + "/imports/firms")
    data = _csv_bytes(FIRM_HEADERS, (firm_cells(f) for f in firms(ROWS, seed=11)))
    page.set_input_files("#import-file", files=[{"name": "企业名单.csv", "mimeType": "text/csv", "buffer": data}])
    page.click("#import-preview")
    page.wait_for_url(re.compile(r"/imports/firms/jobs/\d+$"))
    preview_url = page.url
    page.wait_for_selector("#import-preview-table", timeout=120000)     # the page reloads when the job ends
    assert f"共 {ROWS} 行数据" in page.inner_text("#import-job-done")
    assert page.query_selector("#import-errors") is None
    assert polls, "the progress page never asked for the job's status"
    assert all(p["read"] <= ROWS and p["validated"] <= ROWS for p in polls)

    page.click("#import-commit")
    page.wait_for_url(re.compile(r"/imports/firms/jobs/\d+$"))
    assert page.url != preview_url
    page.wait_for_selector("#import-written", timeout=120000)
    assert f"导入完成：新增 {ROWS}" in page.inner_text("#import-written")

    page.goto(base + "/imports/jobs")
    rows = page.query_selector_all("#import-jobs tbody tr")
    assert len(rows) == 2 and all("已完成" in r.inner_text() for r in rows)
    page.goto(preview_url)
    assert page.query_selector("#import-commit") is None               # written: no second commit
    assert page.query_selector("#import-commit-job") is not None
    assert errors == []
