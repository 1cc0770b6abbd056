"""Browser: the 区经信局 editor reconciles a noisy official list against a pool (confirming an uncertain
row) and applies it; the manager opens the goals by town and a town's page."""
from datetime import date

import pytest

from core.db import db
from core.tabular import write_xlsx
from registry import service, uscc

pytestmark = pytest.mark.browser


def _firms(app, specs):
    with app.app_context():
        out = {}
        for i, (name, town) in enumerate(specs):
            firm = service.create_firm(None, uscc=uscc.generate(org_prefix=f"MA2B{i}"), name=name, town_code=town)
            out[name] = firm
        db.session.flush()
        ids = {name: (f.id, f.uscc) for name, f in out.items()}
        db.session.commit()
        return ids


def test_reconcile_noisy_list_confirm_and_apply(server, page, sign_in):
    ids = _firms(server["app"], [("宁波东海软件有限公司", "下应"), ("宁波甬鑫精密机械有限公司", "姜山"),
                                 ("宁波华星电子科技有限公司", None)])
    data = write_xlsx(("序号", "企业名称", "备注"),
                      [(1, " 宁波 东海软件有限公司※", ""), (2, "甬鑫精密机械有限责任公司注1", ""),
                       (3, "宁波华星电子科技开发有限公司", "相似名称"), (4, "宁波东海软件有限公司", "重复")])
    sign_in(page, "jxj_editor")
    page.goto(server["url"] + "/registry/reconcile")
    page.select_option("#pool_id", label="高成长性企业培育库")
    page.fill("#as_of", "2026-03-31")
    page.fill("#list_name", "2026年宁波市高成长企业")
    page.set_input_files("#file", files=[{"name": "名单.xlsx", "buffer": data,
                                          "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.click("#reconcile-submit")
    page.wait_for_selector("#reconcile-counts")
    assert page.inner_text("#count-new").strip() == "3"
    assert page.inner_text("#count-uncertain").strip() == "1"
    assert page.inner_text("#count-duplicates").strip() == "1"
    assert "名称完全一致" in page.inner_text("#row-2") and "已去除" in page.inner_text("#row-2")
    assert "规范化名称" in page.inner_text("#row-3")
    assert "待确认" in page.inner_text("#row-4")

    page.click("#reconcile-apply")                # the uncertain row is not decided yet: refused
    page.wait_for_selector(".alert-danger")
    assert "待确认" in page.inner_text(".alert-danger")
    page.check("#d-4-confirm")
    page.click("#reconcile-apply")
    page.wait_for_selector(".alert-success")
    assert "入库 3" in page.inner_text(".alert-success")
    assert "2026年宁波市高成长企业" in page.inner_text("#reconcile-batches")

    page.goto(server["url"] + "/registry/pools")
    assert page.inner_text("#pool-count-high_growth").strip() == "3"
    assert ids


def test_goals_by_town_and_a_town_page(server, page, sign_in):
    app = server["app"]
    ids = _firms(app, [("宁波下应一号科技有限公司", "下应"), ("宁波下应二号科技有限公司", "下应"),
                       ("宁波无镇科技有限公司", None)])
    with app.app_context():
        from registry.models import Firm
        pool = service.pool_by_key("single_champion")
        for name in ids:
            firm = db.session.get(Firm, ids[name][0])
            service.enter_pool(None, firm=firm, pool=pool, entered_on=date(2025, 1, 1))
        db.session.commit()
    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/towns")
    page.wait_for_selector("#towns-table")
    row = page.query_selector("#goal-single_champion_pool")
    assert row.query_selector("td[data-unit='330212001']").inner_text().strip() == "2"
    assert row.query_selector("td[data-unit='none']").inner_text().strip() == "1"
    assert row.query_selector("td.total").inner_text().strip() == "3"
    page.wait_for_selector("#towns-chart svg")
    page.click("#towns-table th a:has-text('下应街道')")
    page.wait_for_selector("#town-title")
    assert page.inner_text("#town-title") == "下应街道"
    assert "宁波下应一号科技有限公司" in page.inner_text("#pool-single_champion")
    assert "宁波无镇科技有限公司" not in page.inner_text("#pool-single_champion")


def test_noisy_pasted_list_end_to_end_with_a_todo_and_the_town_page(server, page, sign_in, sign_out):
    """A list pasted from a PDF (stray spaces, footnote marks, full-width brackets, 宁波/鄞州 prefixes, a
    code, a firm unknown to the registry without a code): review, confirm, apply, resolve the to-do by
    its credit code, then the pool's count by town on the manager's pages."""
    app = server["app"]
    ids = _firms(app, [("宁波东海软件有限公司", "下应"), ("宁波甬鑫精密机械有限公司", "下应"),
                       ("浙江华星电子科技有限公司", "姜山"), ("宁波蓝图新材料股份有限公司", None)])
    new_code = uscc.generate(org_prefix="MA2BN")
    todo_code = uscc.generate(org_prefix="MA2BT")
    pasted = "\n".join([
        "企业名称",
        "1、宁 波 东海软件有限公司※",                       # spaces, serial number, footnote mark
        "2. 甬鑫精密机械（宁波）有限公司①",                   # full-width brackets with the region
        "3 鄞州蓝图新材料有限公司 注1",                        # 鄞州 prefix, 股份 dropped, footnote
        "4．浙江华星电子科技开发有限公司",                     # similar name only: to confirm
        f"5、宁波新列入智能装备有限公司\t{new_code}",          # not registered, with its code
        "6、鄞州区尚未登记贸易有限公司＊",                     # not registered, no code: a to-do
    ])
    sign_in(page, "jxj_editor")
    page.goto(server["url"] + "/registry/reconcile")
    page.select_option("#pool_id", label="单项（隐形）冠军培育库")
    page.fill("#as_of", "2026-06-30")
    page.fill("#list_name", "2026年宁波市单项冠军培育名单")
    page.fill("#pasted", pasted)
    page.click("#reconcile-submit")
    page.wait_for_selector("#reconcile-counts")
    assert page.inner_text("#count-new").strip() == "6"            # the similar name too, to confirm
    assert page.inner_text("#count-conflicting").strip() == "0"
    assert page.inner_text("#count-uncertain").strip() == "1"
    assert "名称完全一致" in page.inner_text("#row-2") and "已去除" in page.inner_text("#row-2")
    assert "规范化名称" in page.inner_text("#row-3") and "规范化名称" in page.inner_text("#row-4")
    assert "相似名称" in page.inner_text("#row-5")
    page.check("#d-5-confirm")
    page.click("#reconcile-apply")
    page.wait_for_selector("#todo-table")                       # a to-do left: its page comes next
    assert "入库 5" in page.inner_text(".alert-success") and "新登记企业 1" in page.inner_text(".alert-success")
    row = page.query_selector("#todo-table tbody tr")
    assert "鄞州区尚未登记贸易有限公司" in row.inner_text() and "2026年宁波市单项冠军培育名单" in row.inner_text()
    row.query_selector("input[name=code]").fill(todo_code)
    row.query_selector("button.btn-success").click()
    page.wait_for_selector(".alert-success")
    assert "已登记并入库" in page.inner_text(".alert-success")
    assert "暂无待办" in page.inner_text("#todo-table")
    page.goto(server["url"] + "/registry/pools")
    assert page.inner_text("#pool-count-single_champion").strip() == "6"
    sign_out(page)

    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/towns?as_of=2026-06-30")
    page.wait_for_selector("#towns-table")
    row = page.query_selector("#goal-single_champion_pool")
    assert row.query_selector("td[data-unit='330212001']").inner_text().strip() == "2"     # 东海, 甬鑫 (下应)
    assert row.query_selector("td[data-unit='330212110']").inner_text().strip() == "1"     # 华星 (姜山)
    assert row.query_selector("td[data-unit='none']").inner_text().strip() == "3"          # 蓝图 and the two new
    assert row.query_selector("td.total").inner_text().strip() == "6"
    page.click("#towns-table th a:has-text('下应街道')")
    page.wait_for_selector("#town-title")
    members = page.inner_text("#pool-single_champion")
    assert "宁波东海软件有限公司" in members and "宁波甬鑫精密机械有限公司" in members
    assert "浙江华星电子科技有限公司" not in members
    assert ids
