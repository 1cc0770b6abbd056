"""Canary: a row committed in one test is absent in the next (SQLite and PostgreSQL)."""
from sqlalchemy import func, select

from core.auth.models import User
from core.db import db


def test_commit_a_row(make_user):
    make_user("canary_user", unit="jxj", role="viewer")
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "canary_user")) == 1


def test_row_from_previous_test_is_gone(app):
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "canary_user")) == 0
