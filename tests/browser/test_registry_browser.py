"""Browser: the 区经信局 editor imports a firm file, finds a firm, adds it to the high-growth pool."""
import random

import pytest

from registry import uscc

pytestmark = pytest.mark.browser


def _firm_file() -> bytes:
    rng = random.Random(7)
    rows = [("企业名称", "统一社会信用代码", "成立日期", "注册资本", "所属街道/镇", "规上"),
            ("宁波甬江智造科技有限公司", uscc.generate(rng=rng), "2019/3/5", "500万元人民币", "下应", "是"),
            ("宁波东钱湖新材料有限公司", uscc.generate(rng=rng), "2016年7月1日", "13(万美元)", "东钱湖镇", "否")]
    return ("\n".join(",".join(r) for r in rows) + "\n").encode("gbk")


def test_import_find_and_add_to_pool(server, page, sign_in):
    base = server["url"]
    sign_in(page, "jxj_editor")
    page.goto(base + "/registry/pools")
    assert page.inner_text("#pool-count-high_growth").strip() == "0"

    page.goto(base + "/imports/firms")
    page.set_input_files("#import-file", files=[{"name": "企业名单.csv", "mimeType": "text/csv",
                                                 "buffer": _firm_file()}])
    page.click("#import-preview")
    page.wait_for_selector("#import-preview-table")
    assert "宁波甬江智造科技有限公司" in page.inner_text("#import-preview-table")
    assert page.query_selector("#import-errors") is None
    page.click("#import-commit")
    page.wait_for_selector("#import-written")         # the write runs as a job; its page shows the result
    assert "导入完成" in page.content()

    page.goto(base + "/registry/")
    page.fill("#filter-q", "甬江智造")
    page.click("#filter-submit")
    page.wait_for_selector("#firm-table .firm-link")
    links = page.query_selector_all("#firm-table .firm-link")
    assert [link.inner_text() for link in links] == ["宁波甬江智造科技有限公司"]
    links[0].click()
    page.wait_for_selector("#firm-name")
    assert "下应街道" in page.inner_text("#firm-town")
    assert "500 万元人民币" in page.inner_text("#firm-capital")

    page.select_option("#enter-pool", label="高成长性企业培育库")
    page.fill("#enter-reason", "主营业务收入增长快")
    page.click("#enter-submit")
    page.wait_for_selector(".alert-success")
    assert "高成长性企业培育库" in page.inner_text("#firm-pools")
    assert "进入高成长性企业培育库" in page.inner_text("#timeline")

    page.goto(base + "/registry/pools")
    assert page.inner_text("#pool-count-high_growth").strip() == "1"
    page.click("#pool-high_growth")
    page.wait_for_selector("#members-table")
    assert page.inner_text("#pool-count").strip() == "1"
    assert "宁波甬江智造科技有限公司" in page.inner_text("#members-table")
