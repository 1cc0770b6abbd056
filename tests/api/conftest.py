"""API fixtures: bearer tokens per user, a JSON client, valid credit codes."""
import random

import pytest

from core.auth.service import issue_token
from core.db import db
from registry import uscc as uscc_mod


@pytest.fixture
def token_for(app):
    """token_for(user) -> a fresh bearer token (committed)."""
    def make(user):
        token = issue_token(user)
        db.session.commit()
        return token
    return make


class JsonClient:
    """A test client that sends `Authorization: Bearer TOKEN` (or nothing) and JSON bodies."""

    def __init__(self, app, token=None):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def open(self, method, url, json=None, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, json=json, headers=headers, **kwargs)

    def get(self, url, **kw):
        return self.open("GET", url, **kw)

    def post(self, url, json=None, **kw):
        return self.open("POST", url, json=json, **kw)

    def patch(self, url, json=None, **kw):
        return self.open("PATCH", url, json=json, **kw)


@pytest.fixture
def api_as(app, make_user, token_for):
    """api_as("jxj", role="editor") -> JsonClient with a bearer token of a new user of that unit/role."""
    made = {}

    def make(unit="jxj", role="editor"):
        name = f"api_{unit}_{role}"
        if name not in made:
            made[name] = make_user(name, unit=unit, role=role)
        return JsonClient(app, token_for(made[name]))
    return make


@pytest.fixture
def admin_api(app, admin, token_for):
    return JsonClient(app, token_for(admin))


@pytest.fixture
def code():
    """code() -> a new valid Yinzhou credit code."""
    rng = random.Random(8)
    return lambda: uscc_mod.generate(rng=rng)


@pytest.fixture
def new_firm(admin_api, code):
    """new_firm(name=..., **fields) -> the created firm's JSON (through the API)."""
    def make(name="宁波接口测试科技有限公司", **fields):
        resp = admin_api.post("/api/v1/firms", json={"uscc": code(), "name": name, **fields})
        assert resp.status_code == 201, resp.json
        return resp.json
    return make


def assert_envelope(resp, code):
    """The one error envelope: {"message": str, "code": int, "errors": {field: [str]}}."""
    assert resp.status_code == code, (resp.status_code, resp.get_data(as_text=True)[:500])
    body = resp.json
    assert isinstance(body["message"], str) and body["message"]
    assert body["code"] == code
    assert isinstance(body["errors"], dict)
    for field, messages in body["errors"].items():
        assert isinstance(field, str) and messages and all(isinstance(m, str) for m in messages)
    return body
