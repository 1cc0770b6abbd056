"""Helpers for the reliability tests: a throwaway database (SQLite file, or a PostgreSQL database of its
own on TEST_DATABASE_URL's server) with the schema, and `flask --app wsgi import` subprocesses on it."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
TEST_DB = os.environ.get("TEST_DATABASE_URL", "")
ON_PG = TEST_DB.startswith("postgres")


def _psycopg(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


class ScratchDB:
    """A database the tests own: created with the full schema and seed data, dropped afterwards."""

    def __init__(self, tmp_path: Path, engine_kind: str):
        self.tmp = tmp_path
        self.instance = tmp_path / "instance"
        self.instance.mkdir(exist_ok=True)
        self.name = None
        if engine_kind == "postgresql":
            import psycopg
            self.name = f"reliability_{secrets.token_hex(4)}"
            with psycopg.connect(_psycopg(TEST_DB), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            head = _psycopg(TEST_DB).rsplit("/", 1)[0]
            self.url = "postgresql+psycopg://" + head.split("://", 1)[1] + "/" + self.name
        else:
            self.path = tmp_path / "scratch.db"
            self.url = f"sqlite:///{self.path}"
        self._create_schema()
        self.engine = create_engine(self.url)

    def _create_schema(self) -> None:
        from composition import create_app
        from core.db import db
        from core.seed import run_seeders, seed_units
        app = create_app({"SQLALCHEMY_DATABASE_URI": self.url, "INSTANCE_PATH": str(self.instance),
                          "SECRET_KEY": "reliability", "PII_HASH_KEY": "reliability", "LOG_LEVEL": "WARNING"})
        with app.app_context():
            db.create_all()
            seed_units()
            run_seeders()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(DATABASE_URL=self.url, INSTANCE_PATH=str(self.instance), SECRET_KEY="reliability",
                   PII_HASH_KEY="reliability", LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
        return env

    def import_cmd(self, path: Path, kind: str = "firms") -> list[str]:
        return [FLASK, "--app", "wsgi", "import", kind, str(path)]

    def popen(self, path: Path, kind: str = "firms", **kw) -> subprocess.Popen:
        return subprocess.Popen(self.import_cmd(path, kind), cwd=ROOT, env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, **kw)

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def drop(self) -> None:
        self.engine.dispose()
        if self.name:
            import psycopg
            with psycopg.connect(_psycopg(TEST_DB), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def scratch_db(tmp_path, request):
    """ScratchDB on PostgreSQL when TEST_DATABASE_URL is set, else on a SQLite file."""
    db = ScratchDB(tmp_path, "postgresql" if ON_PG else "sqlite")
    yield db
    db.drop()


def firm_csv(path: Path, rows: list[dict]) -> Path:
    """Write firms (bench.generate.firms rows) as a UTF-8-with-BOM CSV in the export format."""
    from bench.generate import FIRM_HEADERS, _csv_bytes, firm_cells
    path.write_bytes(_csv_bytes(FIRM_HEADERS, (firm_cells(f) for f in rows)))
    return path
