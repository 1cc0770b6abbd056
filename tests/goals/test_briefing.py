"""The leadership briefing page and its PDF (core.pdf through the server's Chromium), and the message when
the server has no renderer."""
import io
import unicodedata

import pypdf
import pytest

from core import dates


@pytest.fixture
def manager(make_user):
    return make_user("manager", unit="ldxz", role="manager")


def test_briefing_page_has_date_figures_chart_data_and_print_css(app, login, manager):
    client = login(manager)
    html = client.get("/goals/briefing?as_of=2019-12-31").get_data(as_text=True)
    assert "数据截至 2019-12-31" in html and 'id="briefing-total"' in html
    assert "briefing-chart-data" in html and "css/briefing.css" in html and "附件1 主要工作目标分解表" in html
    css = client.get("/static/css/briefing.css").get_data(as_text=True)
    assert "size: A4 landscape" in css and "@media print" in css
    bad = client.get("/goals/briefing?as_of=2019-13-45")
    assert bad.status_code == 200 and "数据截至 " + dates.today().isoformat() in bad.get_data(as_text=True)


def test_briefing_pdf_is_a4_landscape_with_date_and_page_numbers(app, login, manager):
    resp = login(manager).get("/goals/briefing.pdf?as_of=2019-12-31")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf", resp.data[:200]
    reader = pypdf.PdfReader(io.BytesIO(resp.data))
    n = len(reader.pages)
    assert n > 0
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 842) < 2 and abs(float(box.height) - 595) < 2
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))
    assert "2019-12-31" in text and "主要工作目标分解表" in text and f"1 / {n}" in text


def test_briefing_pdf_without_a_renderer_explains_instead_of_failing(app, login, manager):
    app.config["PDF_CHROMIUM"] = "/nonexistent/chromium"
    client = login(manager)
    resp = client.get("/goals/briefing.pdf?as_of=2019-12-31")
    assert resp.status_code == 302 and "/goals/briefing?as_of=2019-12-31" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "打印 → 另存为 PDF" in page


def test_briefing_needs_sign_in(app):
    assert app.test_client().get("/goals/briefing").status_code == 302
    assert app.test_client().get("/goals/briefing.pdf").status_code == 302


def test_briefing_pdf_while_an_asyncio_loop_runs_in_this_thread(app, login, manager):
    """The renderer runs in a thread of its own: where an asyncio loop runs (an async server, a sync
    Playwright already started in this thread) the download must not fall back to the message."""
    import asyncio
    client = login(manager)

    async def download():
        return client.get("/goals/briefing.pdf?as_of=2019-12-31")

    try:
        asyncio.get_running_loop()          # a sync Playwright an earlier test started runs one here already
    except RuntimeError:
        resp = asyncio.run(download())
    else:
        resp = client.get("/goals/briefing.pdf?as_of=2019-12-31")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data[:5] == b"%PDF-"
