"""Talent services: one person per ID, recognitions, teams, counts as of dates, audit privacy."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core.audit.models import AuditEntry
from core.db import db
from core.errors import ServiceError
from talent import metrics, service
from talent.models import Person, Recognition, TeamMember
from tests.talent.conftest import bad_check, idn

ID_A = idn(123)
ID_B = idn(245, birth=date(1990, 7, 8))
ID_C = idn(317, birth=date(1979, 1, 2), region="330204")


def register(actor, firm, number=ID_A, name="张三", category="领军人才", on=date(2018, 5, 1), support=50,
             unit="rsj", programme="甬江引才工程"):
    rec, outcome = service.register_talent(actor, key=service.person_key(number), name=name, category=category,
                                           programme=programme, uscc=firm.uscc, recognized_on=on, support=support,
                                           unit_code=unit)
    db.session.commit()
    return rec, outcome


def test_person_key_hashes_with_configured_key_and_masks(app):
    key = service.person_key(ID_A)
    assert key.masked == ID_A[:4] + "*" * 10 + ID_A[-4:]
    assert ID_A not in key.hash and len(key.hash) == 64
    assert key.birth_year == 1985 and key.sex == "M"
    assert ID_A not in repr(key)
    app.config["PII_HASH_KEY"] = "another-key"
    assert service.person_key(ID_A).hash != key.hash


@pytest.mark.parametrize("raw, code_word", [
    ("", "不能为空"), ("33021219850304", "18位"), (bad_check(ID_A), "校验位"),
    ("330212198513041231", "出生日期"), ("990212198503041231", "省级"),
])
def test_person_key_rejects_bad_numbers_without_echoing_them(app, raw, code_word):
    with pytest.raises(ServiceError) as info:
        service.person_key(raw)
    assert info.value.field == "id_number"
    assert code_word in info.value.message
    assert raw[:6] not in info.value.message or not raw


def test_same_id_from_both_units_is_one_person(app, firm, rsj, rcb):
    register(rsj, firm, unit="rsj")
    rec2, outcome = register(rcb, firm, name="张三", category="千人计划专家", unit="rcb", programme="国家千人计划")
    assert outcome == "created"
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    person = db.session.scalars(select(Person)).one()
    assert {r.category for r in person.recognitions} == {"领军人才", "千人计划专家"}
    assert metrics.leading_talents(date(2020, 1, 1)) == 1


def test_same_recognition_registered_twice_is_not_doubled(app, firm, rsj, rcb):
    register(rsj, firm, unit="rsj")
    _rec, outcome = register(rcb, firm, unit="rcb")
    assert outcome == "unchanged"
    _rec, outcome = register(rcb, firm, unit="rcb", support=80)
    assert outcome == "updated"
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == 1
    assert db.session.scalars(select(Recognition)).one().support == Decimal("80")


def test_full_width_and_lowercase_x_is_the_same_person(app, firm, rsj):
    number = next(n for n in (idn(s) for s in range(1, 400)) if n.endswith("X"))
    register(rsj, firm, number=number)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in number[:-1]) + "x"
    _rec, outcome = register(rsj, firm, number=f" {fullwidth} ", category="高技能人才")
    assert outcome == "created"
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_known_id_under_another_name_is_refused(app, firm, rsj):
    register(rsj, firm)
    with pytest.raises(ServiceError) as info:
        register(rsj, firm, name="李四", category="高技能人才")
    assert info.value.field == "name"
    assert ID_A not in info.value.message


@pytest.mark.parametrize("kwargs, field", [
    ({"category": "院士"}, "category"), ({"on": date(2999, 1, 1)}, "recognized_on"),
    ({"support": -1}, "support"), ({"support": "abc"}, "support"), ({"unit": "kjj"}, "unit_code"),
    ({"name": "  "}, "name"),
])
def test_register_talent_rules(app, firm, rsj, kwargs, field):
    with pytest.raises(ServiceError) as info:
        register(rsj, firm, **kwargs)
    assert info.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_unknown_firm_without_name_is_refused_and_with_name_created(app, rsj):
    from registry import uscc as uscc_mod
    code = uscc_mod.generate()
    with pytest.raises(ServiceError) as info:
        service.register_talent(rsj, key=service.person_key(ID_A), name="张三", category="智造创客",
                                uscc=code, recognized_on=date(2019, 1, 1), unit_code="rsj")
    assert info.value.field == "firm_name"          # the one firm rule: give the name to register it
    db.session.rollback()
    rec, _o = service.register_talent(rsj, key=service.person_key(ID_A), name="张三", category="智造创客",
                                      uscc=code, firm_name="宁波新创科技有限公司", recognized_on=date(2019, 1, 1),
                                      unit_code="rsj")
    assert rec.firm.name == "宁波新创科技有限公司"


def test_counts_as_of_dates(app, firm_factory, rsj, rcb):
    f1, f2 = firm_factory("甲公司"), firm_factory("乙公司")
    register(rsj, f1, ID_A, "张三", "领军人才", date(2017, 6, 1), 100)
    register(rcb, f1, ID_A, "张三", "千人计划专家", date(2018, 6, 1), 200, unit="rcb", programme="千人计划")
    register(rsj, f2, ID_B, "李四", "领军人才", date(2019, 3, 1), 0)            # not supported
    register(rsj, f2, ID_C, "王五", "千人计划专家", date(2019, 9, 1), 30)
    register(rsj, f2, ID_B, "李四", "智造创客", date(2018, 1, 1), None, programme="")
    register(rcb, f1, ID_B, "李四", "智造创客", date(2018, 2, 1), None, unit="rcb", programme="创客计划")
    register(rsj, f1, ID_C, "王五", "高技能人才", date(2017, 1, 1), None, programme="")
    register(rsj, f2, ID_A, "张三", "经营管理人才", date(2020, 1, 1), None, programme="")
    assert metrics.leading_talents(date(2017, 5, 31)) == 0
    assert metrics.leading_talents(date(2017, 6, 1)) == 1
    assert metrics.leading_talents(date(2018, 12, 31)) == 1          # two categories, one person
    assert metrics.leading_talents(date(2019, 12, 31)) == 2          # 李四 has no support
    assert metrics.smart_makers(date(2018, 1, 31)) == 1
    assert metrics.smart_makers(date(2018, 12, 31)) == 1             # two programmes, one person
    assert metrics.high_skill_talents(date(2016, 12, 31)) == 0
    assert metrics.high_skill_talents(date(2017, 1, 1)) == 1
    assert metrics.management_talents(date(2019, 12, 31)) == 0
    assert metrics.management_talents(date(2020, 1, 1)) == 1
    assert service.category_counts(date(2020, 1, 1))["领军人才"] == 2


def test_archived_recognition_and_person_are_not_counted(app, firm, rsj):
    from core.records import archive
    rec, _o = register(rsj, firm)
    assert metrics.leading_talents(date(2020, 1, 1)) == 1
    archive(rec, rsj)
    db.session.commit()
    assert metrics.leading_talents(date(2020, 1, 1)) == 0
    rec2, _o = register(rsj, firm)                 # re-registering adds a fresh recognition
    assert rec2.id != rec.id and metrics.leading_talents(date(2020, 1, 1)) == 1
    archive(rec2.person, rsj)
    db.session.commit()
    assert metrics.leading_talents(date(2020, 1, 1)) == 0


def test_metric_records_have_no_personal_data(app, firm, rsj):
    register(rsj, firm)
    register(rsj, firm, category="千人计划专家", programme="千人计划")
    rows = metrics.leading_records(date(2020, 1, 1))
    assert len(rows) == 1
    row = rows[0]
    assert row["firm_id"] == firm.id and row["uscc"] == firm.uscc and row["firm_name"] == firm.name
    assert "张三" not in repr(rows) and ID_A[-4:] not in repr(rows) and ID_A not in repr(rows)
    from core import indicators
    assert indicators.compute("leading_talents", date(2020, 1, 1)) == 1
    assert indicators.records("smart_makers", date(2020, 1, 1)) == []


def _team(actor, firm, leader=ID_A, members=(ID_B,), name="智能传感团队", on=date(2019, 1, 1)):
    team, outcome = service.register_team(actor, name=name, uscc=firm.uscc, leader=service.person_key(leader),
                                          members=[service.person_key(m) for m in members], recognized_on=on,
                                          support=300, unit_code="rsj")
    db.session.commit()
    return team, outcome


def test_team_needs_registered_leader_and_members(app, firm, rsj):
    with pytest.raises(ServiceError) as info:
        _team(rsj, firm)
    assert info.value.field == "leader_id"
    db.session.rollback()
    register(rsj, firm)
    with pytest.raises(ServiceError) as info:
        _team(rsj, firm)
    assert info.value.field == "member_ids" and "第1位" in info.value.message
    assert ID_B not in info.value.message


def test_team_register_update_members_and_count(app, firm, rsj, rcb):
    register(rsj, firm)
    register(rsj, firm, number=ID_B, name="李四", category="高技能人才")
    register(rsj, firm, number=ID_C, name="王五", category="高技能人才")
    team, outcome = _team(rsj, firm)
    assert outcome == "created" and [p.name for p in team.members] == ["李四"]
    _t, outcome = _team(rcb, firm)
    assert outcome == "unchanged"
    _t, outcome = _team(rcb, firm, members=(ID_C, ID_A))          # leader listed as member: ignored
    assert outcome == "updated" and [p.name for p in team.members] == ["王五"]
    assert db.session.scalar(select(func.count()).select_from(TeamMember)) == 2    # one archived
    assert metrics.leading_talent_teams(date(2018, 12, 31)) == 0
    assert metrics.leading_talent_teams(date(2019, 1, 1)) == 1
    _team(rsj, firm, name="另一团队", on=date(2019, 5, 1))
    assert metrics.leading_talent_teams(date(2021, 1, 1)) == 2
    _team(rsj, firm, name="窗口外团队", on=date(2020, 5, 1))      # after the plan's window (2017–2019)
    assert metrics.leading_talent_teams(date(2021, 1, 1)) == 2
    rows = metrics.team_records(date(2021, 1, 1))
    assert "张三" not in repr(rows)


def test_member_keys_reports_position_not_number(app):
    keys = service.member_keys(f"{ID_A}\n{ID_B}；{ID_C}、")
    assert len(keys) == 3
    with pytest.raises(ServiceError) as info:
        service.member_keys(f"{ID_A}, {bad_check(ID_B)}")
    assert "第2个" in info.value.message and ID_B[:-1] not in info.value.message


def test_audit_never_holds_the_id_or_the_name(app, firm, rsj, rcb):
    register(rsj, firm)
    register(rcb, firm, category="千人计划专家", unit="rcb", programme="千人计划")
    person = db.session.scalars(select(Person)).one()
    service.update_person(rsj, person, name="张叁")
    db.session.commit()
    dump = " ".join(str(row) for row in db.session.execute(text("SELECT * FROM core_audit_entries")))
    assert ID_A not in dump and person.id_hash not in dump and person.id_masked not in dump
    assert "张三" not in dump and "张叁" not in dump
    create = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "talent.person.create")).one()
    assert create.changes["id_hash"] == [None, "***"] and create.changes["name"] == [None, "***"]
    update = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "talent.person.update")).one()
    assert update.changes == {"name": ["***", "***"]}


def test_clear_id_is_stored_nowhere(app, firm, rsj):
    register(rsj, firm)
    for table in ("talent_persons", "talent_recognitions", "core_audit_entries"):
        dump = " ".join(str(r) for r in db.session.execute(text(f"SELECT * FROM {table}")))
        assert ID_A not in dump and ID_A[:17] not in dump


def test_nothing_logged_with_the_id(app, firm, rsj, caplog):
    import logging
    caplog.set_level(logging.DEBUG)
    register(rsj, firm)
    with pytest.raises(ServiceError):
        service.person_key(bad_check(ID_B))
    with pytest.raises(ServiceError):
        register(rsj, firm, name="李四")
    db.session.rollback()
    assert ID_A not in caplog.text and bad_check(ID_B) not in caplog.text
