"""Tenancy rules (dates, overlap, carrier open period), firm creation in the same step, actions, audit."""
from datetime import date

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.db import db
from core.errors import ServiceError
from incubation import service
from incubation.models import Carrier, Tenancy
from registry import service as registry
from registry.models import Firm
from registry.uscc import generate


def _register(kjj, carrier, firm, entered, left=None, outcome=None):
    t = service.register_tenancy(kjj, carrier=carrier, uscc=firm.uscc, entered_on=entered,
                                 left_on=left, outcome=outcome)
    db.session.commit()
    return t


def _breach(fn, field):
    with pytest.raises(ServiceError) as info:
        fn()
    db.session.rollback()
    assert info.value.field == field, info.value.message
    return info.value.message


def test_register_existing_firm_audited(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier(), make_firm()
    t = _register(kjj, carrier, firm, date(2018, 3, 1))
    assert (t.firm_id, t.carrier_id, t.left_on) == (firm.id, carrier.id, None)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "incubation.tenancy"))
    assert list(actions) == ["incubation.tenancy.create"]


def test_register_new_firm_in_same_step(kjj, make_carrier):
    carrier, code = make_carrier(), generate()
    t = service.register_tenancy(kjj, carrier=carrier, uscc=code.lower(), firm_name=" 新创科技有限公司 ",
                                 entered_on=date(2018, 5, 2))
    db.session.commit()
    firm = registry.find_firm(code)
    assert firm is not None and firm.name == "新创科技有限公司" and t.firm_id == firm.id


def test_unknown_firm_without_name_is_refused_and_nothing_written(kjj, make_carrier):
    carrier = make_carrier()
    msg = _breach(lambda: service.register_tenancy(kjj, carrier=carrier, uscc=generate(),
                                                   entered_on=date(2018, 1, 1)), "firm_name")
    assert "企业名称" in msg
    assert db.session.scalar(select(func.count(Tenancy.id))) == 0


@pytest.mark.parametrize("bad", ["91330212MA2AXXXXXX", "9.13302E+17", "", "123"])
def test_invalid_credit_code_is_refused_before_anything_is_written(kjj, make_carrier, bad):
    carrier = make_carrier()
    _breach(lambda: service.register_tenancy(kjj, carrier=carrier, uscc=bad, firm_name="某公司",
                                             entered_on=date(2018, 1, 1)), "uscc")
    assert db.session.scalar(select(func.count(Firm.id))) == 0
    assert db.session.scalar(select(func.count(Tenancy.id))) == 0


def test_tenancy_rule_breach_with_new_firm_creates_no_firm(kjj, make_carrier):
    carrier = make_carrier(opened_on=date(2018, 1, 1))
    _breach(lambda: service.register_tenancy(kjj, carrier=carrier, uscc=generate(), firm_name="某公司",
                                             entered_on=date(2017, 12, 31)), "entered_on")
    assert db.session.scalar(select(func.count(Firm.id))) == 0


def test_left_before_entered_is_refused(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier(), make_firm()
    msg = _breach(lambda: service.register_tenancy(kjj, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 5, 1),
                                                   left_on=date(2018, 4, 30), outcome="毕业"), "left_on")
    assert "不能早于入孵日期" in msg
    t = _register(kjj, carrier, firm, date(2018, 5, 1))
    _breach(lambda: service.graduate_tenancy(t, kjj, on=date(2018, 4, 30)), "left_on")
    assert db.session.get(Tenancy, t.id).left_on is None


