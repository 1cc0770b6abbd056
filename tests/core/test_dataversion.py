"""The data version: every committed write bumps it, nothing else does, and computed figures cached
under it are never served after a commit — in this session, another session, or another app process."""
from datetime import date

from sqlalchemy import text

from core import dataversion, indicators
from core.db import db
from registry import service as reg
from registry.uscc import generate

DAY = date(2020, 1, 1)


def _version():
    return db.session.execute(text("SELECT version FROM core_data_version WHERE id = 1")).scalar()


def _champion(admin, name):
    firm = reg.create_firm(admin, uscc=generate(), name=name)
    db.session.flush()
    reg.enter_pool(admin, firm=firm, pool=reg.pool_by_key("single_champion"), entered_on=date(2019, 1, 1))
    return firm


def test_commits_that_write_bump_the_version_once(app, admin):
    before = _version()
    reg.create_firm(admin, uscc=generate(), name="版本测试一有限公司")
    db.session.commit()
    assert _version() == before + 1
    db.session.commit()                                   # nothing written: no bump
    db.session.execute(text("SELECT 1"))
    db.session.commit()
    assert _version() == before + 1
    reg.create_firm(admin, uscc=generate(), name="版本测试二有限公司")
    db.session.flush()
    db.session.rollback()                                 # rolled back: no bump
    assert _version() == before + 1


def test_bulk_insert_bumps_the_version(app, admin):
    """The imports' bulk path (one executemany outside the ORM's unit of work) is a write too."""
    before = _version()
    reg.insert_firms(admin, [reg.draft_firm(admin, uscc=generate(), name="批量写入有限公司")])
    db.session.commit()
    assert _version() == before + 1


def test_cached_figure_follows_every_commit(app, admin):
    dataversion.clear_cache()
    _champion(admin, "甲冠军有限公司")
    db.session.commit()
    assert indicators.compute("single_champion_pool", DAY) == 1
    assert indicators.compute("single_champion_pool", DAY) == 1          # served from the cache
    _champion(admin, "乙冠军有限公司")
    db.session.flush()
    assert indicators.compute("single_champion_pool", DAY) == 2          # own uncommitted write: no cache
    db.session.rollback()
    assert indicators.compute("single_champion_pool", DAY) == 1          # the rolled-back write left no trace
    _champion(admin, "丙冠军有限公司")
    db.session.commit()
    assert indicators.compute("single_champion_pool", DAY) == 2


def test_a_write_through_another_app_is_seen_at_once(app, admin, tmp_path):
    """Two app instances on one database (as two gunicorn workers or hosts): a commit through the
    second is visible in the first's figure at once, though the first had it cached."""
    from tests.conftest import TEST_DB, make_app
    if not TEST_DB:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
        first = make_app(tmp_path / "a", SQLALCHEMY_DATABASE_URI=url)
        with first.app_context():
            db.create_all()
            from core.seed import run_seeders, seed_units
            seed_units()
            run_seeders()
            db.session.commit()
    else:
        first = app
    second = make_app(tmp_path / "b", SQLALCHEMY_DATABASE_URI=first.config["SQLALCHEMY_DATABASE_URI"])
    dataversion.clear_cache()
    with first.app_context():
        before = indicators.compute("single_champion_pool", DAY)
        assert indicators.compute("single_champion_pool", DAY) == before
    with second.app_context():
        from core.auth.service import create_user
        actor = create_user("second_admin", "password123", unit="jxj", role="admin")
        _champion(actor, "丁冠军有限公司")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with first.app_context():
        assert indicators.compute("single_champion_pool", DAY) == before + 1
        if not TEST_DB:
            db.session.remove()
            db.engine.dispose()
