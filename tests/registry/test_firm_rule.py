"""The one rule for finding or registering a firm, the one membership-on-a-date rule, and the review
list of firms that other units registered."""
from datetime import date

import pytest
from sqlalchemy import func, select

from core.audit import service as audit
from core.db import db
from core.errors import ServiceError
from core.records import archive
from registry import firms, service
from registry.models import Firm, PoolMembership
from registry.queries import member_on, period_covers


@pytest.fixture
def kjj(make_user):
    return make_user("kjj_editor", unit="kjj", role="editor")


def test_finds_a_known_firm_by_any_spelling_of_its_code(app, editor, make_firm):
    firm = make_firm()
    assert service.find_or_register_firm(f" {firm.uscc.lower()} ", "别的名字", actor=editor) is firm
    assert firm.name == "宁波测试科技有限公司"          # a name given for a known firm changes nothing
    assert service.firm_of_row(firm.uscc) is firm and service.known_firm(firm.uscc) is firm


def test_registers_an_unknown_code_given_a_name_with_an_audit_entry(app, editor, make_code):
    code = make_code()
    assert service.firm_of_row(code, "新企业") is None         # the check alone writes nothing
    assert db.session.scalar(select(func.count(Firm.id))) == 0
    firm = service.find_or_register_firm(code, " 新企业 ", actor=editor)
    assert (firm.uscc, firm.name, firm.created_by_unit, firm.needs_review) == (code, "新企业", "jxj", False)
    assert [e.action for e in audit.history("registry.firm", firm.id)] == ["registry.firm.create"]


@pytest.mark.parametrize("name", [None, "", "   "])
def test_unknown_code_without_a_name_is_refused_on_the_name(app, editor, make_code, name):
    with pytest.raises(ServiceError) as exc:
        service.find_or_register_firm(make_code(), name, actor=editor)
    assert exc.value.field == "firm_name" and exc.value.message == firms.not_in_registry(name_hint=True)
    assert "不在企业库中" in exc.value.message and db.session.scalar(select(func.count(Firm.id))) == 0


def test_invalid_and_archived_codes_are_refused_on_the_code(app, editor, make_firm):
    with pytest.raises(ServiceError) as exc:
        service.find_or_register_firm("91330212ABC", "某公司", actor=editor)
    assert exc.value.field == "uscc"
    firm = make_firm()
    archive(firm, editor)
    db.session.commit()
    for call in (lambda: service.find_or_register_firm(firm.uscc, "某公司", actor=editor),
                 lambda: service.known_firm(firm.uscc)):
        with pytest.raises(ServiceError) as exc:
            call()
        assert exc.value.field == "uscc" and "已归档" in exc.value.message


def test_known_firm_never_registers(app, make_code):
    with pytest.raises(ServiceError) as exc:
        service.known_firm(make_code(), field="lead_uscc")
    assert (exc.value.field, exc.value.message) == ("lead_uscc", firms.not_in_registry())
    assert db.session.scalar(select(func.count(Firm.id))) == 0


# ----------------------------------------------------------------------------- membership on a date

def test_member_on_counts_the_entry_day_and_not_the_exit_day(app, editor, make_firm, pool):
    firm = make_firm()
    service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2018, 3, 1), exited_on=date(2019, 3, 1))
    db.session.commit()

    def members(on):
        return db.session.scalar(select(func.count(PoolMembership.id)).where(member_on(on)))
    assert [members(d) for d in (date(2018, 2, 28), date(2018, 3, 1), date(2019, 2, 28), date(2019, 3, 1))] \
        == [0, 1, 1, 0]
    assert [period_covers(date(2018, 3, 1), None, d) for d in (date(2018, 2, 28), date(2030, 1, 1))] == [False, True]
    assert service.pool_counts(pool, [date(2018, 3, 1), date(2019, 3, 1)]) == [1, 0]
    assert service.pool_count_as_of(pool, date(2018, 3, 1)) == 1


# ----------------------------------------------------------------------------- review of firms other units registered

def test_firm_registered_by_another_unit_is_listed_until_reviewed(app, kjj, editor, make_code, make_firm):
    own = make_firm(name="经信局登记的企业")
    other = service.find_or_register_firm(make_code(), "科技局登记的企业", actor=kjj)
    db.session.commit()
    assert (other.created_by_unit, other.needs_review) == ("kjj", True)
    assert service.firms_to_review() == [other] and own not in service.firms_to_review()
    service.mark_firm_reviewed(other, actor=editor)
    db.session.commit()
    assert service.firms_to_review() == [] and other.reviewed_by_id == editor.id
    assert audit.history("registry.firm", other.id)[-1].action == "registry.firm.review"
    with pytest.raises(ServiceError):
        service.mark_firm_reviewed(other, actor=editor)


def test_review_page_lists_and_marks(app, login, kjj, editor, make_code):
    firm = service.find_or_register_firm(make_code(), "待核对科技有限公司", actor=kjj)
    db.session.commit()
    client = login(editor)
    page = client.get("/registry/review")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "待核对科技有限公司" in html and "区科技局" in html
    resp = client.post(f"/registry/review/{firm.id}")
    assert resp.status_code == 302
    after = client.get("/registry/review").get_data(as_text=True)
    assert "已标记为已审核：待核对科技有限公司" in after and 'id="review-empty"' in after
    assert db.session.get(Firm, firm.id).reviewed_at is not None


def test_review_page_is_for_the_registry_editors(app, login, kjj):
    client = login(kjj)
    assert client.get("/registry/review").status_code == 403
    assert client.post("/registry/review/1").status_code == 403
