"""Talent fixtures: firms, talent-unit users, valid and invalid ID numbers."""
import random
from datetime import date

import pytest

from core.db import db
from registry import service as registry
from registry import uscc as uscc_mod
from talent import resident_id


@pytest.fixture
def firm_factory(app, admin):
    rng = random.Random(7)

    def make(name="宁波甬芯电子有限公司"):
        firm = registry.create_firm(admin, uscc=uscc_mod.generate(rng=rng), name=name)
        db.session.commit()
        return firm
    return make


@pytest.fixture
def firm(firm_factory):
    return firm_factory()


@pytest.fixture
def rsj(make_user):
    return make_user("rsj_editor", unit="rsj", role="editor")


@pytest.fixture
def rcb(make_user):
    return make_user("rcb_editor", unit="rcb", role="editor")


@pytest.fixture
def kjj(make_user):
    return make_user("kjj_editor", unit="kjj", role="editor")


@pytest.fixture
def manager(make_user):
    return make_user("manager", unit="ldxz", role="manager")


def idn(seq=123, birth=date(1985, 3, 4), region="330212") -> str:
    """A valid resident ID number for tests."""
    return resident_id.generate(region=region, birth=birth, seq=seq)


def bad_check(number: str) -> str:
    """The same number with a wrong check character."""
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong
