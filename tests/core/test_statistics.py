"""The planner-statistics job and the refresh after a large import."""
from datetime import date

import pytest
from sqlalchemy import text

from core import scheduler
from core.db import db, is_sqlite


def test_statistics_job_runs_and_sqlite_gets_stat_tables(app):
    run = scheduler.run_job("core.statistics", date(2026, 1, 2))
    assert run.status == "ok", run.summary
    if is_sqlite():
        assert run.summary == "ANALYZE done"
        assert db.session.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 1
    else:
        assert "autovacuum" in run.summary
    assert scheduler.run_job("core.statistics", date(2026, 1, 2)) is None     # once per day


def test_a_large_import_refreshes_the_statistics(app, make_user, monkeypatch):
    from core import imports
    from registry.uscc import generate
    if not is_sqlite():
        pytest.skip("PostgreSQL keeps its statistics by autovacuum")
    monkeypatch.setattr(imports, "ANALYZE_AFTER", 2)
    editor = make_user("jxj_editor", unit="jxj", role="editor")
    data = "统一社会信用代码,企业名称\n" + "".join(f"{generate()},宁波统计{i}有限公司\n" for i in range(3))
    result = imports.import_and_commit("firms", data.encode(), "f.csv", actor=editor)
    assert result.created == 3
    stats = db.session.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'registry_firms'")).scalar()
    assert stats >= 1
