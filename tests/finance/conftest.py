"""Finance fixtures: firms through the registry service, finance users."""
import random

import pytest

from core.db import db
from registry import service as registry_service
from registry import uscc as uscc_mod


@pytest.fixture
def jrb(make_user):
    return make_user("jrb_editor", unit="jrb", role="editor")


@pytest.fixture
def make_firm(app, jrb):
    rng = random.Random(5)
    counter = iter(range(1, 10_000))

    def make(name=None):
        firm = registry_service.create_firm(jrb, uscc=uscc_mod.generate(rng=rng),
                                            name=name or f"宁波测试{next(counter)}号科技有限公司")
        db.session.flush()
        return firm
    return make


@pytest.fixture
def set_facts(app, jrb):
    def do(firm, year, **values):
        registry_service.upsert_fact(jrb, firm, year, **values)
        db.session.flush()
    return do
