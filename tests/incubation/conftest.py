"""Incubation fixtures: a science-bureau editor, carriers and registry firms built through the services."""
from datetime import date
from itertools import count

import pytest

from core.db import db
from incubation import service
from registry import service as registry
from registry.uscc import generate

_seq = count(1)


@pytest.fixture
def kjj(make_user):
    return make_user("kjj_editor", unit="kjj", role="editor")


@pytest.fixture
def make_carrier(kjj):
    def make(name=None, *, carrier_type="众创空间", level="区级", opened_on=date(2016, 1, 1), **fields):
        carrier = service.create_carrier(kjj, name=name or f"测试载体{next(_seq)}", carrier_type=carrier_type,
                                         level=level, opened_on=opened_on, **fields)
        db.session.commit()
        return carrier
    return make


@pytest.fixture
def make_firm(kjj):
    def make(name=None, uscc=None):
        firm = registry.create_firm(kjj, uscc=uscc or generate(), name=name or f"测试企业{next(_seq)}有限公司")
        db.session.commit()
        return firm
    return make
