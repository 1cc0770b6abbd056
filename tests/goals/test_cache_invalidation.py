"""Finer cache invalidation (core.dataversion): a committed write to a table makes the dashboard and
/api/v1/goals show the new figure of every goal that reads it at once, and recomputes only the
indicators that read the written table; writes no figure reads (a sign-in, a scheduler claim, an
audit entry) recompute nothing."""
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from core import dataversion
from core.db import db

AS_OF = "2024-12-31"
FACT_YEAR = 2023


def _base():
    """A firm in the 新型材料 sector, a maker space, a person: what the writes below attach to."""
    from incubation.models import Carrier
    from registry.models import Firm
    from registry.uscc import generate
    from talent.models import Person
    firm = Firm(uscc=generate(region="330212"), name="宁波缓存测试新材料有限公司", above_scale=True, high_tech=False,
                listed=False, plan_sector="新型材料")
    carrier = Carrier(name="鄞州缓存测试众创空间", carrier_type="众创空间", level="区级", opened_on=date(2018, 1, 1),
                      recognized_on=date(2018, 6, 1), area_m2=Decimal(1000))
    person = Person(name="缓存测", id_hash="c" * 64, id_masked="330212********0000")
    db.session.add_all([firm, carrier, person])
    db.session.commit()
    return {"firm": firm.id, "carrier": carrier.id, "person": person.id}


def _pool(ids):
    from registry import service
    from registry.models import PoolMembership
    db.session.add(PoolMembership(pool_id=service.pool_by_key("single_champion").id, firm_id=ids["firm"],
                                  entered_on=date(2018, 1, 1)))


def _fact(ids):
    from registry.models import FirmFact
    db.session.add(FirmFact(firm_id=ids["firm"], year=FACT_YEAR, revenue=Decimal(900),
                            output_value=Decimal(1000)))


def _carrier(_ids):
    from incubation.models import Carrier
    db.session.add(Carrier(name="鄞州缓存测试众创空间二", carrier_type="众创空间", level="区级",
                           opened_on=date(2018, 1, 1), recognized_on=date(2018, 6, 1), area_m2=Decimal(500)))


def _tenancy(ids):
    from incubation.models import Tenancy
    db.session.add(Tenancy(firm_id=ids["firm"], carrier_id=ids["carrier"], entered_on=date(2018, 3, 1)))


def _talent(ids):
    from talent.models import Recognition
    db.session.add(Recognition(person_id=ids["person"], category="智造创客", firm_id=ids["firm"],
                               recognized_on=date(2018, 5, 1), unit_code="rsj"))


def _financing(ids):
    from finance.models import FinancingEvent
    db.session.add(FinancingEvent(firm_id=ids["firm"], kind="公司债", amount=Decimal(500), on=date(2024, 3, 1)))


def _report(_ids):
    from goals.models import Goal, ReportedValue
    goal = db.session.scalars(db.select(Goal).where(Goal.key == "thousand_billion_industries")).one()
    db.session.add(ReportedValue(goal_id=goal.id, period="2023", period_end=date(2023, 12, 31), value=Decimal(3),
                                 status="approved", locked=True))


# (table group, goal whose figure must change, write, goals of other domains whose indicators must not
# be recomputed)
GROUPS = {
    "registry pools": ("single_champion_pool", _pool),
    "registry facts": ("sector_output_new_materials", _fact),
    "incubation carriers": ("maker_spaces", _carrier),
    "incubation tenancies": ("incubated_firms", _tenancy),
    "talent": ("smart_makers", _talent),
    "finance": ("direct_financing", _financing),
    "reported values": ("thousand_billion_industries", _report),
}
DOMAIN = {"single_champion_pool": "registry", "sector_output_new_materials": "registry",
          "maker_spaces": "incubation", "incubated_firms": "incubation", "smart_makers": "talent",
          "direct_financing": "finance", "thousand_billion_industries": "goals"}


def _api(client) -> dict:
    resp = client.get(f"/api/v1/goals?as_of={AS_OF}")
    assert resp.status_code == 200
    return {g["key"]: g["actual"] for g in resp.get_json()}


