"""The plan's goals as seeded into the database: values, owners, both nc_rate targets, idempotence."""
from decimal import Decimal

from sqlalchemy import func, select

from core.db import db
from goals.models import Goal, GoalTarget, StatusThreshold
from goals.plan import seed_plan, seed_thresholds


def _target(goal, year, source=None):
    hits = [t for t in goal.targets if t.year == year and (source is None or t.source == source)]
    assert len(hits) == 1, hits
    return hits[0]


def _by_name(name_zh):
    return db.session.scalars(select(Goal).where(Goal.name_zh == name_zh)).one()


def test_seeded_by_app_fixture(app):
    assert db.session.scalar(select(func.count(Goal.id))) == 65
    assert db.session.scalar(select(func.count(StatusThreshold.id))) == 4


def test_pool_goals(app, goal):
    g = goal("single_champion_pool")
    assert (g.baseline, g.baseline_year, _target(g, 2019).value) == (Decimal(2), 2016, Decimal(50))
    assert g.kind == "computed" and g.metric == "single_champion_pool"
    assert g.owner_unit_codes() == {"jxj"}
    h = goal("high_growth_pool")
    assert (h.baseline, _target(h, 2019).value) == (Decimal(17), Decimal(70))


def test_annex1_owners(app):
    g = _by_name("规上制造业增加值率")
    assert (g.baseline, _target(g, 2019).value) == (Decimal("19.1"), Decimal(22))
    assert g.owner_unit_codes() == {"jxj"} and g.lead_unit.name_zh == "区经信局"
    waste = _by_name("工业固体废物综合利用率")
    assert waste.owner_unit_codes() == {"hbj"} and waste.lead_unit.name_zh == "区环保局"
    assert waste.kind == "reported"


def test_nc_rate_keeps_table_and_text(app, goal):
    g = goal("nc_rate")
    table, text = _target(g, 2019, "附件1"), _target(g, 2019, "正文 四（二）")
    assert (table.value, text.value) == (Decimal(69), Decimal(71))
    assert g.conflict_note


def test_approximate_and_missing_baseline(app):
    g = _by_name("规上制造业全员劳动生产率增速")
    assert g.approximate and _target(g, 2019).approximate and _target(g, 2019).comparator == "="
    assert _by_name("单位工业增加值能耗下降幅度").baseline is None


def test_shared_goal_has_all_units_in_order(app, goal):
    g = goal("e_creative_town_firms")
    assert [u.name_zh for u in g.units] == ["区经信局", "区科技局", "区卫生计生局"]


def test_seed_twice_changes_nothing(app):
    before = db.session.scalar(select(func.count(GoalTarget.id)))
    counts = seed_plan()
    assert counts == {"created": 0, "updated": 0, "unchanged": 65}
    assert seed_thresholds() == 0
    assert db.session.scalar(select(func.count(GoalTarget.id))) == before


def test_cli_seed_plan_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-plan"])
    second = runner.invoke(args=["seed-plan"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert "0 created, 0 updated, 65 unchanged" in second.output


def test_admin_revision_survives_reseed(app, admin, goal):
    from goals import service
    target = _target(goal("high_growth_pool"), 2019)
    rev = service.revise_target(target, value="80", note="领导小组调整", actor=admin)
    db.session.commit()
    assert (rev.old_value, rev.new_value, rev.changed_by_id) == (Decimal(70), Decimal(80), admin.id)
    seed_plan()
    db.session.commit()
    assert target.value == Decimal(80) and len(target.revisions) == 1
