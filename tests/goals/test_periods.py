"""Closed periods: closing freezes every goal's figure, status and records; later corrections
show as "now" next to "as reported", each record explained from the audit trail."""
from datetime import date

import pytest
from sqlalchemy import select

from core import records as core_records
from core.audit.models import AuditEntry
from core.db import db
from core.errors import ServiceError
from goals import periods
from goals.models import Goal
from goals.period_models import PeriodClose
from registry import service as reg
from registry.uscc import generate

DAY = date(2018, 12, 31)
KEY = "single_champion_pool"


def _close(actor, day=DAY):
    close = periods.close_period(day, actor=actor, note="2018年度考核")
    db.session.commit()
    return close


def _comparison(goal, day=DAY):
    from goals import rollup as ru
    g = goal(KEY)
    return periods.comparison(g, day, ru.row_for(g, day))


def _by_firm(cmp, firm):
    return [d for d in cmp.differences if d.record.get("firm_id") == firm.id]


def test_close_freezes_figure_status_and_records(app, manager, goal, champion_firms):
    firms, _m = champion_firms
    close = _close(manager)
    fig = periods.figure_of(close, goal(KEY))
    assert (close.kind, close.closed_by_id, fig.actual, fig.status) == ("year", manager.id, 2, "behind")
    assert sorted(r["firm_name"] for r in fig.records) == sorted(f.name for f in firms[:2])
    assert fig.record_count == 2 and fig.shown["target"] == 50 and fig.shown["target_year"] == 2019
    assert len(close.figures) == len(db.session.scalars(select(Goal)).all())
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "goals.period.close")).one()
    assert (entry.actor_id, entry.entity_id) == (manager.id, str(close.id))


@pytest.mark.parametrize("day, message", [
    (date(2018, 12, 30), "年末"), (date(2018, 5, 31), "季末"), (date(2999, 12, 31), "尚未过去"),
    (date(2015, 12, 31), "之前")])
def test_close_refuses_dates_that_are_not_passed_period_ends(app, manager, day, message):
    with pytest.raises(ServiceError) as err:
        periods.close_period(day, actor=manager)
    assert message in err.value.message
    db.session.rollback()
    assert db.session.scalars(select(PeriodClose)).first() is None


def test_quarter_end_closes(app, manager):
    assert _close(manager, date(2019, 6, 30)).kind == "quarter"


def test_closing_twice_is_refused_with_who_and_when(app, manager, admin):
    _close(manager)
    with pytest.raises(ServiceError) as err:
        periods.close_period(DAY, actor=admin)
    assert "已" in err.value.message and "不能重复关账" in err.value.message and "manager" in err.value.message
    db.session.rollback()
    assert len(periods.all_closes()) == 1


def test_reopen_needs_reason_is_audited_and_allows_a_new_close(app, manager, admin, goal, champion_firms):
    _close(manager)
    with pytest.raises(ServiceError):
        periods.reopen_period(DAY, reason="  ", actor=admin)
    periods.reopen_period(DAY, reason="统计局更正了年报", actor=admin)
    db.session.commit()
    assert periods.active_close(DAY) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "goals.period.reopen")).one()
    assert (entry.actor_id, entry.note) == (admin.id, "统计局更正了年报")
    with pytest.raises(ServiceError) as err:
        periods.reopen_period(DAY, reason="again", actor=admin)
    assert "未关账" in err.value.message
    db.session.rollback()
    again = _close(manager)
    assert [c.id for c in periods.all_closes()] == [again.id, again.id - 1]


# --------------------------------------------------------------------------- as reported vs now

def test_archive_keeps_frozen_figure_and_explains_why(app, manager, editor, goal, champion_firms):
    firms, _m = champion_firms
    _close(manager)
    core_records.archive(firms[0], editor, note="重复登记")
    db.session.commit()
    cmp = _comparison(goal)
    assert (cmp.figure.actual, cmp.live, cmp.moved) == (2, 1, True)
    [diff] = cmp.differences
    assert (diff.change, diff.reason, diff.who, diff.record["firm_name"]) == ("removed", "archived", editor.label,
                                                                               firms[0].name)
    assert diff.at is not None and diff.details == ["重复登记"]


