"""Roll-up as of a date: actuals before/after pool changes, pace, status thresholds, projection."""
from datetime import date
from decimal import Decimal

import pytest

from core import indicators
from core.db import db
from goals import rollup as ru
from goals.models import GoalSnapshot, StatusThreshold

REQUIRED = {"key", "name", "unit", "baseline", "baseline_year", "target", "target_year", "actual",
            "progress", "expected", "status", "responsible_unit"}


def _row(key, as_of):
    return next(r for r in ru.rollup(as_of) if r["key"] == key)


@pytest.mark.parametrize("as_of, count", [
    (date(2018, 2, 28), 0), (date(2018, 3, 1), 1), (date(2018, 12, 31), 2),
    (date(2019, 1, 15), 3), (date(2019, 1, 31), 3), (date(2019, 2, 1), 2), (date(2020, 1, 1), 2),
])
def test_pool_count_as_of_dates(app, champion_firms, as_of, count):
    row = _row("single_champion_pool", as_of)
    assert row["actual"] == count
    assert row["target"] == 50 and row["target_year"] == 2019 and row["baseline"] == 2


def test_records_follow_membership_changes(app, champion_firms):
    names = lambda d: sorted(r["firm_name"] for r in ru.records("single_champion_pool", d))  # noqa: E731
    assert names(date(2018, 12, 31)) == ["乙新材料股份有限公司", "甲精密机械有限公司"]
    assert names(date(2019, 2, 1)) == ["丙电子科技有限公司", "甲精密机械有限公司"]
    for rec in ru.records("single_champion_pool", date(2019, 2, 1)):
        assert rec["uscc"] and rec["firm_id"]


def test_unknown_key_records(app):
    with pytest.raises(LookupError):
        ru.records("no_such_goal", date(2019, 1, 1))


def test_rollup_fields(app):
    rows = ru.rollup(date(2019, 6, 30))
    assert len(rows) == 65
    for row in rows:
        assert REQUIRED <= set(row), row["key"]
    nc = _row("nc_rate", date(2019, 6, 30))
    assert nc["target"] == 69 and nc["target_source"] == "附件1" and nc["responsible_unit"] == "区经信局"
    assert nc["actual"] is None and nc["status"] is None


def test_expected_on_straight_line(app, goal):
    g = goal("single_champion_pool")
    target = ru.main_target(g, date(2018, 6, 30))
    start, end = date(2016, 12, 31), date(2019, 12, 31)
    as_of = date(2018, 6, 30)
    want = Decimal(2) + Decimal(48) * Decimal((as_of - start).days) / Decimal((end - start).days)
    assert ru.expected_by(g, target, as_of) == want
    assert ru.expected_by(g, target, date(2016, 1, 1)) == Decimal(2)
    assert ru.expected_by(g, target, date(2021, 1, 1)) == Decimal(50)


def test_expected_without_baseline_starts_at_zero_in_2017(app, goal):
    g = goal("maker_spaces")
    target = ru.main_target(g, date(2018, 1, 1))
    expected = ru.expected_by(g, target, date(2018, 1, 1))
    assert expected == Decimal(50) * Decimal(365) / Decimal((date(2019, 12, 31) - date(2017, 1, 1)).days)
    assert ru.expected_by(g, target, date(2017, 1, 1)) == 0


def test_target_year_moves_to_2025_after_2019(app, goal):
    g = goal("sector_output_new_materials")
    assert ru.main_target(g, date(2019, 5, 1)).value == 300
    assert ru.main_target(g, date(2020, 5, 1)).value == 600
    assert ru.main_target(goal("nc_rate"), date(2024, 1, 1)).value == 69   # last target, table wording


def _rules():
    return ru.thresholds()


@pytest.mark.parametrize("actual, target, expected, status", [
    (50, 50, 40, "achieved"), (55, 50, 40, "achieved"),
    (38, 50, 40, "on_track"), (40, 50, 40, "on_track"),
    (32, 50, 40, "at_risk"), (37.9, 50, 40, "at_risk"),
    (31.9, 50, 40, "behind"), (0, 50, 40, "behind"),
    (1, 50, 0, "on_track"),          # nothing expected yet
])
def test_status_thresholds(app, actual, target, expected, status):
    actual, target, expected = Decimal(str(actual)), Decimal(target), Decimal(expected)
    assert ru.status_of(actual, actual / target, expected, _rules()) == status


