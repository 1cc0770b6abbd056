"""core.db.pg_planner: planner settings for the statements of a block, put back afterwards."""
from sqlalchemy import text

from core.db import db, pg_planner


def _setting(name):
    return db.session.scalar(text(f"SELECT current_setting('{name}')"))


def test_settings_hold_inside_and_are_put_back(app):
    if db.session.get_bind().dialect.name != "postgresql":
        with pg_planner(enable_seqscan="off"):          # nothing to set on SQLite, and no error
            assert db.session.scalar(text("SELECT 1")) == 1
        return
    before = (_setting("enable_seqscan"), _setting("work_mem"))
    with pg_planner(enable_seqscan="off", work_mem="7MB"):
        assert (_setting("enable_seqscan"), _setting("work_mem")) == ("off", "7MB")
    assert (_setting("enable_seqscan"), _setting("work_mem")) == before
    db.session.rollback()
    assert (_setting("enable_seqscan"), _setting("work_mem")) == before
