"""Fixtures for goals tests: users, firms in pools through the registry's own services."""
from datetime import date

import pytest

from core.db import db


@pytest.fixture
def editor(make_user):
    return make_user("jxj_editor", unit="jxj", role="editor")


@pytest.fixture
def manager(make_user):
    return make_user("manager", unit="ldxz", role="manager")


@pytest.fixture
def goal():
    from goals.rollup import get_goal
    return get_goal


@pytest.fixture
def champion_firms(admin):
    """Three firms entering the 单项冠军 pool on 2018-03-01, 2018-06-01 and 2019-01-15; the
    second leaves on 2019-02-01. Returns (firms, memberships)."""
    from registry import service as reg
    from registry.uscc import generate
    pool = reg.pool_by_key("single_champion")
    assert pool is not None, "registry seeder should create the single_champion pool"
    firms, members = [], []
    for i, (name, entered) in enumerate((("甲精密机械有限公司", date(2018, 3, 1)),
                                         ("乙新材料股份有限公司", date(2018, 6, 1)),
                                         ("丙电子科技有限公司", date(2019, 1, 15)))):
        firm = reg.create_firm(admin, uscc=generate(org_prefix=f"MA2G{i}"), name=name)
        db.session.flush()
        firms.append(firm)
        members.append(reg.enter_pool(admin, firm=firm, pool=pool, entered_on=entered, reason="test"))
    reg.exit_pool(admin, members[1], exited_on=date(2019, 2, 1), reason="降级")
    db.session.commit()
    return firms, members
