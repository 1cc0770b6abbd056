"""Talents masked per the talent rules; goals as of a date with the records behind them."""
from datetime import date

from talent import resident_id
from tests.api.conftest import assert_envelope


def _register(client, firm, number, name="张三", category="领军人才", support=50):
    return client.post("/api/v1/talents", json={"id_number": number, "name": name, "category": category,
                                                "uscc": firm["uscc"], "recognized_on": "2018-04-01",
                                                "support": support, "programme": "泛3315计划"})


def test_talent_register_never_returns_the_clear_id(api_as, new_firm):
    rsj = api_as("rsj")
    firm = new_firm()
    number = resident_id.generate(birth=date(1980, 5, 6), seq=7)
    resp = _register(rsj, firm, number)
    assert resp.status_code == 201, resp.json
    text = resp.get_data(as_text=True)
    assert number not in text and number[6:14] not in text
    assert resp.json["outcome"] == "created" and resp.json["person"]["name"] == "张三"
    assert resp.json["person"]["id_masked"] == resident_id.mask(number)
    assert resp.json["recognition"]["unit_code"] == "rsj"
    person_id = resp.json["person"]["id"]
    again = _register(rsj, firm, number.lower())
    assert again.json["outcome"] == "unchanged" and again.json["person"]["id"] == person_id
    listing = rsj.get("/api/v1/talents?category=领军人才")
    assert listing.json["total"] == 1 and number not in listing.get_data(as_text=True)
    assert rsj.get(f"/api/v1/talents/{person_id}").json["recognitions"][0]["category"] == "领军人才"


def test_bad_id_number_error_does_not_echo_it(api_as, new_firm):
    firm = new_firm()
    number = resident_id.generate(seq=3)
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    resp = _register(api_as("rsj"), firm, bad)
    body = assert_envelope(resp, 422)
    assert list(body["errors"]) == ["id_number"] and bad not in resp.get_data(as_text=True)


def test_others_get_counts_but_no_names(api_as, new_firm):
    firm = new_firm()
    _register(api_as("rsj"), firm, resident_id.generate(seq=11), name="李四")
    _register(api_as("rcb"), firm, resident_id.generate(seq=13), name="王五", category="高技能人才", support=None)
    for who in (api_as("kjj"), api_as("jxj", "manager"), api_as("scjgj", "viewer")):
        assert_envelope(who.get("/api/v1/talents"), 403)
        assert_envelope(who.get("/api/v1/talents/1"), 403)
        resp = who.get("/api/v1/talents/summary?as_of=2019-01-01")
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert "李四" not in body and "王五" not in body
        assert resp.json["categories"]["领军人才"] == 1 and resp.json["categories"]["高技能人才"] == 1
        assert resp.json["leading_talents"] == 1
        assert {(r["category"], r["persons"]) for r in resp.json["firms"]} == {("领军人才", 1), ("高技能人才", 1)}
    assert api_as("kjj").get("/api/v1/talents/summary?as_of=2018-03-31").json["categories"]["领军人才"] == 0


GOAL_KEYS = {"key", "name", "unit", "baseline", "baseline_year", "target", "target_year", "actual", "progress",
             "expected", "status", "responsible_unit"}


def test_goals_as_of_before_and_after_membership_changes(admin_api, api_as, new_firm):
    firms = [new_firm(name=f"宁波冠军{i}有限公司") for i in range(3)]
    for i, firm in enumerate(firms):
        resp = admin_api.post("/api/v1/pools/single_champion/memberships",
                              json={"uscc": firm["uscc"], "entered_on": f"201{7 + i}-03-01"})
        assert resp.status_code == 201
    viewer = api_as("scjgj", "viewer")

    def goal(as_of):
        rows = viewer.get(f"/api/v1/goals?as_of={as_of}").json
        assert all(GOAL_KEYS <= set(r) for r in rows)
        return {r["key"]: r for r in rows}["single_champion_pool"]

    g2018 = goal("2018-12-31")
    assert g2018["actual"] == 2 and g2018["baseline"] == 2 and g2018["target"] == 50 and g2018["target_year"] == 2019
    assert goal("2017-01-01")["actual"] == 0 and goal("2019-12-31")["actual"] == 3
    assert g2018["status"] in ("achieved", "on_track", "at_risk", "behind")
    records = viewer.get("/api/v1/goals/single_champion_pool/records?as_of=2018-12-31").json
    assert sorted(r["uscc"] for r in records) == sorted(f["uscc"] for f in firms[:2])
    assert viewer.get("/api/v1/goals/single_champion_pool/records?as_of=2016-12-31").json == []


def test_goals_bad_input(admin_api):
    body = assert_envelope(admin_api.get("/api/v1/goals?as_of=2019-13-01"), 422)
    assert list(body["errors"]) == ["as_of"]
    assert_envelope(admin_api.get("/api/v1/goals?as_of=yesterday"), 422)
    assert_envelope(admin_api.get("/api/v1/goals/no_such_goal/records"), 404)
    assert_envelope(admin_api.get("/api/v1/goals/%00bad/records"), 404)
    by_unit = admin_api.get("/api/v1/goals?unit=jxj&lang=en").json
    assert by_unit and all("jxj" in r["responsible_units"] for r in by_unit)
