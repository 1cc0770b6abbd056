"""Pools, carriers and tenancies, pre-IPO candidates and stages, financing — through the API."""
from datetime import timedelta

from tests.api.conftest import assert_envelope
from core.dates import today as cn_today


def test_pool_membership_as_of_dates(admin_api, new_firm):
    firm = new_firm()
    url = "/api/v1/pools/single_champion/memberships"
    resp = admin_api.post(url, json={"uscc": firm["uscc"], "entered_on": "2018-03-01", "reason": "认定"})
    assert resp.status_code == 201, resp.json
    membership = resp.json
    assert membership["pool"] == "single_champion" and membership["firm"]["uscc"] == firm["uscc"]
    members = lambda d: [m["firm"]["id"] for m in admin_api.get(f"/api/v1/pools/single_champion/members?as_of={d}").json]  # noqa: E731
    assert members("2018-02-28") == [] and members("2018-03-01") == [firm["id"]]
    resp = admin_api.post(f"/api/v1/memberships/{membership['id']}/exit", json={"exited_on": "2019-06-30"})
    assert resp.status_code == 200 and resp.json["exited_on"] == "2019-06-30"
    assert members("2019-06-29") == [firm["id"]] and members("2019-06-30") == []
    pools = {p["key"]: p["members"] for p in admin_api.get("/api/v1/pools?as_of=2019-01-01").json}
    assert pools["single_champion"] == 1 and pools["high_growth"] == 0
    assert [m["id"] for m in admin_api.get(f"/api/v1/firms/{firm['id']}/memberships").json] == [membership["id"]]
    body = assert_envelope(admin_api.post(url, json={"uscc": firm["uscc"], "entered_on": "2019-01-01"}), 422)
    assert "entered_on" in body["errors"]
    body = assert_envelope(admin_api.post(f"/api/v1/memberships/{membership['id']}/exit",
                                          json={"exited_on": "2020-01-01"}), 422)
    assert "exited_on" in body["errors"]
    assert_envelope(admin_api.post("/api/v1/pools/nope/memberships", json={"uscc": firm["uscc"],
                                                                           "entered_on": "2019-01-01"}), 404)


def test_carrier_tenancy_graduation(api_as, new_firm, code):
    kjj = api_as("kjj")
    carrier = kjj.post("/api/v1/carriers", json={"name": "鄞州科技孵化器", "carrier_type": "孵化器", "level": "省级",
                                                  "opened_on": "2016-05-01", "area_m2": 12000.5}).json
    assert carrier["area_m2"] == 12000.5
    firm = new_firm()
    resp = kjj.post("/api/v1/tenancies", json={"carrier_id": carrier["id"], "uscc": firm["uscc"],
                                               "entered_on": "2017-06-01"})
    assert resp.status_code == 201, resp.json
    tenancy = resp.json
    new_code = code()
    resp = kjj.post("/api/v1/tenancies", json={"carrier_id": carrier["id"], "uscc": new_code,
                                               "entered_on": "2016-01-01"})
    assert "entered_on" in assert_envelope(resp, 422)["errors"]       # before the carrier opened
    resp = kjj.post("/api/v1/tenancies", json={"carrier_id": carrier["id"], "uscc": new_code,
                                               "entered_on": "2018-01-01"})
    assert "firm_name" in assert_envelope(resp, 422)["errors"]        # unknown firm without a name
    resp = kjj.post("/api/v1/tenancies", json={"carrier_id": carrier["id"], "uscc": new_code, "firm_name": "新入驻公司",
                                               "entered_on": "2018-01-01"})
    assert resp.status_code == 201 and resp.json["firm"]["name"] == "新入驻公司"
    detail = kjj.get(f"/api/v1/carriers/{carrier['id']}").json
    assert detail["current_tenants"] == 2 and detail["all_tenancies"] == 2
    resp = kjj.post(f"/api/v1/tenancies/{tenancy['id']}/graduate", json={"on": "2019-06-01", "note": "毕业"})
    assert resp.status_code == 200 and resp.json["outcome"] == "毕业" and resp.json["left_on"] == "2019-06-01"
    assert_envelope(kjj.post(f"/api/v1/tenancies/{tenancy['id']}/graduate", json={"on": "2019-07-01"}), 422)
    listing = kjj.get(f"/api/v1/tenancies?carrier_id={carrier['id']}&current_on=2019-12-31").json
    assert listing["total"] == 1 and listing["items"][0]["firm"]["uscc"] == new_code
    assert kjj.get(f"/api/v1/tenancies?uscc={firm['uscc']}").json["total"] == 1
    assert [c["name"] for c in kjj.get("/api/v1/carriers?carrier_type=孵化器").json] == ["鄞州科技孵化器"]
    body = assert_envelope(kjj.post("/api/v1/carriers", json={"name": "鄞州科技孵化器", "carrier_type": "孵化器",
                                                              "level": "省级", "opened_on": "2016-05-01"}), 422)
    assert "name" in body["errors"]
    body = assert_envelope(kjj.post("/api/v1/carriers", json={"name": "乙", "carrier_type": "飞船", "level": "省级",
                                                              "opened_on": "2016-05-01", "area_m2": -1}), 422)
    assert {"carrier_type", "area_m2"} <= set(body["errors"])


