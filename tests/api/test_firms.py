"""Firms through the API: create, get (id / credit code), search, update with optimistic locking, bad input."""
from tests.api.conftest import assert_envelope


def test_create_get_and_find_by_code(admin_api, code):
    uscc = code()
    resp = admin_api.post("/api/v1/firms", json={"uscc": uscc.lower(), "name": " 宁波甬江精密机械有限公司 ",
                                                 "town_code": "下应街道", "plan_sector": "关键基础件",
                                                 "capital": "500万元人民币", "above_scale": True})
    assert resp.status_code == 201, resp.json
    firm = resp.json
    assert firm["uscc"] == uscc and firm["name"] == "宁波甬江精密机械有限公司"
    assert firm["capital_amount"] == 500.0 and firm["above_scale"] is True and firm["version"] == 1
    assert firm["town_name"] == "下应街道"
    assert admin_api.get(f"/api/v1/firms/{firm['id']}").json["uscc"] == uscc
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in uscc)
    assert admin_api.get(f"/api/v1/firms/by-uscc/{full_width}").json["id"] == firm["id"]


def test_search_filters_and_pagination(admin_api, new_firm):
    for i in range(5):
        new_firm(name=f"宁波星辰电子{i}号有限公司", high_tech=i % 2 == 0)
    new_firm(name="鄞州服装有限公司")
    resp = admin_api.get("/api/v1/firms?q=星辰&per_page=2&page=2")
    assert resp.status_code == 200
    assert resp.json["total"] == 5 and resp.headers["X-Total-Count"] == "5"
    assert [f["name"] for f in resp.json["items"]] == ["宁波星辰电子2号有限公司", "宁波星辰电子3号有限公司"]
    assert admin_api.get("/api/v1/firms?q=星辰&high_tech=true").json["total"] == 3
    assert admin_api.get("/api/v1/firms?q=%25").json["total"] == 0   # LIKE wildcards are literal
    assert admin_api.get("/api/v1/firms?pool=no_such_pool").json["total"] == 0
    body = assert_envelope(admin_api.get("/api/v1/firms?per_page=1000&page=0"), 422)
    assert set(body["errors"]) == {"per_page", "page"}


def test_update_with_version_and_stale_409(admin_api, api_as, new_firm):
    firm = new_firm()
    url = f"/api/v1/firms/{firm['id']}"
    first = admin_api.patch(url, json={"version": 1, "name": "宁波新名称有限公司", "listed": True, "stock_code": "600001"})
    assert first.status_code == 200, first.json
    assert first.json["version"] == 2 and first.json["former_names"] == ["宁波接口测试科技有限公司"]
    stale = api_as("jxj").patch(url, json={"version": 1, "name": "另一个名称"})
    body = assert_envelope(stale, 409)
    assert "version" in body["errors"]
    assert any(c["field"] == "name" and c["new"] == "宁波新名称有限公司" for c in body["changes"])
    assert admin_api.get(url).json["name"] == "宁波新名称有限公司"   # the other edit was not lost


def test_invalid_credit_code_is_422_on_uscc(admin_api, code):
    valid = code()
    broken = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    for bad in (broken, "123", "", "9133021" + "I" * 11, 91330212):
        body = assert_envelope(admin_api.post("/api/v1/firms", json={"uscc": bad, "name": "宁波甲有限公司"}), 422)
        assert list(body["errors"]) == ["uscc"], body
    assert_envelope(admin_api.get(f"/api/v1/firms/by-uscc/{broken}"), 422)
    assert_envelope(admin_api.get(f"/api/v1/firms/by-uscc/{code()}"), 404)


def test_duplicate_code_and_rule_breaches_map_to_fields(admin_api, new_firm):
    firm = new_firm()
    body = assert_envelope(admin_api.post("/api/v1/firms", json={"uscc": firm["uscc"], "name": "重复公司"}), 422)
    assert "uscc" in body["errors"] and "宁波接口测试科技有限公司" in body["message"]
    body = assert_envelope(admin_api.patch(f"/api/v1/firms/{firm['id']}", json={"version": 1, "town_code": "火星镇"}), 422)
    assert list(body["errors"]) == ["town_code"]
    body = assert_envelope(admin_api.patch(f"/api/v1/firms/{firm['id']}", json={"version": 1, "capital": "很多钱"}), 422)
    assert list(body["errors"]) == ["capital"]


def test_bad_shapes_are_422_or_400_never_500(admin_api, new_firm, code):
    firm = new_firm()
    cases = [
        ({"name": "缺代码公司"}, "uscc"),
        ({"uscc": code()}, "name"),
        ({"uscc": code(), "name": "x", "color": "red"}, "color"),
        ({"uscc": code(), "name": "x", "registered_on": "2019-02-30"}, "registered_on"),
        ({"uscc": code(), "name": "x", "registered_on": "1800-01-01"}, "registered_on"),
        ({"uscc": code(), "name": "x\x00y"}, "name"),
        ({"uscc": code(), "name": "x" * 256}, "name"),
        ({"uscc": code(), "name": "x", "plan_sector": "炼金术"}, "plan_sector"),
        ({"uscc": code(), "name": "x", "above_scale": "perhaps"}, "above_scale"),
        ({"uscc": code(), "name": "x", "former_names": "not a list"}, "former_names"),
    ]
    for payload, field in cases:
        body = assert_envelope(admin_api.post("/api/v1/firms", json=payload), 422)
        assert field in body["errors"], (payload, body)
    body = assert_envelope(admin_api.patch(f"/api/v1/firms/{firm['id']}", json={"name": "无版本"}), 422)
    assert body["errors"]["version"] == ["必填项"]
    resp = admin_api.client.post("/api/v1/firms", data="{not json", headers={**admin_api.headers,
                                                                             "Content-Type": "application/json"})
    assert resp.status_code in (400, 422) and resp.json["code"] == resp.status_code
    assert_envelope(admin_api.post("/api/v1/firms", json=[1, 2]), 422)
    assert_envelope(admin_api.get("/api/v1/firms/99999999999999999999"), 404)
    assert_envelope(admin_api.get("/api/v1/firms/0"), 404)
    assert_envelope(admin_api.patch("/api/v1/firms/424242", json={"version": 1}), 404)
