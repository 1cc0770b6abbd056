"""Stage rules: dates never go back, backwards needs a note, exit needs a reason, one open candidacy."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.db import db
from core.errors import ServiceError
from finance import service
from finance.models import IpoStage
from core.dates import today as cn_today


@pytest.fixture
def cand(app, jrb, make_firm):
    c = service.add_candidate(jrb, firm=make_firm("甲科技"), entered_on=date(2024, 1, 10), board="创业板",
                              sponsor="中信证券", contact_name="王五", contact_phone="13800000000")
    db.session.commit()
    return c


def _error(fn, **kw) -> ServiceError:
    with pytest.raises(ServiceError) as exc:
        fn(**kw)
    return exc.value


def test_new_candidate_starts_at_entry_stage_with_audit(cand):
    assert cand.current_stage == "入库" and cand.current_stage_on == date(2024, 1, 10)
    assert [s.stage for s in service.active_stages(cand)] == ["入库"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "finance.candidate.create")).one()
    assert entry.changes["contact_phone"] == [None, "***"]   # personal data never in the audit log
    assert entry.changes["board"] == [None, "创业板"]


def test_forward_moves_may_skip_stages_and_record_actor(cand, jrb):
    service.move_stage(cand, stage="股份制改造", on=date(2024, 2, 1), actor=jrb)
    service.move_stage(cand, stage="申报受理", on=date(2024, 2, 1), actor=jrb)   # same day is fine
    db.session.commit()
    steps = service.active_stages(cand)
    assert [s.stage for s in steps] == ["入库", "股份制改造", "申报受理"]
    assert steps[-1].actor_id == jrb.id and cand.current_stage == "申报受理"


def test_stage_date_cannot_precede_previous_stage(cand, jrb):
    service.move_stage(cand, stage="辅导备案", on=date(2024, 3, 1), actor=jrb)
    err = _error(service.move_stage, candidate=cand, stage="申报受理", on=date(2024, 2, 28), actor=jrb)
    assert err.field == "on" and "2024-03-01" in err.message
    err = _error(service.move_stage, candidate=cand, stage="申报受理", on=cn_today() + timedelta(days=1),
                 actor=jrb)
    assert err.field == "on"


def test_moving_backwards_needs_a_note(cand, jrb):
    service.move_stage(cand, stage="申报受理", on=date(2024, 3, 1), actor=jrb)
    err = _error(service.move_stage, candidate=cand, stage="辅导备案", on=date(2024, 4, 1), actor=jrb, note="  ")
    assert err.field == "note"
    service.move_stage(cand, stage="辅导备案", on=date(2024, 4, 1), actor=jrb, note="撤回申报，补充材料")
    assert cand.current_stage == "辅导备案"


def test_same_stage_and_unknown_stage_refused(cand, jrb):
    assert _error(service.move_stage, candidate=cand, stage="入库", on=date(2024, 2, 1), actor=jrb).field == "stage"
    assert _error(service.move_stage, candidate=cand, stage="借壳", on=date(2024, 2, 1), actor=jrb).field == "stage"


def test_exit_needs_reason_and_closes_the_candidacy(cand, jrb):
    assert _error(service.move_stage, candidate=cand, stage="退出", on=date(2024, 5, 1), actor=jrb).field == "note"
    service.move_stage(cand, stage="退出", on=date(2024, 5, 1), actor=jrb, note="业绩下滑，暂缓上市计划")
    assert cand.closed_on == date(2024, 5, 1) and not cand.is_open
    err = _error(service.move_stage, candidate=cand, stage="辅导备案", on=date(2024, 6, 1), actor=jrb, note="x")
    assert err.field == "stage"


def test_one_open_candidacy_per_firm(cand, jrb):
    err = _error(service.add_candidate, actor=jrb, firm=cand.firm, entered_on=date(2024, 2, 1), board="科创板")
    assert err.field == "uscc"
    service.move_stage(cand, stage="退出", on=date(2024, 5, 1), actor=jrb, note="转让控制权")
    err = _error(service.add_candidate, actor=jrb, firm=cand.firm, entered_on=date(2024, 4, 1), board="科创板")
    assert err.field == "entered_on"     # may not overlap the finished candidacy
    again = service.add_candidate(jrb, firm=cand.firm, entered_on=date(2024, 6, 1), board="科创板")
    assert again.id != cand.id and service.open_candidacy(cand.firm_id) is again


def test_listing_needs_stock_code_and_marks_firm_listed(cand, jrb):
    err = _error(service.move_stage, candidate=cand, stage="上市", on=date(2024, 6, 1), actor=jrb)
    assert err.field == "stock_code"
    service.move_stage(cand, stage="上市", on=date(2024, 6, 1), actor=jrb, stock_code="301234 ")
    db.session.commit()
    assert cand.firm.listed is True and cand.firm.stock_code == "301234"
    assert cand.closed_on == date(2024, 6, 1)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"finance.candidate.stage", "finance.stage.create", "registry.firm.update"} <= actions


def test_bad_board_and_year_refused(app, jrb, make_firm):
    firm = make_firm()
    err = _error(service.add_candidate, actor=jrb, firm=firm, entered_on=date(2024, 1, 1), board="纳斯达克")
    assert err.field == "board"
    err = _error(service.add_candidate, actor=jrb, firm=firm, entered_on=date(2024, 1, 1), board="北交所",
                 expected_year=1899)
    assert err.field == "expected_year"
    err = _error(service.add_candidate, actor=jrb, firm=firm, entered_on=cn_today() + timedelta(days=3),
                 board="北交所")
    assert err.field == "entered_on"


def test_time_spent_in_each_stage(cand, jrb):
    service.move_stage(cand, stage="股份制改造", on=date(2024, 1, 31), actor=jrb)
    service.move_stage(cand, stage="辅导备案", on=date(2024, 3, 1), actor=jrb)
    rows = service.stage_durations(cand, today=date(2024, 3, 11))
    assert [(r["step"].stage, r["days"], r["ongoing"]) for r in rows] == [
        ("入库", 21, False), ("股份制改造", 30, False), ("辅导备案", 10, True)]
    service.move_stage(cand, stage="退出", on=date(2024, 3, 5), actor=jrb, note="终止")
    rows = service.stage_durations(cand, today=date(2024, 4, 1))
    assert rows[-1]["days"] is None and rows[-2]["days"] == 4


def test_entry_date_edit_moves_first_step_but_not_past_the_next(cand, jrb):
    service.move_stage(cand, stage="股份制改造", on=date(2024, 2, 1), actor=jrb)
    err = _error(service.update_candidate, candidate=cand, actor=jrb, entered_on=date(2024, 2, 2))
    assert err.field == "entered_on"
    assert service.update_candidate(cand, jrb, entered_on=date(2024, 1, 2), sponsor="华泰联合")
    db.session.commit()
    assert service.active_stages(cand)[0].on == date(2024, 1, 2)
    assert not service.update_candidate(cand, jrb, sponsor="华泰联合")    # nothing changed


def test_archived_stage_rows_are_ignored(cand, jrb):
    service.move_stage(cand, stage="股份制改造", on=date(2024, 2, 1), actor=jrb)
    row = db.session.scalars(select(IpoStage).where(IpoStage.stage == "股份制改造")).one()
    from core.records import archive
    archive(row, jrb)
    assert [s.stage for s in service.active_stages(cand)] == ["入库"]
    assert [cand for cand, _row in service.board_columns(date(2024, 3, 1))["入库"]] == [cand]
