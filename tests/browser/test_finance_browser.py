"""The finance office editor's main path: pool a firm, move it through two stages on the board,
record a financing event, and see the stage counts and the year's total change."""
from datetime import date, timedelta

from core.db import db
from core.dates import today as cn_today


def _make_firm(server) -> tuple[str, str]:
    from core.auth.models import User
    from registry import service as registry_service
    from registry import uscc
    with server["app"].app_context():
        actor = db.session.scalars(db.select(User).where(User.username == "jxj_editor")).one()
        code = uscc.generate(org_body8="MA2F0001")
        registry_service.create_firm(actor, uscc=code, name="宁波浏览器测试股份有限公司")
        db.session.commit()
    return code, "宁波浏览器测试股份有限公司"


def _count(page, index: int) -> int:
    return int(page.locator(f"#count-{index}").inner_text())


def _move(page, cid: int, stage: str, on: date, note: str = "") -> None:
    page.click(f"#move-toggle-{cid}")
    page.select_option(f"#stage-{cid}", stage)
    page.fill(f"#on-{cid}", on.isoformat())
    if note:
        page.fill(f"#note-{cid}", note)
    page.click(f"#move-{cid}")
    page.wait_for_selector("#stage-counts")


def test_finance_editor_main_path(server, page, sign_in):
    code, name = _make_firm(server)
    today = cn_today()
    entered, reformed = today - timedelta(days=20), today - timedelta(days=10)
    sign_in(page, "jrb_editor")
    page.goto(server["url"] + "/finance/board")
    assert [_count(page, i) for i in range(7)] == [0] * 7

    page.click("#add-candidate")
    page.fill("#uscc", code)
    page.fill("#entered_on", entered.isoformat())
    page.select_option("#board", "创业板")
    page.fill("#sponsor", "中信证券")
    page.click("#candidate-form button[type=submit]")
    page.wait_for_selector("#stage-history")
    assert "已加入拟上市企业资源库" in page.content()

    page.goto(server["url"] + "/finance/board")
    assert _count(page, 0) == 1 and page.locator("#pool-size").inner_text() == "1"
    card = page.locator("#kanban .card", has_text=name)
    cid = int(card.get_attribute("id").removeprefix("card-"))
    assert page.locator(f"#col-0 #card-{cid}").count() == 1

    # a date before the entry is refused with a Chinese message, nothing moves
    page.click(f"#move-toggle-{cid}")
    page.select_option(f"#stage-{cid}", "股份制改造")
    page.fill(f"#on-{cid}", (entered - timedelta(days=1)).isoformat())
    page.click(f"#move-{cid}")
    page.wait_for_selector("#stage-form")
    assert "阶段日期不能早于上一阶段" in page.locator("#stage-form").inner_text()

    page.goto(server["url"] + "/finance/board")
    _move(page, cid, "股份制改造", reformed)
    assert (_count(page, 0), _count(page, 1)) == (0, 1)
    _move(page, cid, "辅导备案", today, note="已在宁波证监局辅导备案")
    assert (_count(page, 0), _count(page, 1), _count(page, 2)) == (0, 0, 1)
    assert page.locator(f"#col-2 #card-{cid}").count() == 1

    # the as-of picker shows the past: between entry and reform the firm was at 入库
    page.fill("#as-of", (reformed - timedelta(days=1)).isoformat())
    page.click("#as-of-go")
    page.wait_for_selector("#stage-counts")
    assert (_count(page, 0), _count(page, 1), _count(page, 2)) == (1, 0, 0)

    page.goto(server["url"] + f"/finance/candidates/{cid}")
    history = page.locator("#stage-history").inner_text()
    assert "入库" in history and "股份制改造" in history and "辅导备案" in history
    assert "10" in history

    page.goto(server["url"] + "/finance/financing")
    before = page.locator("#year-total").inner_text()
    page.click("#add-financing")
    page.fill("#uscc", code)
    page.select_option("#kind", "再融资")
    page.fill("#amount", "-5")
    page.fill("#on", today.isoformat())
    page.click("#financing-form button[type=submit]")
    assert "融资金额应在 0 到" in page.locator("#financing-form").inner_text()
    page.fill("#amount", "12345.5")
    page.click("#financing-form button[type=submit]")
    page.wait_for_selector("#financing-ledger")
    assert before == "0"
    assert page.locator("#year-total").inner_text() == "1.2346"    # 12,345.5 万元 in 亿元
    assert name in page.locator("#financing-ledger").inner_text()
    page.wait_for_selector("#financing-chart canvas")     # drawn by charts.js once the page's scripts ran
    assert page.locator("#financing-chart canvas").count() == 1