def test_candidate_stages_and_personal_contact(api_as, new_firm, admin_api):
    jrb = api_as("jrb")
    firm = new_firm()
    resp = jrb.post("/api/v1/ipo-candidates", json={"uscc": firm["uscc"], "entered_on": "2018-01-10", "board": "创业板",
                                                    "contact_name": "王经理", "contact_phone": "13800000000"})
    assert resp.status_code == 201, resp.json
    cand = resp.json
    assert cand["current_stage"] == "入库" and cand["contact_name"] == "王经理"
    assert [s["stage"] for s in cand["stages"]] == ["入库"]
    seen_by_kjj = api_as("kjj").get(f"/api/v1/ipo-candidates/{cand['id']}").json
    assert seen_by_kjj["contact_name"] is None and seen_by_kjj["contact_phone"] is None
    url = f"/api/v1/ipo-candidates/{cand['id']}/stages"
    resp = jrb.post(url, json={"stage": "辅导备案", "on": "2018-06-01"})
    assert resp.status_code == 201 and resp.json["current_stage"] == "辅导备案"
    assert "stock_code" in assert_envelope(jrb.post(url, json={"stage": "上市", "on": "2019-01-01"}), 422)["errors"]
    assert "on" in assert_envelope(jrb.post(url, json={"stage": "申报受理", "on": "2018-01-01"}), 422)["errors"]
    future = (cn_today() + timedelta(days=3)).isoformat()
    assert "on" in assert_envelope(jrb.post(url, json={"stage": "申报受理", "on": future}), 422)["errors"]
    resp = jrb.post(url, json={"stage": "上市", "on": "2019-01-01", "stock_code": "300999"})
    assert resp.status_code == 201 and resp.json["closed_on"] == "2019-01-01"
    assert admin_api.get(f"/api/v1/firms/{firm['id']}").json["listed"] is True
    assert jrb.get("/api/v1/ipo-candidates").json["total"] == 0
    assert jrb.get("/api/v1/ipo-candidates?open_only=false&stage=上市").json["total"] == 1
    body = assert_envelope(jrb.post("/api/v1/ipo-candidates", json={"uscc": firm["uscc"], "entered_on": "2018-01-10",
                                                                    "board": "月球板"}), 422)
    assert "board" in body["errors"]


def test_financing_events_and_annual_totals(api_as, new_firm, code):
    jrb = api_as("jrb")
    firm = new_firm()
    for kind, amount, on in (("IPO", 50000, "2018-05-01"), ("公司债", "20000.5", "2018-09-01"), ("IPO", 1000, "2019-01-02")):
        resp = jrb.post("/api/v1/financing-events", json={"uscc": firm["uscc"], "kind": kind, "amount": amount, "on": on})
        assert resp.status_code == 201, resp.json
    totals = {row["year"]: row for row in jrb.get("/api/v1/financing-events/annual-totals").json}
    assert totals[2018]["total"] == 70000.5 and totals[2018]["by_kind"] == {"IPO": 50000.0, "公司债": 20000.5}
    assert totals[2019]["total"] == 1000.0
    listing = jrb.get("/api/v1/financing-events?year=2018")
    assert listing.json["total"] == 2 and listing.headers["X-Total-Count"] == "2"
    for payload, field in (({"amount": 0}, "amount"), ({"amount": "NaN"}, "amount"), ({"amount": 1e12}, "amount"),
                           ({"kind": "众筹"}, "kind"), ({"uscc": code()}, "firm_name")):   # unknown, no name
        body = assert_envelope(jrb.post("/api/v1/financing-events", json={
            "uscc": firm["uscc"], "kind": "IPO", "amount": 10, "on": "2019-01-01", **payload}), 422)
        assert field in body["errors"], (payload, body)
