"""Reference data every installation needs: the plan's responsible units; demo users."""
import secrets
import tomllib
from pathlib import Path

from sqlalchemy import select

from core.auth.models import Unit, User
from core.auth.service import create_user
from core.db import db

UNITS_FILE = Path(__file__).parent / "data" / "units.toml"

DEMO_USERS = (
    ("admin", "jxj", "admin", "系统管理员"),
    ("manager", "ldxz", "manager", "领导小组"),
    ("jxj_editor", "jxj", "editor", "区经信局编辑"),
    ("kjj_editor", "kjj", "editor", "区科技局编辑"),
    ("jrb_editor", "jrb", "editor", "区金融办编辑"),
    ("rsj_editor", "rsj", "editor", "区人力社保局编辑"),
    ("viewer", "scjgj", "viewer", "区市场监管局查看"),
)


_SEEDERS: list = []


def register_seeder(fn) -> None:
    """Add a declared seeder `fn() -> str` that loads a domain's reference data idempotently."""
    if fn not in _SEEDERS:
        _SEEDERS.append(fn)


def run_seeders() -> list[str]:
    return [str(fn() or "") for fn in _SEEDERS]


def seed_units() -> int:
    """Insert or update the units named in the plan. Idempotent; returns how many were added."""
    with open(UNITS_FILE, "rb") as fh:
        rows = tomllib.load(fh)["unit"]
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    added = 0
    for row in rows:
        unit = existing.get(row["code"])
        if unit is None:
            db.session.add(Unit(code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"], kind=row["kind"]))
            added += 1
        else:
            unit.name_zh, unit.name_en, unit.kind = row["name_zh"], row["name_en"], row["kind"]
    db.session.flush()
    return added


def seed_demo_users() -> list[tuple[str, str, str, str]]:
    """Create the demo users that do not exist yet, with random passwords (returned once)."""
    created = []
    for username, unit, role, name in DEMO_USERS:
        if db.session.scalars(select(User).where(User.username == username)).first():
            continue
        password = secrets.token_urlsafe(9)
        create_user(username, password, unit=unit, role=role, display_name=name)
        created.append((username, password, unit, role))
    return created
