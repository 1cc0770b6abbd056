"""Backups: every form of database URL, atomic 0600 files with names that never collide, no empty
file on failure, and a restore into a fresh database that keeps the audit chain and the counts."""
import os
import stat
import subprocess
import uuid

import pytest
from sqlalchemy import func, select, text

from core.audit import service as audit
from core.audit.models import AuditEntry
from core.auth.models import User
from core.backup import BackupError, backup_database, restore_database
from core.db import db
from tests.conftest import TEST_DB, _url, make_app


def _fill(n=5):
    from core.auth.service import create_user
    actor = create_user("backup_admin", "password123", unit="jxj", role="admin")
    for i in range(n):
        audit.record(actor, "core.sample.create", audit.AuditRef("core.sample", str(i), f"样本{i}"),
                     changes={"n": [None, i]})
    db.session.commit()


def _counts():
    return (db.session.scalar(select(func.count(AuditEntry.id))), db.session.scalar(select(func.count(User.id))))


def _file_app(tmp_path, url):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        from core.seed import seed_units
        seed_units()
        db.session.commit()
    return app


def _sqlite_round_trip(tmp_path, source_url, target_url):
    source = _file_app(tmp_path / "a", source_url)
    with source.app_context():
        _fill()
        expected = _counts()
        res = source.test_cli_runner().invoke(args=["backup", "--dir", str(tmp_path / "backups")])
        assert res.exit_code == 0, res.output
        path = res.output.strip()
        db.engine.dispose()
    target = make_app(tmp_path / "b", SQLALCHEMY_DATABASE_URI=target_url)
    with target.app_context():
        res = target.test_cli_runner().invoke(args=["restore", "--yes", path])
        assert res.exit_code == 0 and "audit chain OK (5 entries)" in res.output, res.output
        assert _counts() == expected and audit.verify() == (5, None, "")
        db.engine.dispose()
    return path


def test_sqlite_absolute_url_round_trip(tmp_path):
    path = _sqlite_round_trip(tmp_path, f"sqlite:///{tmp_path}/live.db", f"sqlite:///{tmp_path}/fresh.db")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.path.basename(path).startswith("yinzhou-") and path.endswith(".db")
    assert [p for p in os.listdir(tmp_path / "backups") if p.startswith(".")] == []   # no temp left


def test_sqlite_relative_url_round_trip(tmp_path):
    """sqlite:///name.db is relative (Flask-SQLAlchemy: to the app's instance folder); the backup finds it."""
    name = f"test-backup-{uuid.uuid4().hex[:8]}.db"
    app = make_app(tmp_path / "probe", SQLALCHEMY_DATABASE_URI=f"sqlite:///{name}")
    with app.app_context():
        live = db.engine.url.database
    assert os.path.isabs(live) and live.endswith(name)
    try:
        _sqlite_round_trip(tmp_path, f"sqlite:///{name}", f"sqlite:///{tmp_path}/fresh.db")
    finally:
        os.unlink(live)


def test_backup_names_never_collide(tmp_path):
    db_file = tmp_path / "x.db"
    import sqlite3
    sqlite3.connect(db_file).execute("CREATE TABLE t (a)").connection.commit()
    names = {backup_database(f"sqlite:///{db_file}", tmp_path / "b").name for _ in range(5)}
    assert len(names) == 5                                   # five backups in the same second


def test_failed_backups_leave_no_file_and_exit_non_zero(tmp_path):
    out = tmp_path / "b"
    with pytest.raises(BackupError, match="not found"):
        backup_database(f"sqlite:///{tmp_path}/missing.db", out)
    with pytest.raises(BackupError, match="in-memory"):
        backup_database("sqlite://", out)
    with pytest.raises(BackupError, match="pg_dump failed"):
        backup_database("postgresql+psycopg://postgres@127.0.0.1:5432/no_such_db_" + uuid.uuid4().hex[:6], out)
    assert list(out.iterdir()) == []
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:5432/no_such_db_x")
    with app.app_context():
        res = app.test_cli_runner().invoke(args=["backup", "--dir", str(out)])
    assert res.exit_code == 1 and "backup failed" in res.output
    assert list(out.iterdir()) == []


def test_restore_refuses_empty_or_foreign_files(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(BackupError, match="empty"):
        restore_database(f"sqlite:///{tmp_path}/t.db", empty)
    text_file = tmp_path / "x.sql"
    text_file.write_text("DROP TABLE core_users;")
    with pytest.raises(BackupError, match="not a SQLite backup"):
        restore_database(f"sqlite:///{tmp_path}/t.db", text_file)
    with pytest.raises(BackupError, match="not a PostgreSQL"):
        restore_database("postgresql://postgres@127.0.0.1/x", text_file)
    assert not (tmp_path / "t.db").exists()


@pytest.mark.skipif(not TEST_DB.startswith("postgresql"), reason="PostgreSQL round trip needs TEST_DATABASE_URL")
@pytest.mark.parametrize("scheme", ["postgresql://", "postgresql+psycopg://"])
def test_postgresql_round_trip(app, tmp_path, scheme):
    _fill()
    expected = _counts()
    source_url = scheme + TEST_DB.split("://", 1)[1]
    path = backup_database(source_url, tmp_path / "backups")
    assert path.suffix == ".dump" and stat.S_IMODE(path.stat().st_mode) == 0o600
    fresh = f"{TEST_DB.rsplit('/', 1)[0]}/{TEST_DB.rsplit('/', 1)[1]}_restore"
    name = fresh.rsplit("/", 1)[1]
    admin_url = TEST_DB.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin_url, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run(["psql", admin_url, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    try:
        target = make_app(tmp_path / "t", SQLALCHEMY_DATABASE_URI=_url(fresh))
        with target.app_context():
            res = target.test_cli_runner().invoke(args=["restore", "--yes", str(path)])
            assert res.exit_code == 0 and "audit chain OK (5 entries)" in res.output, res.output
            assert _counts() == expected
            assert db.session.execute(text("SELECT count(*) FROM core_units")).scalar() > 0
            db.session.remove()
            db.engine.dispose()
    finally:
        subprocess.run(["psql", admin_url, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
