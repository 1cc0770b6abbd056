"""Browser: the leadership briefing printed by Chromium (A4 landscape, date, figures, page numbers), the IPO
board at 1366 px, the export buttons, and screenshots of the main pages at 1366×768 for people to look at
(written to tests/browser/artifacts/, or $ARTIFACTS_DIR)."""
import io
import os
import unicodedata
from datetime import date
from pathlib import Path

import pypdf
import pytest

from core import dates
from core.db import db

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR") or Path(__file__).parent / "artifacts")
A4_LANDSCAPE = (842, 595)   # points; 297 × 210 mm

MAIN_PAGES = [
    ("home", "/"), ("goals", "/goals/"), ("briefing", "/goals/briefing"), ("towns", "/goals/towns"),
    ("funnel", "/goals/funnel"), ("registry", "/registry/"), ("pools", "/registry/pools"),
    ("incubation", "/incubation/"), ("carriers", "/incubation/carriers"), ("tenancies", "/incubation/tenancies"),
    ("talent", "/talent/"), ("teams", "/talent/teams"), ("ipo-board", "/finance/board"),
    ("candidates", "/finance/candidates"), ("financing", "/finance/financing"),
]


def _text(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # CJK fonts map some glyphs to Kangxi radicals when extracted; NFKC folds them back
    return reader, unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))


def _assert_a4_landscape(reader: pypdf.PdfReader) -> None:
    assert len(reader.pages) > 0
    for p in reader.pages:
        width, height = float(p.mediabox.width), float(p.mediabox.height)
        assert abs(width - A4_LANDSCAPE[0]) < 2 and abs(height - A4_LANDSCAPE[1]) < 2, (width, height)


def _seed_ipo(server, names):
    from finance import service
    from registry import service as registry
    from registry.uscc import generate
    from core.auth.models import User
    from sqlalchemy import select
    with server["app"].app_context():
        editor = db.session.scalar(select(User).where(User.username == "jrb_editor"))
        for name in names:
            firm = registry.create_firm(editor, uscc=generate(), name=name)
            service.add_candidate(editor, firm=firm, board="科创板", entered_on=date(2025, 3, 1))
        db.session.commit()


def test_briefing_prints_a4_landscape_with_date_figures_and_page_numbers(server, page, sign_in):
    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/")
    page.click("#briefing-link")
    page.wait_for_selector("body[data-charts-ready]", state="attached")
    assert page.locator("#briefing-progress-chart svg").count() == 1
    total = page.inner_text("#briefing-total").strip()
    first_goal = page.locator("#briefing-annex .briefing-row td").nth(1).inner_text().strip()
    today = dates.today().isoformat()

    page.emulate_media(media="print")      # the browser's own print: print CSS, @page A4 landscape
    reader, text = _text(page.pdf(prefer_css_page_size=True, print_background=True))
    _assert_a4_landscape(reader)
    assert today in text and first_goal in text and "目标总数" in text and total in text
    assert "退出登录" not in text          # the navigation bar is not printed
    page.emulate_media(media="screen")

    with page.expect_download() as dl:     # the server's PDF: the same page, page numbers in the footer
        page.click("#briefing-pdf")
    reader, text = _text(Path(dl.value.path()).read_bytes())
    _assert_a4_landscape(reader)
    n = len(reader.pages)
    assert today in text and first_goal in text and f"1 / {n}" in text and f"{n} / {n}" in text


def test_ipo_board_fits_1366_and_shows_a_cue_when_narrower(server, page, sign_in):
    _seed_ipo(server, ["宁波鄞州超长名称示例智能制造装备股份有限公司", "宁波测试科技有限公司"])
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "jrb_editor")
    page.goto(server["url"] + "/finance/board")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.evaluate("(() => { const k = document.getElementById('kanban'); "
                         "return k.scrollWidth <= k.clientWidth + 1; })()")
    assert not page.is_visible("#kanban-hint")
    page.set_viewport_size({"width": 1000, "height": 768})
    page.wait_for_selector("#kanban-hint", state="visible")
    assert "more-right" in page.get_attribute("#kanban-wrap", "class")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_main_pages_at_1366_screenshots(server, page, sign_in):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "admin")
    wide = []
    for name, path in MAIN_PAGES:
        resp = page.goto(server["url"] + path)
        assert resp.status == 200, path
        page.wait_for_load_state("load")
        page.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"))
        if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"):
            wide.append(path)
    assert not errors
    assert not wide, f"pages wider than 1366 px: {wide}"


def test_export_button_carries_the_list_filters(server, page, sign_in):
    sign_in(page, "kjj_editor")
    page.goto(server["url"] + "/incubation/tenancies?status=left")
    href = page.get_attribute("#export-xlsx", "href")
    assert href.startswith("/incubation/tenancies/export.xlsx") and "status=left" in href
    with page.expect_download() as dl:
        page.click("#export-xlsx")
    import openpyxl
    ws = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
    assert [c.value for c in ws[1]][:3] == ["企业名称", "统一社会信用代码", "载体"]
