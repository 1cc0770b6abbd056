"""The three tamperings `audit verify` used to miss, and the anchors that prove nothing was cut off."""
import json

from sqlalchemy import select, text, update

from core.audit import service as audit
from core.audit.models import AuditEntry, AuditHead
from core.audit.verify import read_anchors, write_anchor
from core.db import db


def _entries(actor, n, start=1):
    for i in range(start, start + n):
        audit.record(actor, "core.sample.create", audit.AuditRef("core.sample", str(i), f"样本{i}", 1),
                     changes={"name": [None, f"样本{i}"]})
    db.session.commit()


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_a_changed_label_breaks_the_chain(app, admin):
    _entries(admin, 3)
    db.session.execute(text("UPDATE core_audit_entries SET entity_label = '别的公司' WHERE seq = 2"))
    db.session.commit()
    db.session.expire_all()
    count, broken, reason = audit.verify()
    assert (count, broken.seq, reason) == (1, 2, "hash")
    res = _cli(app, "verify")
    assert res.exit_code == 1 and "seq 2" in res.output


def test_every_field_but_the_id_is_in_the_hash(app, admin):
    _entries(admin, 1)
    entry = db.session.scalars(select(AuditEntry)).one()
    values = {c: getattr(entry, c) for c in audit._ENTRY_FIELDS}
    assert audit._hash_of(values) == entry.hash
    hashed = set(audit._ENTRY_FIELDS) - {"hash"}
    stored = {c.key for c in AuditEntry.__table__.columns} - {"id", "hash"}
    assert stored == hashed
    for field in ("entity_label", "hash_version", "record_version", "batch_id", "note"):
        changed = dict(values, **{field: values[field] + 1 if isinstance(values[field], int) else "x"})
        assert audit._hash_of(changed) != entry.hash, field


def test_deleting_every_entry_is_caught_by_the_head(app, admin):
    _entries(admin, 4)
    db.session.execute(text("DELETE FROM core_audit_entries"))
    db.session.commit()
    assert audit.verify() == (0, None, "head")
    res = _cli(app, "verify")
    assert res.exit_code == 1 and "head" in res.output and not res.output.startswith("OK")


def test_deleting_the_last_entries_is_caught_by_the_head(app, admin):
    _entries(admin, 5)
    db.session.execute(text("DELETE FROM core_audit_entries WHERE seq > 3"))
    db.session.commit()
    assert audit.verify() == (3, None, "head")


def test_cutting_off_the_end_and_rewinding_the_head_is_caught_by_the_anchor(app, admin, tmp_path):
    _entries(admin, 5)
    anchors = tmp_path / "outside" / "anchors.jsonl"
    res = _cli(app, "anchor", "--file", str(anchors))
    assert res.exit_code == 0 and "anchored 5 entries" in res.output
    _entries(admin, 2, start=6)
    assert _cli(app, "verify", "--anchor", str(anchors)).exit_code == 0
    # the attacker deletes entries 4…7 and rewinds the head to entry 3: the chain alone looks whole
    third = db.session.scalars(select(AuditEntry).where(AuditEntry.seq == 3)).one()
    db.session.execute(text("DELETE FROM core_audit_entries WHERE seq > 3"))
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=3, last_hash=third.hash))
    db.session.commit()
    assert audit.verify() == (3, None, "")
    assert audit.verify(read_anchors(anchors)) == (3, None, "truncated")
    res = _cli(app, "verify", "--anchor", str(anchors))
    assert res.exit_code == 1 and "truncated" in res.output


def test_a_rewritten_chain_does_not_match_its_anchor(app, admin, tmp_path):
    """Whoever recomputes every hash after a change still differs from the hash anchored outside."""
    _entries(admin, 3)
    anchor, path = write_anchor(tmp_path / "a.jsonl")
    assert anchor.seq == 3
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    entries[1].entity_label = "伪造"
    prev = entries[0].hash
    for entry in entries[1:]:
        entry.prev_hash = prev
        entry.hash = prev = audit._entry_hash(entry)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    db.session.commit()
    assert audit.verify()[2] == ""
    count, broken, reason = audit.verify(read_anchors(path))
    assert (broken.seq, reason) == (3, "anchor")


def test_anchor_file_appends_and_bad_files_are_refused(app, admin, tmp_path):
    path = tmp_path / "a.jsonl"
    _entries(admin, 1)
    write_anchor(path)
    _entries(admin, 1, start=2)
    write_anchor(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2] and all(len(line["hash"]) == 64 for line in lines)
    assert _cli(app, "verify", "--anchor", str(path)).output.startswith("OK: 2 entries verified; 2 anchors")
    path.write_text(path.read_text() + "not json\n")
    res = _cli(app, "verify", "--anchor", str(path))
    assert res.exit_code == 2 and "line 3" in res.output
    res = _cli(app, "verify", "--anchor", str(tmp_path / "missing.jsonl"))
    assert res.exit_code == 2 and "cannot read" in res.output


def test_the_nightly_job_writes_the_anchor(app, admin, tmp_path):
    from core.scheduler import run_job
    app.config["AUDIT_ANCHOR_FILE"] = str(tmp_path / "nightly.jsonl")
    _entries(admin, 2)
    run = run_job("core.audit_anchor")
    assert run.status == "ok", run.summary
    assert read_anchors(tmp_path / "nightly.jsonl")[0].seq == 2


def test_entries_of_the_first_hash_version_still_verify(app, admin):
    """Entries written before entity_label was hashed (version 1) keep verifying; new ones are version 2."""
    _entries(admin, 2)
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        entry.hash_version = 1
    _rehash_all()
    _entries(admin, 2, start=3)
    versions = db.session.scalars(select(AuditEntry.hash_version).order_by(AuditEntry.seq)).all()
    assert versions == [1, 1, 2, 2]
    assert audit.verify() == (4, None, "")


def test_a_downgrade_to_the_first_hash_version_is_refused(app, admin):
    """Setting an entry back to version 1 (whose hash leaves the label out) after version 2 is a break."""
    _entries(admin, 3)
    db.session.scalars(select(AuditEntry).where(AuditEntry.seq == 3)).one().hash_version = 1
    _rehash_all()
    count, broken, reason = audit.verify()
    assert (broken.seq, reason) == (3, "version")


def _rehash_all():
    prev = audit.GENESIS
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        entry.prev_hash = prev
        entry.hash = prev = audit._entry_hash(entry)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    db.session.commit()


def test_audit_status_page_names_the_reason(app, admin, login):
    _entries(admin, 2)
    db.session.execute(text("DELETE FROM core_audit_entries"))
    db.session.commit()
    html = login(admin).get("/admin/audit").get_data(as_text=True)
    assert "链头记录的条数或哈希与日志表不符" in html