def _dashboard(client, key: str) -> str:
    resp = client.get(f"/goals/?as_of={AS_OF}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    row = re.search(rf'data-key="{key}".*?class="num actual"[^>]*>(?:<a [^>]*>)?([^<]*)<', html, re.S)
    assert row, key
    return row.group(1).strip()


def _metrics_of(keys) -> dict:
    from goals.models import Goal
    return dict(db.session.execute(db.select(Goal.metric, Goal.key).where(Goal.key.in_(list(keys)))).all())


def _recomputed(since: int) -> set:
    """Metrics whose indicator value was computed since `since`."""
    return {k[1] for k in dataversion.computed_since(since) if isinstance(k, tuple) and k[0] == "indicator"}


def _figures_computed(since: int) -> list:
    return [k for k in dataversion.computed_since(since)
            if isinstance(k, tuple) and k[0] in ("indicator", "dashboard_body", "goals_api_json")]


@pytest.mark.parametrize("group", list(GROUPS))
def test_a_write_changes_the_figures_that_read_its_table_and_only_those(app, admin, login, group):
    key, write = GROUPS[group]
    ids = _base()
    client = login(admin)
    dataversion.clear_cache()
    before, shown_before = _api(client), _dashboard(client, key)

    n = dataversion.computations()
    assert _api(client) == before and _dashboard(client, key) == shown_before
    assert _figures_computed(n) == []                         # warm: nothing computed again

    write(ids)
    db.session.commit()
    n = dataversion.computations()
    after, shown_after = _api(client), _dashboard(client, key)
    assert after[key] != before[key], (group, before[key], after[key])
    assert shown_after != shown_before
    # the written table's indicators were computed again, those of the other domains' goals were not
    recomputed = _recomputed(n)
    metrics = _metrics_of(DOMAIN)
    mine = [m for m, k in metrics.items() if k == key and m]
    assert set(mine) <= recomputed
    others = {m for m, k in metrics.items() if m and DOMAIN[k] != DOMAIN[key]}
    assert not recomputed & others, (group, recomputed & others)
    # a goal whose indicator was served from the cache shows the figure it showed before
    from goals.models import Goal
    served = [k for k, m in db.session.execute(db.select(Goal.key, Goal.metric).where(Goal.kind == "computed"))
              if m not in recomputed]
    assert served and {k: after[k] for k in served} == {k: before[k] for k in served}


def test_writes_no_figure_reads_recompute_nothing(app, admin, make_user, login):
    """A sign-in (users' last sign-in), a scheduler claim (core_job_runs), an audit entry: the next
    dashboard and API requests compute nothing again."""
    from core.audit import service as audit
    from core.scheduler import JobRun
    _base()
    viewer = make_user("cache_viewer", unit="jxj", role="viewer")
    client = login(admin)
    dataversion.clear_cache()
    before, shown = _api(client), _dashboard(client, "single_champion_pool")
    n = dataversion.computations()

    login(viewer)                                              # UPDATE core_users SET last_login_at
    run = JobRun(job="cache_test", period="2024-12-31")
    db.session.add(run)
    db.session.commit()
    run.status, run.summary = "ok", "done"
    db.session.commit()
    audit.record(admin, "test.cache", run)
    db.session.commit()

    assert _api(client) == before
    assert _dashboard(client, "single_champion_pool") == shown
    assert _figures_computed(n) == []


def test_the_written_tables_are_bumped_in_the_committing_transaction(app, admin):
    """Each committed write bumps its tables' versions (and the overall one) once; a rollback bumps none."""
    ids = _base()

    def versions():
        return dict(db.session.execute(text("SELECT name, version FROM core_table_versions")).all())
    start = versions()
    _financing(ids)
    db.session.commit()
    now = versions()
    assert now["finance_financing_events"] == start.get("finance_financing_events", 0) + 1
    assert {k: v for k, v in now.items() if k != "finance_financing_events"} == \
        {k: v for k, v in start.items() if k != "finance_financing_events"}
    _talent(ids)
    db.session.flush()
    db.session.rollback()
    assert versions() == now


@pytest.mark.parametrize("statement, table", [
    ('INSERT INTO registry_firms (uscc) VALUES (?)', "registry_firms"),
    ('INSERT OR REPLACE INTO "goals_snapshots" (goal_id) VALUES (?)', "goals_snapshots"),
    ("UPDATE talent_persons SET name=? WHERE id = ?", "talent_persons"),
    ("  delete from finance_financing_events where id = 1", "finance_financing_events"),
    ("UPDATE core_users SET last_login_at=? WHERE core_users.id = ?", None),
    ("UPDATE core_users SET last_login_at=?, role=? WHERE core_users.id = ?", "core_users"),
    ("WITH x AS (SELECT 1) UPDATE registry_firms SET name = 'a'", "*"),
    ("SELECT * FROM registry_firms", None),
    ("UPDATE core_data_version SET version = version + 1 WHERE id = 1", None),
    # a firm's details (no figure reads them) are a write of their own
    ("UPDATE registry_firms SET address=?, version=?, updated_at=? WHERE registry_firms.id = ? AND "
     "registry_firms.version = ?", "registry_firms#detail"),
    ("UPDATE registry_firms SET name=?, name_sort=?, former_names=? WHERE registry_firms.id = ?",
     "registry_firms#detail"),
    ("UPDATE registry_firms SET address=?, above_scale=? WHERE registry_firms.id = ?", "registry_firms"),
    ("UPDATE registry_firms SET archived_at=?, version=? WHERE registry_firms.id = ?", "registry_firms"),
    ("DELETE FROM registry_firms WHERE id = ?", "registry_firms"),
])
def test_the_written_table_is_read_from_the_statement(statement, table):
    assert dataversion.written_table(statement) == table


@pytest.mark.parametrize("statement, depends", [
    # a count over figure columns does not depend on the firms' details
    ("SELECT count(*) FROM registry_pool_memberships WHERE registry_pool_memberships.firm_id IN "
     "(SELECT registry_firms.id FROM registry_firms WHERE registry_firms.archived_at IS NOT NULL)",
     {"registry_pool_memberships", "registry_firms"}),
    # naming a detail column, under an alias too, or every column: the details as well
    ("SELECT registry_firms_1.name FROM registry_firms AS registry_firms_1",
     {"registry_firms", "registry_firms#detail"}),
    ("SELECT * FROM registry_firms", {"registry_firms", "registry_firms#detail"}),
    ("SELECT f.* FROM registry_firms f", {"registry_firms", "registry_firms#detail"}),
    # a trigger-kept table stands for its source, every column of it
    ("SELECT firm_id FROM registry_firm_grams WHERE gram = ?", {"registry_firm_grams", "registry_firms",
                                                                "registry_firms#detail"}),
])
def test_the_tables_a_read_depends_on(app, statement, depends):
    assert set(dataversion.read_tables(statement)) == depends


def test_editing_a_firms_details_recomputes_no_figure_but_what_lists_names(app, admin, login):
    """PATCHing a firm's address (or name) leaves every goal's figure cached; a cached value that
    names firms is computed again; a change to a column figures read (above scale) recomputes them."""
    from registry.models import Firm
    ids = _base()
    _fact(ids)
    db.session.commit()
    client = login(admin)
    dataversion.clear_cache()
    before = _api(client)
    _dashboard(client, "sector_output_new_materials")
    names = lambda: tuple(db.session.scalars(db.select(Firm.name).order_by(Firm.id)))   # noqa: E731
    assert dataversion.cached(("test.firm_names",), names)[-1] == "宁波缓存测试新材料有限公司"

    firm = db.session.get(Firm, ids["firm"])
    firm.address, firm.name = "宁波市鄞州区首南中路1号", "宁波缓存测试新材料股份有限公司"
    db.session.commit()
    n = dataversion.computations()
    assert _api(client) == before
    _dashboard(client, "sector_output_new_materials")
    assert _figures_computed(n) == []
    assert dataversion.cached(("test.firm_names",), names)[-1] == "宁波缓存测试新材料股份有限公司"

    firm = db.session.get(Firm, ids["firm"])
    firm.above_scale = False
    db.session.commit()
    n = dataversion.computations()
    _api(client)
    assert {"sector_output:新型材料", "rd_intensity_above_scale_mfg"} <= _recomputed(n)
