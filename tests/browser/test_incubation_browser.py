"""The science bureau's main path in a real browser: maker space → new firm into it → summary → graduate."""
import re

import pytest

from registry.uscc import generate

pytestmark = pytest.mark.browser


def _incubated(page, url, as_of):
    page.goto(f"{url}/incubation/?as_of={as_of}")
    return int(page.get_attribute("#metric-incubated_firms .metric-value", "data-value"))


def test_kjj_editor_registers_and_graduates_a_firm(server, page, sign_in):
    url = server["url"]
    sign_in(page, "kjj_editor")
    before_entry = _incubated(page, url, "2018-04-09")
    before = _incubated(page, url, "2019-06-30")
    spaces_before = int(page.get_attribute("#metric-maker_spaces .metric-value", "data-value"))

    page.goto(url + "/incubation/carriers")
    page.click("#carrier-new")
    page.fill("#name", "浏览器测试众创空间")
    page.select_option("#carrier_type", "众创空间")
    page.select_option("#level", "区级")
    page.fill("#area_m2", "800")
    page.fill("#opened_on", "2017-05-01")
    page.click("#carrier-form button[type=submit]")
    page.wait_for_selector("#carrier-name")
    assert page.inner_text("#carrier-name") == "浏览器测试众创空间"

    code = generate()
    page.click("#tenancy-new")
    page.fill("#uscc", code)
    page.fill("#entered_on", "2018-04-10")
    page.click("#tenancy-form button[type=submit]")          # no name yet: a message, nothing saved
    assert "请填写企业名称" in page.inner_text("#tenancy-form")
    page.fill("#firm_name", "浏览器新创科技有限公司")
    page.click("#tenancy-form button[type=submit]")
    page.wait_for_selector("#current-tenants")
    row = page.locator(f'#current-tenants tr[data-uscc="{code}"]')
    assert "浏览器新创科技有限公司" in row.inner_text()

    assert _incubated(page, url, "2019-06-30") == before + 1
    assert _incubated(page, url, "2018-04-09") == before_entry      # not yet entered on that day
    page.goto(f"{url}/incubation/?as_of=2019-06-30")
    assert int(page.get_attribute("#metric-maker_spaces .metric-value", "data-value")) == spaces_before + 1

    page.goto(url + "/incubation/carriers")
    page.click("text=浏览器测试众创空间")
    page.locator(f'#current-tenants tr[data-uscc="{code}"] .tenancy-graduate').click()
    page.fill("#left_on", "2021-04-10")
    page.click("#tenancy-end-form button[type=submit]")
    page.wait_for_selector("#past-tenants")
    past = page.locator(f'#past-tenants tr[data-uscc="{code}"]')
    assert "毕业" in past.inner_text() and "2021-04-10" in past.inner_text()
    assert page.locator(f'#current-tenants tr[data-uscc="{code}"]').count() == 0
    assert re.search(r"已办理毕业", page.content())
    assert _incubated(page, url, "2021-06-30") == before + 1   # graduates still count toward the plan
