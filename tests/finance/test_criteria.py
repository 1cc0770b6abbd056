"""Listing criteria as data: pass / fail / unknown with the numbers used; missing facts are unknown."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import ServiceError
from finance import criteria, service
from finance.models import ListingCriterion


def _by_key(check):
    return {r.criterion.key: r for r in check.results}


@pytest.fixture
def cand(app, jrb, make_firm):
    c = service.add_candidate(jrb, firm=make_firm(), entered_on=date(2024, 1, 1), board="科创板")
    db.session.commit()
    return c


def test_examples_seeded_for_every_board_and_idempotent(app):
    boards = set(db.session.scalars(select(ListingCriterion.board)))
    assert boards == {"沪深主板", "创业板", "科创板", "北交所", "境外"}
    n = db.session.scalar(select(db.func.count()).select_from(ListingCriterion))
    assert "0 listing criteria added" in criteria.seed_criteria()
    assert db.session.scalar(select(db.func.count()).select_from(ListingCriterion)) == n
    assert all(c.is_example for c in db.session.scalars(select(ListingCriterion)))


def test_no_facts_means_every_criterion_unknown(cand):
    check = criteria.check_candidate(cand)
    assert check.base_year is None and check.results
    assert {r.status for r in check.results} == {"unknown"}


def test_all_facts_present(cand, set_facts):
    set_facts(cand.firm, 2022, net_profit=2000, revenue=30000, rd_spend=2000)
    set_facts(cand.firm, 2023, net_profit=2500, revenue=40000, rd_spend=2500)
    set_facts(cand.firm, 2024, net_profit=3000, revenue=50000, rd_spend=2000)
    r = _by_key(criteria.check_candidate(cand))
    assert r["profit_positive_2y"].status == "pass" and r["profit_positive_2y"].years == [2023, 2024]
    assert r["profit_cum_2y"].status == "pass" and r["profit_cum_2y"].computed == Decimal(5500)
    assert r["rd_intensity_3y"].status == "pass" and r["rd_intensity_3y"].computed == Decimal("5.42")
    assert r["rd_spend_3y"].status == "pass" and r["rd_spend_3y"].computed == Decimal(6500)
    used = [(y, n, v) for y, n, v in r["profit_cum_2y"].used]
    assert used == [(2023, "net_profit", Decimal(2500)), (2024, "net_profit", Decimal(3000))]


def test_missing_year_is_unknown_not_fail(cand, set_facts):
    set_facts(cand.firm, 2024, net_profit=6000, revenue=50000)      # 2023 missing entirely
    r = _by_key(criteria.check_candidate(cand))
    assert r["profit_positive_2y"].status == "unknown"
    assert r["profit_cum_2y"].status == "unknown" and r["profit_cum_2y"].computed is None
    assert r["rd_intensity_3y"].status == "unknown"                 # rd_spend missing
    assert (2023, "net_profit", None) in r["profit_positive_2y"].used


def test_one_known_loss_fails_even_with_missing_years(cand, set_facts):
    set_facts(cand.firm, 2024, net_profit=-100, revenue=50000)
    r = _by_key(criteria.check_candidate(cand))
    assert r["profit_positive_2y"].status == "fail"
    assert r["profit_cum_2y"].status == "unknown"


def test_thresholds_fail(cand, set_facts):
    set_facts(cand.firm, 2023, net_profit=1000, revenue=40000, rd_spend=100)
    set_facts(cand.firm, 2024, net_profit=1500, revenue=50000, rd_spend=100)
    r = _by_key(criteria.check_candidate(cand))
    assert r["profit_positive_2y"].status == "pass"
    assert r["profit_cum_2y"].status == "fail" and r["profit_cum_2y"].computed == Decimal(2500)


def test_base_year_can_be_chosen(cand, set_facts):
    set_facts(cand.firm, 2022, net_profit=-5)
    set_facts(cand.firm, 2023, net_profit=3000)
    set_facts(cand.firm, 2024, net_profit=3000)
    assert _by_key(criteria.check_candidate(cand))["profit_positive_2y"].status == "pass"
    assert _by_key(criteria.check_candidate(cand, 2023))["profit_positive_2y"].status == "fail"


def test_other_boards_kinds(app, jrb, make_firm, set_facts):
    c = service.add_candidate(jrb, firm=make_firm(), entered_on=date(2024, 1, 1), board="北交所")
    set_facts(c.firm, 2023, net_profit=1600, revenue=9000)
    set_facts(c.firm, 2024, net_profit=1400, revenue=12000)
    r = _by_key(criteria.check_candidate(c))
    assert r["profit_each_2y"].status == "fail"        # 2024 below 1500
    assert r["revenue_latest"].status == "pass" and r["revenue_latest"].computed == Decimal(12000)


def test_admin_criterion_rules(app, make_user):
    admin = make_user("fin_admin", unit="jrb", role="admin")
    with pytest.raises(ServiceError) as exc:
        criteria.create_criterion(admin, board="创业板", key="profit_positive_2y", label="x",
                                  kind="net_profit_positive_years", years=2)
    assert exc.value.field == "key"
    with pytest.raises(ServiceError) as exc:
        criteria.create_criterion(admin, board="创业板", key="new_one", label="x", kind="revenue_min")
    assert exc.value.field == "threshold"
    with pytest.raises(ServiceError) as exc:
        criteria.create_criterion(admin, board="创业板", key="new_one", label="x", kind="cumulative_net_profit_min",
                                  threshold=Decimal(1))
    assert exc.value.field == "years"
    crit = criteria.create_criterion(admin, board="创业板", key="revenue_latest", label="最近一年营收不低于3亿元",
                                     kind="revenue_min", threshold=Decimal(30000))
    assert crit.id and not crit.is_example


def test_criteria_pages_admin_edits_editor_reads(app, make_user, login, jrb):
    admin = login(make_user("fin_admin", unit="jrb", role="admin"))
    editor = login(jrb)
    assert editor.get("/finance/criteria").status_code == 200
    crit = db.session.scalars(select(ListingCriterion).where(ListingCriterion.key == "profit_cum_2y",
                                                             ListingCriterion.board == "创业板")).one()
    data = {"board": "创业板", "key": "profit_cum_2y", "label": "最近2年累计净利润不低于5000万元",
            "kind": "cumulative_net_profit_min", "years": "2", "threshold": "5000", "sort_order": "1",
            "version": str(crit.version)}
    assert editor.post(f"/finance/criteria/{crit.id}/edit", data=data).status_code == 403
    bad = admin.post(f"/finance/criteria/{crit.id}/edit", data={**data, "key": "Bad Key!", "threshold": "x"})
    assert bad.status_code == 200 and "代码只能包含小写字母" in bad.get_data(as_text=True)
    resp = admin.post(f"/finance/criteria/{crit.id}/edit", data=data)
    assert resp.status_code == 302
    db.session.refresh(crit)
    assert crit.threshold == Decimal(5000) and not crit.is_example
    stale = admin.post(f"/finance/criteria/{crit.id}/edit", data={**data, "threshold": "6000"})
    assert stale.status_code == 200 and "stale-changes" in stale.get_data(as_text=True)
    new = admin.post("/finance/criteria/new", data={**data, "key": "rd_min", "kind": "rd_spend_min",
                                                    "years": "3", "threshold": "1000"})
    assert new.status_code == 302


def test_candidate_page_shows_unknown(app, login, jrb, cand, set_facts):
    set_facts(cand.firm, 2024, net_profit=100)
    db.session.commit()
    html = login(jrb).get(f"/finance/candidates/{cand.id}").get_data(as_text=True)
    assert 'id="criteria-check"' in html and "未知" in html and "缺失" in html
