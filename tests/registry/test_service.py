"""Registry services: firms, stale edits, archive/restore, pools as of a date, overlap, merge, facts."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.audit import service as audit
from core.db import db
from core.errors import ServiceError, StaleRecordError
from core.records import archive, restore
from registry import service, uscc
from registry.models import Firm, FirmFact, PoolMembership


def test_seeded_pools(app):
    keys = {p.key for p in service.active_pools()}
    assert {"single_champion", "high_growth", "three_famous", "national_champion"} <= keys
    assert service.pool_by_key("high_growth").name_zh == "高成长性企业培育库"
    assert service.seed_pools() == "registry pools: 0 added"   # idempotent


def test_create_firm_normalises_and_audits(app, editor, make_code):
    code = make_code()
    firm = service.create_firm(editor, uscc="  " + code.lower() + " ", name=" 宁波甲公司 ",
                               capital="51.8000(万元人民币)", town_code="下应", industry_code="3831",
                               registered_on=date(2019, 3, 5))
    db.session.commit()
    assert firm.uscc == code and firm.name == "宁波甲公司"
    assert firm.capital_amount == Decimal("51.8") and firm.capital_currency == "CNY"
    assert firm.town_code.startswith("330212") and firm.industry_code == "3831"
    entries = audit.history("registry.firm", firm.id)
    assert [e.action for e in entries] == ["registry.firm.create"]
    assert entries[0].changes["name"] == [None, "宁波甲公司"]
    assert service.find_firm(code.lower()) is firm


@pytest.mark.parametrize("bad, reason", [
    ("", "不能为空"), ("9.13302E+17", "Excel"), ("91330212MA2AXXXXXO", "不合法"), ("91330212MA2A", "18位"),
])
def test_create_firm_rejects_bad_codes(app, editor, bad, reason):
    with pytest.raises(ServiceError) as exc:
        service.create_firm(editor, uscc=bad, name="甲")
    assert exc.value.field == "uscc" and reason in exc.value.message


def test_create_firm_refuses_duplicate_and_empty_name(app, editor, make_firm, make_code):
    firm = make_firm()
    with pytest.raises(ServiceError) as exc:
        service.create_firm(editor, uscc=firm.uscc, name="乙")
    assert exc.value.field == "uscc" and "已在企业库中" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        service.create_firm(editor, uscc=make_code(), name="   ")
    assert exc.value.field == "name"


def test_unknown_town_industry_sector_capital(app, editor, make_code):
    for field, value in [("town_code", "火星镇"), ("industry_code", "9999"), ("plan_sector", "造火箭"),
                         ("capital", "很多钱")]:
        with pytest.raises(ServiceError) as exc:
            service.create_firm(editor, uscc=make_code(), name="甲", **{field: value})
        assert exc.value.field == field.replace("capital", "capital")


def _failing_code(make_code):
    code = make_code()
    last = uscc.CHARSET[(uscc.CHARSET.index(code[17]) + 1) % 31]
    return code[:17] + last


def test_admin_code_override(app, admin, editor, make_code):
    bad = _failing_code(make_code)
    with pytest.raises(ServiceError):
        service.create_firm(admin, uscc=bad, name="甲")
    with pytest.raises(ServiceError) as exc:
        service.create_firm(editor, uscc=bad, name="甲", code_override_reason="营业执照原件如此")
    assert "管理员" in exc.value.message
    firm = service.create_firm(admin, uscc=bad, name="甲", code_override_reason="营业执照原件如此")
    assert firm.code_overridden and firm.code_override_reason == "营业执照原件如此"
    with pytest.raises(ServiceError):   # numeric corruption is never accepted
        service.create_firm(admin, uscc="9.13302E+17", name="乙", code_override_reason="x")


def test_find_or_register_firm(app, editor, make_firm, make_code):
    firm = make_firm()
    assert service.find_or_register_firm(firm.uscc.lower(), actor=editor) is firm
    with pytest.raises(ServiceError) as exc:
        service.find_or_register_firm(make_code(), "  ", actor=editor)
    assert exc.value.field == "firm_name" and exc.value.message == service.not_in_registry(name_hint=True)
    created = service.find_or_register_firm(make_code(), " 新企业 ", actor=editor)
    assert created.id and created.name == "新企业"


def test_update_firm_rename_keeps_former_name_and_stale_check(app, editor, make_firm):
    firm = make_firm(name="旧名称")
    v = firm.version
    assert service.update_firm(firm, editor, version=v, name="新名称", above_scale=True)
    db.session.commit()
    assert firm.former_names == ["旧名称"] and firm.above_scale
    assert not service.update_firm(firm, editor, version=firm.version, name="新名称")   # unchanged
    with pytest.raises(StaleRecordError) as exc:
        service.update_firm(firm, editor, version=v, name="第三个名称")
    assert any(c["field"] == "name" for c in exc.value.changes)


def test_set_listed(app, editor, make_firm):
    firm = make_firm()
    assert service.set_listed(firm, stock_code="603000", actor=editor, on=date(2020, 1, 2))
    assert firm.listed and firm.stock_code == "603000"
    assert not service.set_listed(firm, stock_code="603000", actor=editor)


def test_archive_and_restore(app, editor, make_firm):
    firm = make_firm()
    archive(firm, editor)
    db.session.commit()
    with pytest.raises(ServiceError):
        service.update_firm(firm, editor, version=firm.version, name="改名")
    with pytest.raises(ServiceError):
        service.find_or_register_firm(firm.uscc, actor=editor)
    restore(firm, editor)
    db.session.commit()
    assert service.update_firm(firm, editor, version=firm.version, name="改名")
    actions = [e.action for e in audit.history("registry.firm", firm.id)]
    assert actions == ["registry.firm.create", "registry.firm.archive", "registry.firm.restore",
                       "registry.firm.update"]


# ----------------------------------------------------------------------------- pools

def test_pool_as_of_around_entry_and_exit(app, editor, make_firm, pool):
    a, b = make_firm(name="甲"), make_firm(name="乙")
    m = service.enter_pool(editor, firm=a, pool=pool, entered_on=date(2018, 3, 1), reason="申报")
    service.enter_pool(editor, firm=b, pool=pool, entered_on=date(2018, 6, 1), reason="申报")
    db.session.commit()
    assert service.pool_count_as_of(pool, date(2018, 2, 28)) == 0
    assert service.pool_count_as_of(pool, date(2018, 3, 1)) == 1      # counts from the entry day
    assert service.pool_count_as_of(pool, date(2018, 6, 1)) == 2
    service.exit_pool(editor, m, exited_on=date(2019, 1, 1), reason="不再符合")
    db.session.commit()
    assert service.pool_count_as_of(pool, date(2018, 12, 31)) == 2    # still in on the day before exit
    assert service.pool_count_as_of(pool, date(2019, 1, 1)) == 1      # exit day: out
    assert [x.firm.name for x in service.members_as_of(pool, date(2019, 1, 1))] == ["乙"]
    assert service.pool_counts(pool, [date(2018, 1, 1), date(2018, 12, 31), date(2019, 1, 1)]) == [0, 2, 1]
    with pytest.raises(ServiceError):
        service.exit_pool(editor, m, exited_on=date(2019, 2, 1))       # already out


def test_members_as_of_is_one_select(app, editor, make_firm, pool):
    from sqlalchemy import event
    for i in range(3):
        service.enter_pool(editor, firm=make_firm(name=f"企业{i}"), pool=pool, entered_on=date(2020, 1, 1))
    db.session.commit()
    db.session.expire_all()
    pool_id = pool.id      # load the pool itself before counting statements
    assert pool_id
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        names = [m.firm.name for m in service.members_as_of(pool, date(2020, 6, 1))]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert names == ["企业0", "企业1", "企业2"]
    assert len(statements) == 1


def test_overlapping_membership_refused(app, editor, make_firm, pool):
    firm = make_firm()
    m = service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2018, 1, 1))
    for start in (date(2018, 1, 1), date(2019, 5, 1), date(2017, 1, 1)):
        with pytest.raises(ServiceError) as exc:
            service.enter_pool(editor, firm=firm, pool=pool, entered_on=start)
        assert "不能重复入库" in exc.value.message
    service.exit_pool(editor, m, exited_on=date(2019, 1, 1))
    with pytest.raises(ServiceError):
        service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2018, 12, 31))
    with pytest.raises(ServiceError):   # a closed earlier span that reaches into the existing one
        service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2017, 1, 1), exited_on=date(2018, 2, 1))
    service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2019, 1, 1))   # re-entry on exit day
    service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2016, 1, 1), exited_on=date(2018, 1, 1))
    other = service.pool_by_key("three_famous")
    service.enter_pool(editor, firm=firm, pool=other, entered_on=date(2018, 1, 1))   # another pool is fine
    db.session.commit()
    assert len(service.memberships_of(firm)) == 4


def test_pool_entry_rules(app, editor, make_firm, pool):
    firm = make_firm()
    with pytest.raises(ServiceError):
        service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2020, 1, 2), exited_on=date(2020, 1, 1))
    m = service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2020, 1, 2))
    with pytest.raises(ServiceError):
        service.exit_pool(editor, m, exited_on=date(2020, 1, 1))


def test_create_pool(app, admin):
    p = service.create_pool(admin, key="smart_factory", name_zh="智能工厂培育库")
    assert p.id and service.pool_by_key("smart_factory") is p
    for key in ("smart_factory", "带中文", ""):
        with pytest.raises(ServiceError):
            service.create_pool(admin, key=key, name_zh="x")


# ----------------------------------------------------------------------------- facts

def test_upsert_fact(app, editor, make_firm):
    firm = make_firm()
    assert service.upsert_fact(editor, firm, 2018, revenue="1,000.5", employees=12) == "created"
    assert service.upsert_fact(editor, firm, 2018, revenue=Decimal("1000.5"), employees=12) == "unchanged"
    assert service.upsert_fact(editor, firm, 2018, rd_spend=30) == "updated"
    db.session.commit()
    fact = service.facts_of(firm)[0]
    assert (fact.revenue, fact.rd_spend, fact.employees) == (Decimal("1000.5"), Decimal(30), 12)
    assert service.upsert_fact(editor, firm, 2018, net_profit=-5) == "updated"   # losses are allowed
    for bad in ({"revenue": -1}, {"employees": "1.5"}, {"revenue": "abc"}):
        with pytest.raises(ServiceError):
            service.upsert_fact(editor, firm, 2018, **bad)
    with pytest.raises(ServiceError):
        service.upsert_fact(editor, firm, 1800, revenue=1)


# ----------------------------------------------------------------------------- merge

def test_merge_moves_links_and_keeps_history(app, editor, make_firm, pool):
    keep = make_firm(name="宁波甲有限公司")
    dup = make_firm(name="宁波甲公司", address="鄞州区某路1号", former_names="甲厂")
    service.upsert_fact(editor, keep, 2018, revenue=100)
    service.upsert_fact(editor, dup, 2018, revenue=999, rd_spend=7)
    service.upsert_fact(editor, dup, 2019, revenue=200)
    service.enter_pool(editor, firm=dup, pool=pool, entered_on=date(2019, 1, 1))
    champion = service.pool_by_key("single_champion")
    service.enter_pool(editor, firm=keep, pool=champion, entered_on=date(2018, 1, 1))
    service.enter_pool(editor, firm=dup, pool=champion, entered_on=date(2018, 6, 1))   # overlaps keep's
    db.session.commit()

    moved = service.merge_firms(editor, keep, dup)
    db.session.commit()
    assert moved["registry_firm_facts"] == 1 and moved["registry_pool_memberships"] == 1
    assert dup.archived_at is not None and dup.merged_into_id == keep.id
    assert "宁波甲公司" in keep.former_names and "甲厂" in keep.former_names
    assert keep.address == "鄞州区某路1号"
    facts = {f.year: f for f in service.facts_of(keep)}
    assert facts[2018].revenue == 100 and facts[2018].rd_spend == 7 and facts[2019].revenue == 200
    assert service.pool_count_as_of(pool, date(2020, 1, 1)) == 1
    assert service.members_as_of(pool, date(2020, 1, 1))[0].firm_id == keep.id
    assert service.pool_count_as_of(champion, date(2019, 1, 1)) == 1
    assert service.find_firm(dup.uscc) is keep
    assert "registry.firm.merge" in [e.action for e in audit.history("registry.firm", keep.id)]
    assert "registry.firm.merged" in [e.action for e in audit.history("registry.firm", dup.id)]
    with pytest.raises(ServiceError):
        service.merge_firms(editor, keep, dup)      # dup already archived
    with pytest.raises(ServiceError):
        service.merge_firms(editor, keep, keep)


def test_merge_moves_other_domains_links_generically(app, editor, make_firm):
    """Any table with a foreign key to registry_firms.id is re-pointed (here: a test-only table)."""
    from sqlalchemy import Column, ForeignKey, Integer, Table, insert
    table = db.metadata.tables.get("zz_test_links") or Table(
        "zz_test_links", db.metadata, Column("id", Integer, primary_key=True),
        Column("firm_id", ForeignKey("registry_firms.id")))
    table.create(db.engine, checkfirst=True)
    try:
        keep, dup = make_firm(name="甲"), make_firm(name="乙")
        db.session.execute(insert(table).values(id=1, firm_id=dup.id))
        db.session.commit()
        moved = service.merge_firms(editor, keep, dup)
        db.session.commit()
        assert moved["zz_test_links.firm_id"] == 1
        assert db.session.execute(select(table.c.firm_id)).scalar_one() == keep.id
    finally:
        db.session.rollback()
        table.drop(db.engine, checkfirst=True)
        db.metadata.remove(table)
