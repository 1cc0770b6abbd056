"""Registry indicators: pool counts as of a date, fact ratios, sector output — with their records."""
from datetime import date
from decimal import Decimal

import pytest

from core import indicators
from core.db import db
from registry import service


def test_pool_metrics_count_as_of_with_records(app, editor, make_firm):
    firm = make_firm(name="冠军甲")
    champion = service.pool_by_key("single_champion")
    m = service.enter_pool(editor, firm=firm, pool=champion, entered_on=date(2018, 5, 1))
    service.exit_pool(editor, m, exited_on=date(2019, 5, 1))
    db.session.commit()
    assert indicators.compute("single_champion_pool", date(2018, 4, 30)) == 0
    assert indicators.compute("single_champion_pool", date(2018, 12, 31)) == 1
    assert indicators.compute("single_champion_pool", date(2019, 5, 1)) == 0
    recs = indicators.records("single_champion_pool", date(2018, 12, 31))
    assert recs == [{"firm_id": firm.id, "uscc": firm.uscc, "firm_name": "冠军甲", "entered_on": "2018-05-01",
                     "reason": ""}]
    for name in ("high_growth_pool", "three_famous", "national_champion_cultivation"):
        assert indicators.compute(name, date(2019, 1, 1)) == 0


@pytest.fixture
def facts(app, editor, make_firm):
    mfg = make_firm(name="制造甲", industry_code="3831", above_scale=True, high_tech=True, plan_sector="新型材料")
    mfg2 = make_firm(name="制造乙", industry_code="C", above_scale=True, plan_sector="新型材料")
    small = make_firm(name="小微丙", industry_code="3831", above_scale=False, plan_sector="新型材料")
    power = make_firm(name="电力丁", industry_code="4411", above_scale=True)
    soft = make_firm(name="软件戊", industry_code="6513", above_scale=True, plan_sector="信息软件")
    for firm, values in [
        (mfg, dict(revenue=1000, output_value=2000, value_added=500, rd_spend=30, invention_patents=4,
                   brand_output=400)),
        (mfg2, dict(revenue=3000, output_value=2000, value_added=300, rd_spend=50, invention_patents=6,
                    brand_output=100)),
        (small, dict(revenue=9999, output_value=9999, value_added=9999, rd_spend=9999, invention_patents=99)),
        (power, dict(revenue=1000, output_value=1000, value_added=200, invention_patents=0, brand_output=0)),
        (soft, dict(revenue=500, output_value=700, value_added=100, rd_spend=100)),
    ]:
        service.upsert_fact(editor, firm, 2018, **values)
    service.upsert_fact(editor, mfg, 2019, revenue=1, rd_spend=1)      # current year: not used as of 2019
    db.session.commit()
    return mfg, mfg2, small, power, soft


def test_rd_intensity_uses_above_scale_manufacturing_of_last_year(facts):
    as_of = date(2019, 6, 30)
    assert indicators.compute("rd_intensity_above_scale_mfg", as_of) == Decimal("2.0000")    # 80 / 4000
    recs = indicators.records("rd_intensity_above_scale_mfg", as_of)
    assert {r["firm_name"] for r in recs} == {"制造甲", "制造乙"}
    assert all(r["year"] == 2018 and {"firm_id", "uscc", "rd_spend", "revenue"} <= r.keys() for r in recs)


def test_other_ratios(facts):
    as_of = date(2019, 6, 30)
    assert indicators.compute("value_added_rate_above_scale_mfg", as_of) == Decimal("20.0000")   # 800/4000
    # industrial = B, C, D: 制造甲 + 制造乙 + 电力丁 (软件 is not industry)
    assert indicators.compute("brand_output_share", as_of) == Decimal("10.0000")                # 500/5000
    assert indicators.compute("patents_per_10bn_revenue", as_of) == Decimal("2000.0000")        # 10/(5000/1e6)
    assert indicators.compute("hightech_value_added_share", as_of) == Decimal("50.0000")        # 500/1000
    assert indicators.compute("sector_output:新型材料", as_of) == Decimal("1.3999")               # 13999万元
    assert indicators.compute("sector_output:信息软件", as_of) == Decimal("0.0700")
    recs = indicators.records("sector_output:新型材料", as_of)
    assert {r["firm_name"] for r in recs} == {"制造甲", "制造乙", "小微丙"}


