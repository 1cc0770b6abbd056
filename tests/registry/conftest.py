"""Registry fixtures: users of the owning unit and others, a firm factory, pools."""
import random

import pytest

from core.db import db
from registry import service, uscc


@pytest.fixture
def editor(make_user):
    return make_user("jxj_editor", unit="jxj", role="editor")


@pytest.fixture
def make_code():
    rng = random.Random(42)
    return lambda region="330212": uscc.generate(region=region, rng=rng)


@pytest.fixture
def make_firm(app, editor, make_code):
    """make_firm(name="...", **fields) -> committed Firm with a fresh valid code."""
    def make(name="宁波测试科技有限公司", code=None, **fields):
        firm = service.create_firm(editor, uscc=code or make_code(), name=name, **fields)
        db.session.commit()
        return firm
    return make


@pytest.fixture
def pool(app):
    return service.pool_by_key("high_growth")
