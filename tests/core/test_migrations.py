"""The migrations are the schema: upgrade a fresh database, then Alembic's comparison must be empty."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from core.db import db, include_object
from tests.conftest import TEST_DB, _url, make_app


@pytest.fixture
def fresh_db(tmp_path):
    if not TEST_DB:
        yield f"sqlite:///{tmp_path / 'migrated.db'}", None
        return
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(_url(TEST_DB))
    with admin_engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in TEST_DB else "?"
    yield _url(TEST_DB) + f"{sep}options=-csearch_path%3D{schema}", schema
    with admin_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin_engine.dispose()


def test_models_and_migrations_agree(tmp_path, fresh_db):
    url, _schema = fresh_db
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(ctx, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_to_base_and_up_again(tmp_path, fresh_db):
    url, _schema = fresh_db
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        names = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert names == set()
        upgrade()
        assert "core_users" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_sqlite_migrations_switch_foreign_keys_off():
    env = open(os.path.join(os.path.dirname(__file__), "..", "..", "migrations", "env.py"), encoding="utf-8").read()
    assert "PRAGMA foreign_keys=OFF" in env and "PRAGMA foreign_key_check" in env
