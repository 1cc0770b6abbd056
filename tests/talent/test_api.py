"""Talent API: the same privacy rule as the pages; the clear ID goes in and never comes out."""
import json
import logging

import pytest
from sqlalchemy import func, select, text

from core.auth.service import issue_token
from core.db import db
from talent.models import Person
from tests.talent.conftest import bad_check, idn

ID_A = idn(123)


def _client(app, user):
    token = issue_token(user)
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _text(resp) -> str:
    return json.dumps(resp.get_json(), ensure_ascii=False)


def _body(firm, **extra):
    body = {"id_number": ID_A, "name": "张三", "category": "领军人才", "programme": "甬江引才工程",
            "uscc": firm.uscc, "recognized_on": "2018-05-01", "support": 50}
    body.update(extra)
    return body


def test_create_list_and_summary(app, firm, rsj, rcb, manager, kjj, caplog):
    caplog.set_level(logging.DEBUG)
    resp = _client(app, rsj).post("/api/v1/talents", json=_body(firm))
    assert resp.status_code == 201, resp.get_json()
    assert ID_A not in resp.get_data(as_text=True)
    resp = _client(app, rcb).post("/api/v1/talents", json=_body(firm, category="千人计划专家", programme="千人计划"))
    assert resp.status_code == 201 and resp.get_json()["outcome"] == "created"
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    listing = _text(_client(app, rcb).get("/api/v1/talents"))
    assert "张三" in listing and ID_A not in listing and ID_A[:4] + "*" * 10 in listing
    for user in (manager, kjj):
        client = _client(app, user)
        summary = client.get("/api/v1/talents/summary?as_of=2020-01-01")
        assert summary.status_code == 200
        data = summary.get_json()
        assert data["leading_talents"] == 1 and data["categories"]["千人计划专家"] == 1
        assert "张三" not in _text(summary) and ID_A[-4:] not in _text(summary)
        assert client.get("/api/v1/talents").status_code == 403
        person_id = db.session.scalars(select(Person.id)).one()
        assert client.get(f"/api/v1/talents/{person_id}").status_code == 403
    assert ID_A not in caplog.text


@pytest.mark.parametrize("who", ["kjj", "manager"])
def test_others_cannot_write(app, firm, request, who):
    resp = _client(app, request.getfixturevalue(who)).post("/api/v1/talents", json=_body(firm))
    assert resp.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_bad_id_is_a_field_error_without_the_number(app, firm, rsj):
    bad = bad_check(ID_A)
    resp = _client(app, rsj).post("/api/v1/talents", json=_body(firm, id_number=bad))
    assert resp.status_code in (400, 422)
    body = _text(resp)
    assert "id_number" in resp.get_json()["errors"] and bad not in body and bad[:17] not in body
    dump = " ".join(str(r) for r in db.session.execute(text("SELECT * FROM core_audit_entries")))
    assert bad not in dump
