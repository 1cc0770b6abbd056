"""Audit chain, tamper detection, archive/restore, stale forms — on a registry firm as the sample record."""
from datetime import timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from core.audit import service as audit
from core.audit.models import AuditEntry
from core.db import db
from core.errors import StaleRecordError
from core.records import archive, check_version, restore
from registry.models import Firm
from registry.uscc import generate


def _firm(actor, name="宁波测试科技有限公司"):
    firm = Firm(uscc=generate(), name=name)
    db.session.add(firm)
    audit.record(actor, "registry.firm.create", firm)
    db.session.commit()
    return firm


def test_create_update_are_audited_field_by_field(app, admin):
    firm = _firm(admin)
    firm.name = "宁波测试科技股份有限公司"
    audit.record(admin, "registry.firm.update", firm)
    db.session.commit()
    entries = audit.history("registry.firm", firm.id)
    assert [e.action for e in entries] == ["registry.firm.create", "registry.firm.update"]
    assert entries[0].changes["name"] == [None, "宁波测试科技有限公司"]
    assert entries[1].changes == {"name": ["宁波测试科技有限公司", "宁波测试科技股份有限公司"]}
    assert entries[1].actor_name == "admin" and entries[1].record_version == 2


def test_audit_rolls_back_with_the_transaction(app, admin):
    firm = Firm(uscc=generate(), name="回滚公司")
    db.session.add(firm)
    audit.record(admin, "registry.firm.create", firm)
    db.session.rollback()
    assert db.session.scalars(select(AuditEntry)).all() == []
    assert audit.verify() == (0, None, "")


def test_chain_verifies_and_detects_tampering(app, admin):
    for i in range(4):
        _firm(admin, f"公司{i}")
    count, broken, reason = audit.verify()
    assert (count, broken, reason) == (4, None, "")
    runner = app.test_cli_runner()
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 0 and "OK: 4" in res.output
    third = db.session.scalars(select(AuditEntry).where(AuditEntry.seq == 3)).one()
    db.session.execute(text("UPDATE core_audit_entries SET actor_name = 'mallory' WHERE seq = 3"))
    db.session.commit()
    db.session.expire_all()
    count, broken, reason = audit.verify()
    assert broken.seq == 3 and reason == "hash" and count == 2
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 1 and "seq 3" in res.output
    assert third.id


def test_deleted_entry_breaks_the_chain(app, admin):
    for i in range(3):
        _firm(admin, f"公司{i}")
    db.session.execute(text("DELETE FROM core_audit_entries WHERE seq = 2"))
    db.session.commit()
    count, broken, reason = audit.verify()
    assert broken.seq == 3 and reason in ("missing", "link")


def test_archive_and_restore_via_pages(app, make_user, login):
    editor = make_user("jxj1", unit="jxj", role="editor")
    firm = _firm(editor)
    client = login(editor)
    assert client.post(f"/records/registry.firm/{firm.id}/archive", data={"note": "重复登记"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Firm, firm.id).archived_at is not None
    client.post(f"/records/registry.firm/{firm.id}/restore", data={})
    db.session.expire_all()
    assert db.session.get(Firm, firm.id).archived_at is None
    html = client.get(f"/records/registry.firm/{firm.id}/history").get_data(as_text=True)
    assert "归档" in html and "恢复" in html and "重复登记" in html       # the actions named for people
    assert "registry.firm.archive" not in html
    assert audit.verify()[2] == ""


def test_other_units_cannot_archive(app, make_user, login):
    firm = _firm(make_user("jxj1", unit="jxj"))
    client = login(make_user("kjj1", unit="kjj", role="editor"))
    assert client.post(f"/records/registry.firm/{firm.id}/archive", data={}).status_code == 403
    assert client.get(f"/records/registry.firm/{firm.id}/history").status_code == 200
    assert client.get("/records/no.such/1/history").status_code == 404


def test_stale_version_is_refused_with_the_changes(app, admin):
    firm = _firm(admin)
    form_version = firm.version
    firm.name = "他人修改后的名称"
    audit.record(admin, "registry.firm.update", firm)
    db.session.commit()
    try:
        check_version(firm, form_version)
    except StaleRecordError as exc:
        assert "已被他人修改" in exc.message
        assert exc.changes[0]["field"] == "name" and exc.changes[0]["new"] == "他人修改后的名称"
    else:
        raise AssertionError("stale form accepted")
    check_version(firm, firm.version)  # a fresh form passes


def test_buffered_entries_chain_with_unbuffered_ones(app, admin):
    _firm(admin, "先写入的公司")
    with audit.buffered():
        for i in range(5):
            firm = Firm(uscc=generate(), name=f"批量公司{i}")
            db.session.add(firm)
            assert audit.record(admin, "registry.firm.create", firm, batch_id=7) is None
        position = audit.mark()
        firm = Firm(uscc=generate(), name="被丢弃的行")
        db.session.add(firm)
        audit.record(admin, "registry.firm.create", firm, batch_id=7)
        audit.discard_since(position)
        db.session.expunge(firm)
    _firm(admin, "后写入的公司")
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.seq for e in entries] == list(range(1, 8))
    assert sum(1 for e in entries if e.batch_id == 7) == 5
    assert all(e.entity_id.isdigit() for e in entries)
    assert audit.verify() == (7, None, "")


