"""The pages' permissions hold for the API: other units' editors and viewers get 403 on writes."""
import pytest

from tests.api.conftest import assert_envelope

WRITES = [
    ("registry", "/api/v1/firms", {"uscc": "91330212MA2AGXXU1Q", "name": "x"}),
    ("registry", "/api/v1/pools/single_champion/memberships", {"uscc": "x", "entered_on": "2019-01-01"}),
    ("incubation", "/api/v1/carriers", {"name": "x"}),
    ("incubation", "/api/v1/tenancies", {}),
    ("finance", "/api/v1/ipo-candidates", {}),
    ("finance", "/api/v1/financing-events", {"uscc": "x", "kind": "IPO", "amount": 1, "on": "2019-01-01"}),
    ("talent", "/api/v1/talents", {}),
]
OWNER = {"registry": "jxj", "incubation": "kjj", "finance": "jrb", "talent": "rsj"}


@pytest.mark.parametrize("domain,url,payload", WRITES)
def test_other_units_and_viewers_get_403_on_writes(api_as, domain, url, payload):
    for unit, role in [(u, "editor") for u in ("jxj", "kjj", "jrb", "rsj") if u != OWNER[domain]] + [
            (OWNER[domain], "viewer"), ("jxj", "manager")]:
        body = assert_envelope(api_as(unit, role).post(url, json=payload), 403)
        assert body["errors"] == {}


def test_kjj_token_cannot_write_finance_but_can_read_it(api_as):
    kjj = api_as("kjj")
    assert_envelope(kjj.post("/api/v1/financing-events", json={}), 403)
    assert kjj.get("/api/v1/financing-events").status_code == 200
    assert kjj.get("/api/v1/financing-events/annual-totals").status_code == 200


def test_owner_unit_writes_its_own_domain(api_as, code):
    resp = api_as("kjj").post("/api/v1/carriers", json={"name": "鄞州创客空间", "carrier_type": "众创空间",
                                                         "level": "区级", "opened_on": "2017-03-01"})
    assert resp.status_code == 201, resp.json
    resp = api_as("jxj").post("/api/v1/firms", json={"uscc": code(), "name": "宁波甲有限公司"})
    assert resp.status_code == 201


def test_object_scope_is_checked_on_record_writes(api_as, code):
    """A record of another unit's domain: 403 even though the caller is an editor."""
    carrier = api_as("kjj").post("/api/v1/carriers", json={"name": "载体甲", "carrier_type": "孵化器", "level": "市级",
                                                             "opened_on": "2017-03-01"}).json
    firm = api_as("jxj").post("/api/v1/firms", json={"uscc": code(), "name": "宁波乙有限公司"}).json
    tenancy = api_as("kjj").post("/api/v1/tenancies", json={"carrier_id": carrier["id"], "uscc": firm["uscc"],
                                                             "entered_on": "2018-01-01"}).json
    assert_envelope(api_as("jxj").post(f"/api/v1/tenancies/{tenancy['id']}/graduate", json={"on": "2019-01-01"}), 403)
    assert_envelope(api_as("kjj").patch(f"/api/v1/firms/{firm['id']}", json={"version": 1, "name": "改名"}), 403)