def test_left_on_same_day_is_allowed(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier(), make_firm()
    t = _register(kjj, carrier, firm, date(2018, 5, 1), date(2018, 5, 1), "迁出")
    assert t.left_on == t.entered_on


def test_start_before_carrier_opened_or_after_closed(kjj, make_carrier, make_firm):
    carrier = make_carrier(opened_on=date(2017, 6, 1), closed_on=date(2019, 6, 1))
    firm = make_firm()
    msg = _breach(lambda: _register(kjj, carrier, firm, date(2017, 5, 31)), "entered_on")
    assert "2017-06-01" in msg
    msg = _breach(lambda: _register(kjj, carrier, firm, date(2019, 6, 1)), "entered_on")
    assert "2019-06-01" in msg
    _breach(lambda: _register(kjj, carrier, firm, date(2019, 7, 1)), "entered_on")
    assert _register(kjj, carrier, firm, date(2017, 6, 1), date(2019, 6, 1), "毕业").id


def test_tenancy_cannot_outlast_closed_carrier(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier(opened_on=date(2017, 1, 1), closed_on=date(2019, 1, 1)), make_firm()
    _breach(lambda: _register(kjj, carrier, firm, date(2018, 1, 1), date(2019, 2, 1), "毕业"), "left_on")


@pytest.mark.parametrize("entered,left,ok", [
    (date(2017, 1, 1), date(2017, 3, 1), True),      # ends the day the existing one starts
    (date(2018, 12, 31), None, True),                 # starts the day the existing one ends
    (date(2017, 1, 1), date(2017, 3, 2), False),
    (date(2017, 6, 1), date(2017, 7, 1), False),      # inside
    (date(2018, 12, 30), None, False),
    (date(2016, 1, 1), None, False),                  # open-ended, covering
])
def test_no_overlap_in_same_carrier(kjj, make_carrier, make_firm, entered, left, ok):
    carrier, firm = make_carrier(), make_firm()
    _register(kjj, carrier, firm, date(2017, 3, 1), date(2018, 12, 31), "迁出")
    outcome = "毕业" if left else None
    if ok:
        assert _register(kjj, carrier, firm, entered, left, outcome).id
    else:
        msg = _breach(lambda: _register(kjj, carrier, firm, entered, left, outcome), "entered_on")
        assert "重叠" in msg and "2017-03-01" in msg


def test_overlap_in_other_carrier_is_fine_and_open_tenancy_blocks_reentry(kjj, make_carrier, make_firm):
    a, b, firm = make_carrier(), make_carrier(), make_firm()
    _register(kjj, a, firm, date(2018, 1, 1))
    assert _register(kjj, b, firm, date(2018, 2, 1)).id
    msg = _breach(lambda: _register(kjj, a, firm, date(2019, 1, 1)), "entered_on")
    assert "至今" in msg


def test_update_tenancy_checks_overlap_against_others_only(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier(), make_firm()
    first = _register(kjj, carrier, firm, date(2017, 1, 1), date(2017, 12, 31), "迁出")
    second = _register(kjj, carrier, firm, date(2018, 6, 1))
    assert service.update_tenancy(second, kjj, entered_on=date(2018, 7, 1), left_on=None, outcome=None)
    db.session.commit()
    _breach(lambda: service.update_tenancy(second, kjj, entered_on=date(2017, 12, 1), left_on=None, outcome=None),
            "entered_on")
    assert service.update_tenancy(first, kjj, entered_on=date(2017, 1, 1), left_on=date(2017, 12, 31),
                                  outcome="迁出", note="") is False


def test_graduate_move_out_close(kjj, make_carrier, make_firm):
    carrier = make_carrier()
    t1 = _register(kjj, carrier, make_firm(), date(2018, 1, 1))
    t2 = _register(kjj, carrier, make_firm(), date(2018, 1, 1))
    t3 = _register(kjj, carrier, make_firm(), date(2018, 1, 1))
    service.graduate_tenancy(t1, kjj, on=date(2020, 1, 1), note="达到毕业条件")
    service.end_tenancy(t2, kjj, outcome="迁出", left_on=date(2019, 1, 1))
    service.end_tenancy(t3, kjj, outcome="注销", left_on=date(2019, 5, 1))
    db.session.commit()
    assert [(t.outcome, t.left_on) for t in (t1, t2, t3)] == [
        ("毕业", date(2020, 1, 1)), ("迁出", date(2019, 1, 1)), ("注销", date(2019, 5, 1))]
    assert "达到毕业条件" in t1.note
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "incubation.tenancy")))
    assert {"incubation.tenancy.graduate", "incubation.tenancy.move_out", "incubation.tenancy.close"} <= actions
    msg = _breach(lambda: service.graduate_tenancy(t1, kjj, on=date(2021, 1, 1)), None)
    assert "2020-01-01" in msg