def test_spilled_entries_chain_and_cannot_be_discarded(app, admin):
    with audit.buffered():
        firms = []
        for i in range(3):
            firms.append(Firm(uscc=generate(), name=f"溢出公司{i}"))
            db.session.add(firms[-1])
            audit.record(admin, "registry.firm.create", firms[-1], batch_id=9)
        db.session.flush()
        position = audit.mark()
        audit.spill()                       # out of memory; the objects have ids now
        assert audit.mark() == position == 3
        ref = audit.AuditRef("registry.firm", "999", "无对象的记录 (X)", 1)
        audit.record(admin, "registry.firm.create", ref, {"name": [None, "无对象的记录"]}, batch_id=9)
        try:
            audit.discard_since(position - 1)
        except RuntimeError:
            pass
        else:
            raise AssertionError("a spilled entry was discarded")
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.entity_id for e in entries] == [str(f.id) for f in firms] + ["999"]
    assert entries[0].changes["name"] == [None, "溢出公司0"] and entries[0].actor_name == "admin"
    assert entries[3].entity_label == "无对象的记录 (X)" and entries[3].record_version == 1
    assert audit.verify() == (4, None, "")


def _reference_hash(values) -> str:
    """The chain's hash: sha256 of json.dumps of the whole body, keys sorted. Version 1 (entries
    written before entity_label was hashed) leaves out entity_label and hash_version."""
    import hashlib
    import json
    body = {"seq": values["seq"], "at": audit._utc_iso(values["at"]), "actor_id": values["actor_id"],
            "actor_name": values["actor_name"], "action": values["action"], "entity_type": values["entity_type"],
            "entity_id": values["entity_id"], "record_version": values["record_version"],
            "batch_id": values["batch_id"], "changes": values["changes"], "note": values["note"] or "",
            "prev": values["prev_hash"]}
    if values["hash_version"] != 1:
        body.update(entity_label=values["entity_label"] or "", hash_version=values["hash_version"])
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def test_hash_of_spliced_changes_equals_plain_serialisation():
    from datetime import datetime, timezone
    changes = {"name": [None, '引号"changes":0,与\t制表符'], "b": [1, {"z": 1, "a": [2.5, None]}]}
    values = {"seq": 3, "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "actor_id": None,
              "actor_name": '"changes":0,', "action": "x.y.create", "entity_type": "x.y", "entity_id": "7",
              "record_version": 1, "batch_id": None, "changes": changes, "note": "", "prev_hash": "0" * 64,
              "entity_label": '标签"changes":', "hash_version": 2}
    assert audit._hash_of(values, changes_json=audit._canonical(changes)) == audit._hash_of(values)
    assert audit._hash_of(values) == _reference_hash(values)
    legacy = dict(values, hash_version=1)
    assert audit._hash_of(legacy) == _reference_hash(legacy) != audit._hash_of(values)
    assert audit._hash_of(dict(values, entity_label="改")) != audit._hash_of(values)


_json_scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(seq=st.integers(min_value=1), actor_id=st.none() | st.integers(), text=st.text(),
       note=st.none() | st.text(), version=st.none() | st.integers(), batch_id=st.none() | st.integers(),
       at=st.datetimes(timezones=st.just(timezone.utc) | st.timezones() | st.none()),
       changes=st.dictionaries(st.text(), st.lists(_json_scalars, max_size=2), max_size=4),
       label=st.none() | st.text(), hash_version=st.sampled_from([1, 2]))
def test_hash_of_is_the_canonical_json_of_the_whole_entry(seq, actor_id, text, note, version, batch_id, at,
                                                          changes, label, hash_version):
    """The hash text written out key by key is the same text as json.dumps of the body: chains
    written before keep verifying, and entries of any content hash alike in both paths."""
    values = {"seq": seq, "at": at, "actor_id": actor_id, "actor_name": text, "action": text + ".create",
              "entity_type": text, "entity_id": text, "record_version": version, "batch_id": batch_id,
              "changes": changes, "note": note, "prev_hash": text, "entity_label": label,
              "hash_version": hash_version}
    expected = _reference_hash(values)
    assert audit._hash_of(values) == expected
    assert audit._hash_of(values, audit._canonical(changes), audit._utc_iso(at)) == expected