def test_ratios_fall_back_to_current_year_and_none_without_facts(app, editor, make_firm):
    assert indicators.compute("rd_intensity_above_scale_mfg", date(2019, 6, 30)) is None
    assert indicators.records("rd_intensity_above_scale_mfg", date(2019, 6, 30)) == []
    assert indicators.compute("sector_output:高端电子", date(2019, 6, 30)) is None
    firm = make_firm(industry_code="3831", above_scale=True)
    service.upsert_fact(editor, firm, 2019, revenue=200, rd_spend=5)
    db.session.commit()
    assert indicators.compute("rd_intensity_above_scale_mfg", date(2019, 6, 30)) == Decimal("2.5000")
    service.upsert_fact(editor, firm, 2019, revenue=0)
    assert indicators.compute("rd_intensity_above_scale_mfg", date(2019, 6, 30)) is None   # zero denominator


def test_archived_firms_left_out(facts, editor):
    from core.records import archive
    mfg, mfg2, *_rest = facts
    archive(mfg2, editor)
    db.session.commit()
    assert indicators.compute("rd_intensity_above_scale_mfg", date(2019, 6, 30)) == Decimal("3.0000")   # 30/1000


def test_a_population_without_facts_in_the_latest_year_uses_its_own_latest(facts, editor, make_firm):
    """Only the small firm reports 2020: the above-scale populations still use their own latest year (2019),
    the software sector its 2018 — in a roll-up (one shared pass over the candidate years, then a look
    further back) exactly as alone."""
    mfg, mfg2, small, power, soft = facts
    service.upsert_fact(editor, small, 2020, revenue=5, output_value=5)
    db.session.commit()
    as_of = date(2021, 6, 30)
    alone = {m: indicators.compute(m, as_of) for m in ("rd_intensity_above_scale_mfg", "brand_output_share",
                                                        "sector_output:新型材料", "sector_output:信息软件")}
    assert alone == {"rd_intensity_above_scale_mfg": Decimal("100.0000"),   # 2019: 1 / 1
                     "brand_output_share": None,                           # 2019: no output value
                     "sector_output:新型材料": Decimal("0.0005"),            # 2020: the small firm's 5万元
                     "sector_output:信息软件": Decimal("0.0700")}            # 2018: 700万元
    with indicators.shared_results():
        assert {m: indicators.compute(m, as_of) for m in alone} == alone


def test_postgresql_reads_a_years_sums_from_the_figures_index(facts, make_firm):
    """PostgreSQL: the partial index of the firms the sums read exists and serves their conditions —
    its predicate must be implied by them, or the planner can never take it (checked with the table
    scans off, on the columns it covers: on a handful of rows the planner would rather scan)."""
    from sqlalchemy import select, text

    from core.db import pg_planner
    from registry import metrics
    from registry.models import Firm
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the index is PostgreSQL's (SQLite reads its smaller firm table fast enough)")
    make_firm(name="小店己", industry_code="5211", above_scale=False)     # neither above scale nor in a sector
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname = :n"),
                             {"n": metrics.FIGURES_INDEX}) == 1
    db.session.execute(text("ANALYZE registry_firms"))
    stmt = select(Firm.id, Firm.plan_sector, Firm.above_scale, Firm.high_tech, Firm.industry_code).where(
        *metrics.figure_firms())
    sql = str(stmt.compile(db.session.get_bind(), compile_kwargs={"literal_binds": True}))
    with pg_planner(enable_seqscan="off", enable_bitmapscan="off"):
        plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    assert f"Index Only Scan using {metrics.FIGURES_INDEX}" in plan, plan
    assert len(db.session.execute(stmt).all()) == 5           # the five firms of `facts`, not 小店己