def test_merge_keeps_frozen_figure_and_explains_why(app, manager, admin, goal, champion_firms):
    firms, _m = champion_firms
    _close(manager)
    keep = reg.create_firm(admin, uscc=generate(org_prefix="MA2K1"), name="丁合并保留有限公司")
    db.session.flush()
    reg.merge_firms(admin, keep, firms[0])
    db.session.commit()
    cmp = _comparison(goal)
    assert (cmp.figure.actual, cmp.live) == (2, 2)          # the membership moved to keep
    [gone] = _by_firm(cmp, firms[0])
    [came] = _by_firm(cmp, keep)
    assert (gone.change, gone.reason, came.change, came.reason) == ("removed", "merged", "added", "merged")
    assert gone.who == admin.label and keep.name in gone.details[0]


def test_backdated_record_keeps_frozen_figure_and_explains_why(app, manager, editor, goal, champion_firms):
    _close(manager)
    late = reg.create_firm(editor, uscc=generate(org_prefix="MA2L1"), name="戊补录科技有限公司")
    db.session.flush()
    reg.enter_pool(editor, firm=late, pool=reg.pool_by_key("single_champion"), entered_on=date(2018, 10, 1),
                   reason="补录")
    db.session.commit()
    cmp = _comparison(goal)
    assert (cmp.figure.actual, cmp.live) == (2, 3)
    [diff] = cmp.differences
    assert (diff.change, diff.reason, diff.who, diff.record["firm_name"]) == ("added", "backdated", editor.label,
                                                                               late.name)


def test_edit_keeps_frozen_records_and_explains_why(app, manager, editor, goal, champion_firms):
    firms, _m = champion_firms
    _close(manager)
    reg.update_firm(firms[1], editor, version=None, name="乙新材料集团股份有限公司")
    db.session.commit()
    cmp = _comparison(goal)
    assert (cmp.figure.actual, cmp.live) == (2, 2)
    [diff] = cmp.differences
    assert (diff.change, diff.reason, diff.who) == ("changed", "edited", editor.label)
    assert ("firm_name", "乙新材料股份有限公司", "乙新材料集团股份有限公司") in diff.details
    assert "乙新材料股份有限公司" in [r["firm_name"] for r in cmp.figure.records]


def test_edited_tenancy_date_moves_a_firm_out_and_says_what_changed(app, manager, admin, goal):
    from incubation import service as inc
    carrier = inc.create_carrier(admin, name="鄞州样本孵化器", carrier_type="孵化器", level="区级",
                                 opened_on=date(2016, 1, 1))
    db.session.flush()
    tenancy = inc.register_tenancy(admin, carrier=carrier, uscc=generate(org_prefix="MA2T1"),
                                   firm_name="己孵化企业有限公司", entered_on=date(2018, 5, 1))
    db.session.commit()
    close = _close(manager)
    inc.update_tenancy(tenancy, admin, entered_on=date(2019, 3, 1), left_on=None, outcome=None)
    db.session.commit()
    from goals import rollup as ru
    g = goal("incubated_firms")
    cmp = periods.comparison(g, DAY, ru.row_for(g, DAY))
    assert (cmp.close.id, cmp.figure.actual, cmp.live) == (close.id, 1, 0)
    [diff] = cmp.differences
    assert (diff.change, diff.reason) == ("removed", "edited")
    assert ("entered_on", "2018-05-01", "2019-03-01") in diff.details


def test_open_date_has_no_comparison(app, manager, goal, champion_firms):
    _close(manager)
    assert _comparison(goal, date(2019, 12, 31)) is None
    assert periods.frozen_records(KEY, date(2019, 12, 31)) is None