def test_no_actual_no_status(app):
    assert ru.status_of(None, None, Decimal(10), _rules()) is None


def test_thresholds_are_data(app, admin):
    from goals import service
    rule = db.session.scalars(db.select(StatusThreshold).where(StatusThreshold.key == "on_track")).one()
    assert ru.status_of(Decimal(38), Decimal("0.76"), Decimal(40), _rules()) == "on_track"
    service.update_threshold(rule, min_ratio="0.99", actor=admin)
    db.session.commit()
    assert ru.status_of(Decimal(38), Decimal("0.76"), Decimal(40), _rules()) == "at_risk"


def test_threshold_validation(app, admin):
    from core.errors import ServiceError
    from goals import service
    rule = db.session.scalars(db.select(StatusThreshold).where(StatusThreshold.key == "at_risk")).one()
    for bad in ("abc", "0", "-1", "11", "NaN"):
        with pytest.raises(ServiceError):
            service.update_threshold(rule, min_ratio=bad, actor=admin)
    behind = db.session.scalars(db.select(StatusThreshold).where(StatusThreshold.key == "behind")).one()
    with pytest.raises(ServiceError):
        service.update_threshold(behind, min_ratio="0.5", actor=admin)


def test_status_of_pool_goal(app, champion_firms):
    row = _row("single_champion_pool", date(2019, 2, 1))
    # expected ≈ 2 + 48 × 762/1095 ≈ 35.4; actual 2 → far behind
    assert row["status"] == "behind" and row["progress"] == pytest.approx(0.04)


def test_missing_indicator_is_none_with_note(app, goal, monkeypatch):
    g = goal("single_champion_pool")
    monkeypatch.setattr(g, "metric", "not_registered_anywhere")
    row = ru.row_for(g, date(2019, 1, 1))
    assert row.actual.value is None and "尚未登记" in row.actual.note and row.status is None
    db.session.rollback()


def test_failing_indicator_is_none_with_note(app, goal, monkeypatch):
    def boom(as_of):
        raise RuntimeError("broken")
    monkeypatch.setattr(indicators, "_INDICATORS", dict(indicators._INDICATORS))
    indicators.register(indicators.Indicator("goals_test_boom", compute=boom, label_zh="坏", label_en="bad",
                                             domain="goals"))
    g = goal("single_champion_pool")
    monkeypatch.setattr(g, "metric", "goals_test_boom")
    row = ru.row_for(g, date(2019, 1, 1))
    assert row.actual.value is None and "计算失败" in row.actual.note
    db.session.rollback()


def test_projection_from_baseline_then_from_quarter_end_snapshots(app, goal, champion_firms):
    g = goal("single_champion_pool")
    target = ru.main_target(g, date(2019, 1, 31))
    # baseline 2 at 2016-12-31 → 3 at 2019-01-31: slope 1 per 761 days, 334 more days to go → 3.44,
    # a count of firms: shown as the whole number 3
    proj = ru.projection(g, target, Decimal(3), date(2019, 1, 31), [])
    assert proj == 3
    db.session.add_all([GoalSnapshot(goal_id=g.id, day=date(2018, 12, 31), value=10),
                        GoalSnapshot(goal_id=g.id, day=date(2019, 3, 31), value=20),
                        GoalSnapshot(goal_id=g.id, day=date(2019, 5, 17), value=99)])   # not a quarter end
    db.session.commit()
    snaps = ru.snapshots([g.id], date(2019, 7, 1))[g.id]
    proj = ru.projection(g, target, Decimal(30), date(2019, 7, 1), snaps)
    points = [(date(2016, 12, 31), Decimal(2)), (date(2018, 12, 31), Decimal(10)),
              (date(2019, 3, 31), Decimal(20)), (date(2019, 7, 1), Decimal(30))]
    from goals import pace
    assert proj == pace.whole(g, pace.fit(points, date(2019, 12, 31)))
    live = points[:-1] + [(date(2019, 7, 1), Decimal(2))]      # the firms' real count that day
    assert _row("single_champion_pool", date(2019, 7, 1))["projection"] == pace.whole(g, pace.fit(live, date(2019, 12, 31)))
