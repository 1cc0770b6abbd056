"""Fixtures: a fresh app per test on in-memory SQLite, or on TEST_DATABASE_URL (PostgreSQL).

On PostgreSQL the schema is created once per session and every table is truncated after each
test, so a row committed in one test is never seen by the next (see test_isolation.py).
"""
import os
import re

import pytest
from sqlalchemy import text

from composition import create_app
from core.db import db

def _worker_database(url: str) -> str:
    """Under pytest-xdist (`make test` runs two workers) each worker gets a PostgreSQL database of its
    own, made new for the run: the tests truncate every table after each test, so two workers must
    never share one. Sets TEST_DATABASE_URL for the subprocesses and modules that read it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgres"):
        return url
    import psycopg
    base, _sep, name = url.rpartition("/")
    name, query_sep, query = name.partition("?")
    mine = f"{name}_{worker}"
    plain = "postgresql://" + base.split("://", 1)[1] + "/" + name
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{mine}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{mine}"')
    url = f"{base}/{mine}{query_sep}{query}"
    os.environ["TEST_DATABASE_URL"] = url
    return url


TEST_DB = _worker_database(os.environ.get("TEST_DATABASE_URL", ""))


def _url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_app(tmp_path, **extra):
    overrides = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PII_HASH_KEY": "test-pii-key",
        "SQLALCHEMY_DATABASE_URI": _url(TEST_DB) if TEST_DB else "sqlite://",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }
    overrides.update(extra)
    return create_app(overrides)


def _truncate_all() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


def serving(app, *, domains: bool = True, on_exit=None):
    """Yield `app` inside its app context with the schema, the units and (`domains`) the domains' own
    reference data; afterwards `on_exit(app)`, and on PostgreSQL every table emptied. For fixtures:
    `yield from serving(make_app(tmp_path, ...))`."""
    with app.app_context():
        db.create_all()
        from core.seed import seed_units
        seed_units()
        if domains:
            _seed_domains()
        db.session.commit()
        yield app
        if on_exit is not None:
            on_exit(app)
        db.session.rollback()
        if TEST_DB:
            _truncate_all()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path):
    yield from serving(make_app(tmp_path))


def _seed_domains() -> None:
    """Domains' own reference data (pools, …) registered with core.seed.register_seeder."""
    from core.seed import run_seeders
    run_seeders()


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, as in production."""
    yield from serving(make_app(tmp_path, WTF_CSRF_ENABLED=True), domains=False)


@pytest.fixture
def make_user(app):
    """make_user("kjj_editor", unit="kjj", role="editor") -> User (password "password123")."""
    from core.auth.service import create_user

    def make(username=None, *, unit="jxj", role="editor"):
        username = username or f"{unit}_{role}"
        user = create_user(username, "password123", unit=unit, role=role)
        db.session.commit()
        return user
    return make


@pytest.fixture
def login(app):
    """login(user) -> a test client signed in as that user."""
    def do(user, client=None):
        client = client or app.test_client()
        resp = client.post("/login", data={"username": user.username, "password": "password123"})
        assert resp.status_code == 302, resp.data[:500]
        return client
    return do


@pytest.fixture
def admin(make_user):
    return make_user("admin", unit="jxj", role="admin")


def csrf_token_from(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if not match:
        match = re.search(rb'name="csrf-token" content="([^"]+)"', html)
    return match.group(1).decode()