def test_outcome_and_left_on_go_together(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier(), make_firm()
    _breach(lambda: _register(kjj, carrier, firm, date(2018, 1, 1), date(2019, 1, 1), None), "outcome")
    _breach(lambda: _register(kjj, carrier, firm, date(2018, 1, 1), None, "毕业"), "left_on")
    _breach(lambda: _register(kjj, carrier, firm, date(2018, 1, 1), date(2019, 1, 1), "跑路"), "outcome")


def test_archived_carrier_refuses_new_tenants(kjj, make_carrier, make_firm):
    from core.records import archive
    carrier, firm = make_carrier(), make_firm()
    archive(carrier, kjj)
    db.session.commit()
    _breach(lambda: _register(kjj, carrier, firm, date(2018, 1, 1)), "carrier")


def test_carrier_rules(kjj, make_carrier, make_firm):
    carrier = make_carrier("甲众创空间")
    _breach(lambda: make_carrier("甲众创空间"), "name")
    _breach(lambda: make_carrier("乙", carrier_type="写字楼"), "carrier_type")
    _breach(lambda: make_carrier("乙", level="村级"), "level")
    _breach(lambda: make_carrier("乙", opened_on=date(2018, 1, 1), closed_on=date(2017, 1, 1)), "closed_on")
    _breach(lambda: make_carrier("乙", area_m2=-1), "area_m2")
    _breach(lambda: make_carrier("乙", opened_on=None), "opened_on")
    t = _register(kjj, carrier, make_firm(), date(2018, 1, 1))
    _breach(lambda: service.update_carrier(carrier, kjj, opened_on=date(2018, 1, 2)), "opened_on")
    _breach(lambda: service.update_carrier(carrier, kjj, closed_on=date(2019, 1, 1)), "closed_on")
    service.graduate_tenancy(db.session.get(Tenancy, t.id), kjj, on=date(2018, 12, 1))
    assert service.update_carrier(db.session.get(Carrier, carrier.id), kjj, closed_on=date(2019, 1, 1),
                                  area_m2="1200.5")
    db.session.commit()
    assert carrier.area_m2 == 1200.5 and carrier.closed_on == date(2019, 1, 1)
    assert service.update_carrier(carrier, kjj, closed_on=date(2019, 1, 1)) is False


def test_maker_counts(kjj, make_carrier):
    carrier = make_carrier()
    assert service.set_maker_count(kjj, carrier=carrier, year=2018, makers=120)[1] == "created"
    assert service.set_maker_count(kjj, carrier=carrier, year=2018, makers=120)[1] == "unchanged"
    assert service.set_maker_count(kjj, carrier=carrier, year=2018, makers=150)[1] == "updated"
    _breach(lambda: service.set_maker_count(kjj, carrier=carrier, year=2018, makers=-1), "makers")
    _breach(lambda: service.set_maker_count(kjj, carrier=carrier, year=1800, makers=1), "year")


def test_institutions_and_alliances(kjj, make_firm):
    firm = make_firm()
    service.register_institution(kjj, uscc=firm.uscc, name="某研究院", level="省级重点企业研究院",
                                 recognized_on=date(2018, 1, 1))
    db.session.commit()
    _breach(lambda: service.register_institution(kjj, uscc=firm.uscc, name="某研究院", level="省级重点企业研究院",
                                                 recognized_on=date(2018, 1, 1)), "name")
    _breach(lambda: service.register_institution(kjj, uscc=firm.uscc, name="x", level="宇宙级",
                                                 recognized_on=date(2018, 1, 1)), "level")
    _breach(lambda: service.register_institution(kjj, uscc=firm.uscc, name="x", level="市级",
                                                 recognized_on=date(2018, 1, 1), revoked_on=date(2017, 1, 1)),
            "revoked_on")
    a = service.create_alliance(kjj, name="鄞州新材料产业技术创新联盟", founded_on=date(2018, 3, 1),
                                lead_uscc=firm.uscc)
    db.session.commit()
    assert [m.firm_id for m in a.members] == [firm.id]
    _breach(lambda: service.add_alliance_member(kjj, alliance=a, uscc=firm.uscc), "uscc")
    _breach(lambda: service.add_alliance_member(kjj, alliance=a, uscc=generate()), "uscc")
    _breach(lambda: service.create_alliance(kjj, name="鄞州新材料产业技术创新联盟", founded_on=date(2018, 3, 1)), "name")
