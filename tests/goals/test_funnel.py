"""The cohort funnel: stages, conversion, median time, where firms left, filters, pages, API, export."""
from datetime import date
from io import BytesIO

import openpyxl
import pytest

from core.db import db
from core.records import archive
from finance import service as finance
from goals import funnel as fn
from incubation import service as incubation
from registry import service as registry
from registry.uscc import generate

AS_OF = date(2024, 1, 1)


@pytest.fixture
def chain(admin):
    """Two carriers and five firms on known paths (see each line)."""
    a = incubation.create_carrier(admin, name="甲孵化器", carrier_type="孵化器", level="区级", opened_on=date(2016, 1, 1))
    b = incubation.create_carrier(admin, name="乙众创空间", carrier_type="众创空间", level="区级",
                                  opened_on=date(2016, 1, 1))
    firms = {}

    def tenancy(carrier, key, entered, **kw):
        if key not in firms:
            firms[key] = registry.create_firm(admin, uscc=generate(), name=f"{key}科技有限公司")
            db.session.flush()
        return incubation.register_tenancy(admin, carrier=carrier, uscc=firms[key].uscc, entered_on=entered, **kw)

    pools = {k: registry.pool_by_key(k) for k in ("high_growth", "single_champion")}
    # F1: the whole chain — incubated 2018-03-01, graduated, high-growth, champion, pre-IPO, listed
    tenancy(a, "F1", date(2018, 3, 1), left_on=date(2019, 6, 30), outcome="毕业")
    registry.enter_pool(admin, firm=firms["F1"], pool=pools["high_growth"], entered_on=date(2020, 1, 10))
    registry.enter_pool(admin, firm=firms["F1"], pool=pools["single_champion"], entered_on=date(2021, 5, 1))
    cand = finance.add_candidate(admin, firm=firms["F1"], entered_on=date(2022, 2, 1), board="创业板")
    finance.move_stage(cand, stage="上市", on=date(2023, 9, 1), actor=admin, stock_code="301999")
    # F2: moved out of its carrier
    tenancy(a, "F2", date(2018, 5, 1), left_on=date(2019, 1, 1), outcome="迁出")
    # F3: two carriers, counted once, in the cohort of its first entry (2018, via B)
    tenancy(b, "F3", date(2018, 7, 1))
    tenancy(a, "F3", date(2019, 2, 1))
    # F4: cohort 2019
    tenancy(b, "F4", date(2019, 3, 1))
    # F5: graduated, high-growth, then left the pool
    tenancy(a, "F5", date(2018, 9, 1), left_on=date(2020, 1, 1), outcome="毕业")
    m = registry.enter_pool(admin, firm=firms["F5"], pool=pools["high_growth"], entered_on=date(2020, 6, 1))
    registry.exit_pool(admin, m, exited_on=date(2021, 1, 1), reason="降级")
    db.session.commit()
    return {"a": a, "b": b, **{k: f.id for k, f in firms.items()}}


def _stage(result, key):
    return next(s for s in result.stages if s.key == key)


def test_stages_conversion_and_median(chain):
    result = fn.funnel(2018, AS_OF)
    assert sorted(result.firm_ids) == sorted([chain["F1"], chain["F2"], chain["F3"], chain["F5"]])
    assert [s.reached for s in result.stages] == [4, 2, 2, 1, 1, 1]
    assert _stage(result, "graduated").firm_ids == sorted([chain["F1"], chain["F5"]])
    assert _stage(result, "graduated").conversion == 0.5
    assert _stage(result, "high_growth").conversion == 1.0
    assert _stage(result, "champion").conversion == 0.5
    # 2018-03-01 → 2019-06-30 is 486 days; 2018-09-01 → 2020-01-01 is 487 days
    assert _stage(result, "graduated").median_days == 486.5
    assert _stage(result, "incubated").conversion is None


def test_where_firms_left(chain):
    left = {(r["stage"], r["reason"]): r["firm_ids"] for r in fn.funnel(2018, AS_OF).left}
    assert left == {("incubated", "moved_out"): [chain["F2"]], ("high_growth", "pool_exit"): [chain["F5"]]}


def test_as_of_date_moves_the_funnel(chain):
    early = fn.funnel(2018, date(2019, 12, 31))
    assert [s.reached for s in early.stages] == [4, 1, 0, 0, 0, 0]
    assert {(r["stage"], r["reason"]) for r in early.left} == {("incubated", "moved_out")}
    before = fn.funnel(2018, date(2018, 4, 1))
    assert before.firm_ids == [chain["F1"]]


