"""An import that collides with a concurrent write is run again whole, in a fresh transaction.

Rows are written in credit-code order (two imports naming the same firms in opposite orders then lock
them in the same order); a deadlock victim, a serialization failure (PostgreSQL) or a SQLite lock held
past the busy timeout make the engine roll the whole file back and run it again after a pause, never
keep a part of it; when the collision persists the import is refused with a message.
The real two-process race on PostgreSQL: tests/reliability/test_import_deadlock.py.
"""
import sqlite3

import psycopg.errors
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from core import imports
from core.audit.models import AuditEntry
from core.audit.verify import verify_chain
from core.db import db
from core.import_batches import ImportBatch
from registry.models import Firm
from registry.uscc import generate
from tests.conftest import make_app


def _firms_csv(codes) -> bytes:
    return ("统一社会信用代码,企业名称\n" + "".join(f"{c},宁波重试{i}有限公司\n" for i, c in enumerate(codes))).encode()


def _codes(n):
    codes = set()
    while len(codes) < n:
        codes.add(generate())
    return sorted(codes)


@pytest.fixture
def no_pause(monkeypatch):
    pauses = []
    monkeypatch.setattr(imports, "_pause", lambda attempt: pauses.append(attempt) or 0)
    return pauses


def test_rows_are_written_in_credit_code_order(app, make_user):
    editor = make_user("jxj_editor", unit="jxj", role="editor")
    codes = _codes(6)
    result = imports.import_and_commit("firms", _firms_csv(codes[::-1]), "f.csv", actor=editor)
    assert result.written and result.created == 6
    assert db.session.scalars(select(Firm.uscc).order_by(Firm.id)).all() == codes


def _collide(exc_orig):
    return OperationalError("INSERT INTO registry_firms ...", {}, exc_orig)


@pytest.mark.parametrize("orig", [
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"),
    sqlite3.OperationalError("database is locked"),
], ids=["deadlock-40P01", "serialization-40001", "sqlite-locked"])
def test_a_collision_runs_the_whole_file_again(app, make_user, monkeypatch, no_pause, orig):
    """The first run writes every row, then fails at the end: nothing of it stays, the second run writes all."""
    editor = make_user("jxj_editor", unit="jxj", role="editor")
    real, calls = imports.run_import, []

    def flaky(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        if len(calls) == 1:
            db.session.flush()
            raise _collide(orig)
        return result

    monkeypatch.setattr(imports, "run_import", flaky)
    audit_before = db.session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))
    codes = _codes(5)
    result = imports.import_and_commit("firms", _firms_csv(codes), "f.csv", actor=editor)
    assert len(calls) == 2 and no_pause == [1]
    assert result.written and result.created == 5 and not result.errors
    assert db.session.scalar(select(func.count()).select_from(Firm)) == 5
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    batch_id = db.session.scalar(select(ImportBatch.id))
    audited = db.session.scalars(select(AuditEntry.batch_id).where(AuditEntry.id > audit_before)).all()
    assert audited and set(audited) == {batch_id}            # nothing audited for the rolled-back run
    assert db.session.scalars(select(Firm.uscc).order_by(Firm.id)).all() == codes
    assert verify_chain()[1] is None


def test_a_collision_that_persists_is_refused_with_a_message(app, make_user, monkeypatch, no_pause):
    editor = make_user("jxj_editor", unit="jxj", role="editor")
    calls = []

    def always(*args, **kwargs):
        calls.append(1)
        raise _collide(psycopg.errors.DeadlockDetected("deadlock detected"))

    monkeypatch.setattr(imports, "run_import", always)
    result = imports.import_and_commit("firms", _firms_csv(_codes(3)), "f.csv", actor=editor)
    assert len(calls) == imports.ATTEMPTS
    assert no_pause == list(range(1, imports.ATTEMPTS))          # a pause between runs, none after the last
    assert not result.written
    assert result.errors and "冲突" in result.errors[0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Firm)) == 0


def test_pauses_grow():
    assert imports.BACKOFF * 0.5 <= imports._pause(1) <= imports.BACKOFF * 1.5
    assert imports.BACKOFF * 2 <= imports._pause(3) <= imports.BACKOFF * 6


# --------------------------------------------------------------------------- a real SQLite lock

@pytest.fixture
def sqlite_file_app(tmp_path):
    """An app on a SQLite file whose connections wait only 50 ms for a lock (instead of 30 s)."""
    path = tmp_path / "locked.db"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        event.listen(db.engine, "checkout", lambda dbapi, _rec, _proxy: dbapi.execute("PRAGMA busy_timeout=50"))
        db.create_all()
        from core.seed import run_seeders, seed_units
        seed_units()
        run_seeders()
        db.session.commit()
        yield app, path
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def _hold_write_lock(path):
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")            # another writer holds the database
    return other


def test_sqlite_locked_by_another_writer_is_refused_cleanly(sqlite_file_app, no_pause):
    _app, path = sqlite_file_app
    other = _hold_write_lock(path)
    try:
        result = imports.import_and_commit("firms", _firms_csv(_codes(3)), "f.csv", actor=None)
    finally:
        other.rollback()
        other.close()
    assert not result.written
    assert result.errors and "冲突" in result.errors[0]["message"]
    assert len(no_pause) == imports.ATTEMPTS - 1
    assert db.session.execute(text("SELECT count(*) FROM registry_firms")).scalar() == 0
    assert db.session.execute(text("SELECT count(*) FROM core_import_batches")).scalar() == 0


def test_sqlite_lock_released_meanwhile_the_next_run_writes_everything(sqlite_file_app, monkeypatch):
    _app, path = sqlite_file_app
    other = _hold_write_lock(path)
    pauses = []

    def release(attempt):
        pauses.append(attempt)
        other.rollback()                         # the other writer finishes during our pause
        return 0

    monkeypatch.setattr(imports, "_pause", release)
    try:
        result = imports.import_and_commit("firms", _firms_csv(_codes(4)), "f.csv", actor=None)
    finally:
        other.close()
    assert pauses == [1]
    assert result.written and result.created == 4
    assert db.session.execute(text("SELECT count(*) FROM registry_firms")).scalar() == 4
    assert db.session.execute(text("SELECT count(*) FROM core_import_batches")).scalar() == 1
