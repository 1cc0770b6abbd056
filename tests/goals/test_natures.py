"""Pace, status, gap and projection by the goal's nature; target page with history."""
from datetime import date as D
from decimal import Decimal

import pytest

from core.db import db
from goals import pace
from goals import rollup as ru
from goals.models import Goal, GoalTarget, TargetRevision


def _row(key, on):
    return next(r for r in ru.rollup(on) if r["key"] == key)


def _goal(nature, unit="吨", baseline=None, targets=((2019, 100, ">="),)):
    g = Goal(key="t", nature=nature, unit_zh=unit, baseline=baseline, baseline_year=2016 if baseline else None,
             source="附件1")
    g.targets = [GoalTarget(year=y, value=Decimal(v), comparator=c, source="附件1") for y, v, c in targets]
    return g


def test_annual_flow_is_the_calendar_year_sum_prorated(app, admin):
    from finance import service
    from registry import service as reg
    from registry.uscc import generate
    firm = reg.create_firm(admin, uscc=generate(), name="融资样本有限公司")
    db.session.flush()
    service.record_financing(admin, firm=firm, kind="公司债", amount=300000, on=D(2018, 12, 20))
    service.record_financing(admin, firm=firm, kind="IPO", amount=500000, on=D(2019, 3, 1))
    db.session.commit()
    assert _row("direct_financing", D(2019, 1, 15))["actual"] == 0             # 2018's money is not 2019's
    mid = _row("direct_financing", D(2019, 6, 30))                          # 50亿 by 30 June vs 100亿 a year
    assert mid["actual"] == 500000 and mid["status"] == "on_track"
    assert mid["expected"] == pytest.approx(1000000 * 181 / 365, abs=0.01)
    assert mid["gap"] == 500000 and mid["needed_per_quarter"] == 250000      # Q3 and Q4 left
    assert mid["projection"] == pytest.approx(500000 * 365 / 181, abs=0.01)
    assert _row("direct_financing", D(2019, 12, 31))["status"] == "behind"


def test_stock_and_cumulative_on_the_line_from_the_baseline():
    stock = _goal("stock", unit="家", baseline=Decimal(2), targets=((2019, 50, ">="),))
    t = stock.targets[0]
    assert pace.expected_by(stock, t, D(2016, 6, 1)) == 2
    assert pace.expected_by(stock, t, D(2019, 12, 31)) == 50
    flow = _goal("cumulative", unit="家", targets=((2019, 2000, ">="),))
    flow.window_start = D(2017, 1, 1)
    assert pace.expected_by(flow, flow.targets[0], D(2016, 12, 31)) == 0
    half = pace.expected_by(flow, flow.targets[0], D(2018, 7, 2))
    assert half == pytest.approx(Decimal(1000), abs=Decimal(2))


def test_interim_target_splits_the_line():
    g = _goal("stock", unit="家", baseline=Decimal(0), targets=((2018, 10, ">="), (2019, 50, ">=")))
    final = g.targets[1]
    assert pace.expected_by(g, final, D(2018, 12, 31)) == 10
    assert pace.expected_by(g, final, D(2019, 7, 2)) == pytest.approx(Decimal(30), abs=Decimal("0.2"))


def test_level_with_baseline_is_interpolated_and_without_is_compared_directly(app):
    hightech = ru.get_goal("hightech_value_added_share")
    t = ru.main_target(hightech, D(2018, 6, 30))
    assert ru.expected_by(hightech, t, D(2016, 12, 31)) == Decimal("52.4")
    assert Decimal("52.4") < ru.expected_by(hightech, t, D(2018, 6, 30)) < Decimal("54.5")
    growth = ru.get_goal("industrial_park_output_growth")       # a growth rate, no baseline
    assert ru.expected_by(growth, ru.main_target(growth, D(2017, 6, 30)), D(2017, 6, 30)) == 15
    sector = ru.get_goal("sector_output_new_materials")          # a level, no baseline
    assert ru.expected_by(sector, ru.main_target(sector, D(2018, 1, 1)), D(2018, 1, 1)) == 300


def test_growth_rate_status_against_target(app, admin):
    from goals import service
    g = ru.get_goal("industrial_park_output_growth")
    rv = service.save_report(g, period="2018", value="14.5", note="", actor=admin, unit=None, today=D(2019, 1, 10))
    service.approve_report(rv, actor=admin)
    db.session.commit()
    row = _row("industrial_park_output_growth", D(2019, 1, 10))
    assert row["expected"] == 15 and row["status"] == "on_track" and row["gap"] == pytest.approx(0.5)
    assert row["needed_per_quarter"] is None                     # a rate is not added up by quarter


def test_reduction_size_of_decline_and_ceiling_logic(app):
    energy = ru.get_goal("energy_intensity_reduction")          # decline in %, larger is better
    t = ru.main_target(energy, D(2018, 1, 1))
    assert ru.expected_by(energy, t, D(2016, 12, 31)) == 0
    assert Decimal(0) < ru.expected_by(energy, t, D(2018, 6, 30)) < Decimal(15)
    ceiling = _goal("reduction", baseline=Decimal(10), targets=((2019, 7, "<="),))   # a level, lower is better
    ct = ceiling.targets[0]
    assert Decimal(7) < pace.expected_by(ceiling, ct, D(2018, 6, 30)) < Decimal(10)
    assert pace.gap(ceiling, ct, Decimal(8)) == 1 and pace.gap(ceiling, ct, Decimal("6.5")) == 0
    rules = ru.thresholds()
    assert ru.status_of(Decimal("6.5"), ru.progress_of(Decimal("6.5"), ct), Decimal(8), rules, "<=") == "achieved"
    assert ru.status_of(Decimal(12), ru.progress_of(Decimal(12), ct), Decimal(8), rules, "<=") == "behind"