def test_filters_carrier_type_and_pool_basis(chain):
    only_b = fn.Filters(carrier_id=chain["b"].id)
    assert fn.funnel(2018, AS_OF, only_b).firm_ids == [chain["F3"]]
    assert fn.funnel(2019, AS_OF, only_b).firm_ids == [chain["F4"]]
    incubators = fn.Filters(carrier_type="孵化器")
    assert fn.funnel(2019, AS_OF, incubators).firm_ids == [chain["F3"]]    # first entry into an incubator
    by_pool = fn.funnel(2020, AS_OF, fn.Filters(basis="pool"))
    assert by_pool.firm_ids == sorted([chain["F1"], chain["F5"]])
    assert _stage(by_pool, "incubated").reached == 2
    assert fn.cohort_years(AS_OF) == [2018, 2019]


def test_archived_tenancy_does_not_count(chain, admin):
    from incubation.models import Tenancy
    from sqlalchemy import select
    t = db.session.scalars(select(Tenancy).where(Tenancy.firm_id == chain["F4"])).one()
    archive(t, admin, note="录入错误")
    db.session.commit()
    assert fn.funnel(2019, AS_OF).firm_ids == []


def test_overview_table(chain):
    frame = fn.overview(AS_OF)
    assert frame.to_dict("records") == [
        {"cohort": 2018, "size": 4, "incubated": 4, "graduated": 2, "high_growth": 2, "champion": 1,
         "pre_ipo": 1, "listed": 1},
        {"cohort": 2019, "size": 1, "incubated": 1, "graduated": 0, "high_growth": 0, "champion": 0,
         "pre_ipo": 0, "listed": 0}]


def test_pages_drill_down_and_export(chain, app, login, make_user):
    client = login(make_user("viewer1", unit="kjj", role="viewer"))
    page = client.get("/goals/funnel?cohort=2018&as_of=2024-01-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "孵化培育漏斗" in html and 'id="funnel-data"' in html
    drill = client.get("/goals/funnel/firms?cohort=2018&as_of=2024-01-01&stage=graduated").get_data(as_text=True)
    assert "F1科技有限公司" in drill and "F5科技有限公司" in drill and "F2科技有限公司" not in drill
    left = client.get("/goals/funnel/firms?cohort=2018&as_of=2024-01-01&stage=incubated&reason=moved_out")
    assert "F2科技有限公司" in left.get_data(as_text=True)
    assert client.get("/goals/funnel/firms?cohort=2018&stage=nonsense").status_code == 404
    bad = client.get("/goals/funnel?cohort=abc&as_of=2024-99-01&carrier=x&town=999&sector=nonsense")
    assert bad.status_code == 200                           # odd filters are ignored, never an error page
    assert client.get("/goals/funnel?town=%00").status_code == 400   # a NUL byte: refused clearly (core.security)
    assert client.get("/goals/funnel/export.xlsx").status_code == 403     # a viewer does not export
    client = login(make_user("mgr2", unit="ldxz", role="manager"))
    wb = openpyxl.load_workbook(BytesIO(client.get("/goals/funnel/export.xlsx?as_of=2024-01-01").data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "队列（首次入孵年份）"
    assert (2018, 4, "毕业", 2, 0.5, 486.5) in rows
    firms_x = client.get("/goals/funnel/firms?cohort=2018&as_of=2024-01-01&stage=listed&format=xlsx")
    sheet = openpyxl.load_workbook(BytesIO(firms_x.data)).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["F1科技有限公司"]


def test_carrier_page_loads_its_funnel(chain, login, make_user):
    client = login(make_user("kjj_viewer", unit="kjj", role="viewer"))
    page = client.get(f"/incubation/carriers/{chain['b'].id}").get_data(as_text=True)
    assert f'data-fragment-src="/goals/funnel/carrier/{chain["b"].id}"' in page
    frag = client.get(f"/goals/funnel/carrier/{chain['b'].id}").get_data(as_text=True)
    assert "<td>2018</td>" in frag and "<td>2019</td>" in frag


def test_api_returns_numbers_with_firm_ids(chain, login, make_user):
    client = login(make_user("mgr", unit="ldxz", role="manager"))
    body = client.get("/api/v1/funnel?cohort=2018&as_of=2024-01-01").get_json()
    assert body["size"] == 4
    assert [s["reached"] for s in body["stages"]] == [4, 2, 2, 1, 1, 1]
    assert body["stages"][5]["firm_ids"] == [chain["F1"]]
    assert {(r["stage"], r["reason"], r["count"]) for r in body["left"]} == {
        ("incubated", "moved_out", 1), ("high_growth", "pool_exit", 1)}
    assert client.get("/api/v1/funnel?cohort=1800").status_code == 422
    assert client.get("/api/v1/funnel").status_code == 422
    anon = client.application.test_client().get("/api/v1/funnel?cohort=2018")
    assert anon.status_code == 401
