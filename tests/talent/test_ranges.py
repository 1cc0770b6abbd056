"""A talent's support (万元) within its plausible range on the service and the API; the employer found
or registered by the one registry rule."""
from datetime import date

import pytest
from sqlalchemy import func, select

from core.auth.service import issue_token
from core.db import db
from core.errors import ServiceError
from registry import service as registry
from registry.models import Firm
from registry.uscc import generate
from talent import service
from talent.models import RANGES, Recognition
from tests.talent.conftest import idn
from tests.talent.test_service import register


@pytest.mark.parametrize("support", [100_001, 10**20, "1e20", "Infinity"])
def test_support_out_of_range_is_refused(app, firm, rsj, support):
    with pytest.raises(ServiceError) as info:
        register(rsj, firm, support=support)
    assert info.value.field == "support" and "资助金额" in info.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Recognition.id))) == 0


def test_api_support_bound_matches_the_service(app, firm, rsj):
    token = issue_token(rsj)
    db.session.commit()
    body = {"id_number": idn(555), "name": "李四", "category": "领军人才", "uscc": firm.uscc,
            "recognized_on": "2019-01-01", "support": 10**12}
    resp = app.test_client().post("/api/v1/talents", json=body, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422 and resp.json["errors"]["support"] == [RANGES["support"].message()]


def test_unknown_employer_is_registered_for_review(app, rsj):
    code = generate()
    service.register_talent(rsj, key=service.person_key(idn(556)), name="王五", category="领军人才",
                            uscc=code, firm_name="新用人单位有限公司", recognized_on=date(2019, 1, 1), unit_code="rsj")
    db.session.commit()
    firm = registry.find_firm(code)
    assert firm.name == "新用人单位有限公司" and registry.firms_to_review() == [firm]
    assert db.session.scalar(select(func.count(Firm.id))) == 1