def test_goal_without_target_is_no_target_never_on_track(app, mgr):
    row = _row("pre_ipo_pool", D(2019, 6, 30))
    assert row["target"] is None and row["status"] == "no_target" and row["gap"] is None
    html = mgr.get("/goals/?as_of=2019-06-30").get_data(as_text=True)
    assert "未设目标" in html
    assert ru.status_of(Decimal(5), None, None, ru.thresholds(), has_target=False) == "no_target"


def test_projection_needs_two_real_points_and_stays_at_or_above_zero():
    level = _goal("level", unit="%", targets=((2019, 60, ">="),))
    t = level.targets[0]
    assert pace.projection(level, t, Decimal(40), D(2018, 6, 30), []) is None      # one real point
    assert pace.projection(level, t, Decimal(40), D(2018, 6, 30), [(D(2017, 12, 31), Decimal(30))]) is not None
    stock = _goal("stock", unit="家", baseline=Decimal(40), targets=((2019, 50, ">="),))
    falling = pace.projection(stock, stock.targets[0], Decimal(5), D(2018, 12, 31), [(D(2017, 12, 31), Decimal(30))])
    assert falling == 0
    assert pace.projection(stock, stock.targets[0], Decimal(5), D(2020, 1, 1), []) is None   # target date passed


def test_history_is_recomputed_from_the_records(app, champion_firms):
    g = ru.get_goal("single_champion_pool")
    points = dict(ru.history(g, D(2019, 2, 15)))
    assert points[D(2016, 12, 31)] == 0 and points[D(2018, 3, 31)] == 1 and points[D(2018, 12, 31)] == 2
    assert points[D(2019, 2, 15)] == 2 and len(points) == 10
    from goals import service
    assert service.backfill_quarter_ends(D(2019, 2, 15)) > 0
    db.session.commit()
    assert service.backfill_quarter_ends(D(2019, 2, 15)) == 0                    # idempotent


@pytest.fixture
def mgr(manager, login):
    return login(manager)


def test_target_page_owner_editor_sets_interim_target_with_history(app, make_user, login, goal):
    jxj = login(make_user("jxj_target", unit="jxj", role="editor"), app.test_client())
    kjj = login(make_user("kjj_target", unit="kjj", role="editor"), app.test_client())
    assert kjj.get("/goals/g/three_famous/targets").status_code == 403          # not its goal
    page = jxj.get("/goals/g/three_famous/targets").get_data(as_text=True)
    assert "统计口径" in page and "target-set-form" in page
    resp = jxj.post("/goals/g/three_famous/targets", data={"year": "2018", "value": "9", "note": "年度考核"})
    assert resp.status_code == 302
    db.session.expire_all()
    g = goal("three_famous")
    interim = next(t for t in g.targets if t.year == 2018)
    revs = db.session.scalars(db.select(TargetRevision).where(TargetRevision.target_id == interim.id)).all()
    assert interim.value == 9 and [(r.old_value, r.new_value, r.note) for r in revs] == [(None, 9, "年度考核")]
    from core.audit.models import AuditEntry
    assert db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "goals.target.create")).first()
    assert "年度考核" in jxj.get("/goals/g/three_famous/targets").get_data(as_text=True)
    assert ru.expected_by(g, ru.main_target(g, D(2019, 6, 30)), D(2018, 12, 31)) == 9


@pytest.mark.parametrize("key, data, message", [
    ("brand_output_share", {"year": "2018", "value": "950"}, "不能超过 100%"),
    ("three_famous", {"year": "2018", "value": "-3"}, "不能为负数"),
    ("three_famous", {"year": "2018", "value": "8.5"}, "应为整数"),
    ("three_famous", {"year": "1999", "value": "8"}, "年份应在"),
    ("three_famous", {"year": "二〇一八", "value": "8"}, "请填写年份"),
    ("three_famous", {"year": "2018", "value": "很多"}, "请输入数字"),
    ("incubation_area", {"year": "2018", "value": "1e15"}, "超出范围"),
    ("incubation_area", {"year": "2018", "value": "5e12"}, "过大"),
    ("urban_industrial_parks", {"year": "2019", "value": "3", "value_max": "2"}, "上限必须大于下限"),
])
def test_target_page_refuses_nonsense(app, mgr, key, data, message):
    resp = mgr.post(f"/goals/g/{key}/targets", data=data)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert not db.session.scalars(db.select(TargetRevision)).first()


def test_goal_page_shows_definition_gap_and_no_developer_note(app, mgr):
    html = mgr.get("/goals/g/incubated_firms?as_of=2018-06-30").get_data(as_text=True)
    assert 'id="goal-definition"' in html and "每家企业只计一次" in html and "2017-01-01" in html
    assert 'id="goal-gap"' in html and "距目标还差 2,000 家" in html and "每季度需完成" in html
    assert "cumulative over the plan window" not in html                       # the developer note
    mgr.get("/lang/en")
    html = mgr.get("/goals/g/incubated_firms?as_of=2018-06-30").get_data(as_text=True)
    assert "Each firm counts once" in html


def test_api_adds_nature_window_definition_gap(app, mgr):
    body = mgr.get("/api/v1/goals?as_of=2018-06-30").get_json()
    row = next(r for r in body if r["key"] == "incubated_firms")
    assert row["nature"] == "cumulative" and row["window_start"] == "2017-01-01" and row["window_end"] == "2019-12-31"
    assert row["gap"] == 2000 and row["needed_per_quarter"] == 334 and "只计一次" in row["definition"]
    assert next(r for r in body if r["key"] == "pre_ipo_pool")["status"] == "no_target"
    for key in ("key", "actual", "progress", "expected", "status", "projection", "responsible_unit"):
        assert key in row
