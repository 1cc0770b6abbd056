"""Finance's API follows the one find-or-register rule, like its forms and imports (issue 17), and
refuses implausible amounts like them (issue 18)."""
import random

import pytest
from sqlalchemy import func, select

from core.auth.service import issue_token
from core.db import db
from finance.models import RANGES, FinancingEvent, IpoCandidate
from registry import service as registry_service
from registry import uscc as uscc_mod
from registry.models import Firm


@pytest.fixture
def api(app, jrb):
    token = issue_token(jrb)
    db.session.commit()
    client = app.test_client()
    return lambda url, body: client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def new_code():
    rng = random.Random(77)
    return lambda: uscc_mod.generate(rng=rng)


def test_candidate_api_registers_an_unknown_firm_given_a_name(app, api, new_code):
    code = new_code()
    resp = api("/api/v1/ipo-candidates", {"uscc": code, "firm_name": "新上市后备股份有限公司",
                                          "entered_on": "2020-01-02", "board": "创业板"})
    assert resp.status_code == 201, resp.json
    firm = registry_service.find_firm(code)
    assert resp.json["firm"]["uscc"] == code and firm.name == "新上市后备股份有限公司"
    assert (firm.created_by_unit, firm.needs_review) == ("jrb", True)      # on 区经信局's review list
    assert registry_service.firms_to_review() == [firm]


def test_candidate_api_without_a_name_gets_the_one_message(app, api, new_code):
    resp = api("/api/v1/ipo-candidates", {"uscc": new_code(), "entered_on": "2020-01-02", "board": "创业板"})
    assert resp.status_code == 422
    assert resp.json["errors"] == {"firm_name": [registry_service.not_in_registry(name_hint=True)]}
    assert db.session.scalar(select(func.count(Firm.id))) == 0
    assert db.session.scalar(select(func.count(IpoCandidate.id))) == 0


def test_financing_api_registers_an_unknown_firm_given_a_name(app, api, new_code, make_firm):
    code = new_code()
    resp = api("/api/v1/financing-events", {"uscc": code, "firm_name": "新融资科技有限公司", "kind": "IPO",
                                            "amount": 5000, "on": "2020-03-01"})
    assert resp.status_code == 201, resp.json
    assert registry_service.find_firm(code).name == "新融资科技有限公司"
    known = make_firm()
    db.session.commit()
    resp = api("/api/v1/financing-events", {"uscc": known.uscc, "kind": "IPO", "amount": 1, "on": "2020-03-01"})
    assert resp.status_code == 201 and resp.json["firm"]["name"] == known.name


def test_financing_form_registers_an_unknown_firm_given_a_name(app, login, jrb, new_code):
    code = new_code()
    resp = login(jrb).post("/finance/financing/new", data={"uscc": code, "firm_name": "表单登记有限公司",
                                                           "kind": "IPO", "amount": "100", "on": "2020-03-01"})
    assert resp.status_code == 302
    assert registry_service.find_firm(code).name == "表单登记有限公司"


@pytest.mark.parametrize("amount", [100_000_001, 1e20])
def test_financing_amount_out_of_range_is_refused_alike(app, api, login, jrb, make_firm, amount):
    firm = make_firm()
    db.session.commit()
    resp = api("/api/v1/financing-events", {"uscc": firm.uscc, "kind": "IPO", "amount": amount, "on": "2020-03-01"})
    assert resp.status_code == 422 and "amount" in resp.json["errors"]
    page = login(jrb).post("/finance/financing/new", data={"uscc": firm.uscc, "kind": "IPO", "amount": str(amount),
                                                           "on": "2020-03-01"})
    assert page.status_code == 200 and RANGES["amount"].message() in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FinancingEvent.id))) == 0
