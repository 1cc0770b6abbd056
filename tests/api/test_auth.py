"""Bearer tokens: no token / bad token → 401 JSON envelope; a good token → 200 and no session cookie."""
from core.auth.models import ApiToken
from core.db import db, utcnow
from tests.api.conftest import JsonClient, assert_envelope


def test_no_token_is_401_json(app):
    resp = JsonClient(app).get("/api/v1/firms")
    body = assert_envelope(resp, 401)
    assert body["errors"] == {}


def test_bad_token_is_401(app):
    for header in ("Bearer nope", "Bearer ", "Basic YWRtaW46cGFzc3dvcmQ=", "bearer yz_x"):
        resp = app.test_client().get("/api/v1/firms", headers={"Authorization": header})
        assert_envelope(resp, 401)


def test_good_token_is_200_without_a_session_cookie(app, admin, token_for):
    resp = JsonClient(app, token_for(admin)).get("/api/v1/firms")
    assert resp.status_code == 200
    assert resp.json["items"] == [] and resp.json["total"] == 0
    assert "Set-Cookie" not in resp.headers


def test_revoked_token_and_inactive_user_are_401(app, admin, make_user, token_for):
    token = token_for(admin)
    row = db.session.query(ApiToken).one()
    row.revoked_at = utcnow()
    db.session.commit()
    assert_envelope(JsonClient(app, token).get("/api/v1/firms"), 401)
    user = make_user("gone", unit="jxj", role="editor")
    token = token_for(user)
    user.active = False
    db.session.commit()
    assert_envelope(JsonClient(app, token).get("/api/v1/firms"), 401)


def test_anonymous_writes_are_401_before_any_parsing(app):
    resp = app.test_client().post("/api/v1/firms", data="not json", content_type="application/json")
    assert_envelope(resp, 401)


def test_unknown_api_path_and_method_are_json(admin_api):
    assert_envelope(admin_api.get("/api/v1/nothing-here"), 404)
    assert_envelope(admin_api.open("DELETE", "/api/v1/firms"), 405)


def test_openapi_document(app, admin_api):
    assert_envelope(app.test_client().get("/api/v1/openapi.json"), 401)
    resp = admin_api.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.json
    assert spec["openapi"] == "3.0.3" and spec["info"]["version"] == "v1"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "flask --app wsgi users token NAME"}
    assert spec["security"] == [{"bearerAuth": []}]
    uscc = spec["components"]["schemas"]["FirmCreate"]["properties"]["uscc"]
    assert uscc["format"] == "uscc" and uscc["pattern"] == "^[0-9A-HJ-NPQRTUWXY]{18}$"
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert {"message", "code", "errors"} <= set(error)
    for path in ("/api/v1/firms", "/api/v1/firms/{firm_id}", "/api/v1/firms/by-uscc/{code}", "/api/v1/pools",
                 "/api/v1/pools/{pool_key}/members", "/api/v1/carriers", "/api/v1/tenancies",
                 "/api/v1/ipo-candidates", "/api/v1/ipo-candidates/{candidate_id}/stages",
                 "/api/v1/financing-events", "/api/v1/financing-events/annual-totals", "/api/v1/talents",
                 "/api/v1/talents/summary", "/api/v1/goals", "/api/v1/goals/{key}/records"):
        assert path in spec["paths"], path
    assert not [r.rule for r in app.url_map.iter_rules() if "swagger" in r.rule or "redoc" in r.rule]


def test_session_writes_need_csrf_but_bearer_writes_do_not(csrf_app, code):
    from core.auth.service import create_user, issue_token
    user = create_user("csrf_jxj", "password123", unit="jxj", role="editor")
    token = issue_token(user)
    db.session.commit()
    bearer = JsonClient(csrf_app, token).post("/api/v1/firms", json={"uscc": code(), "name": "宁波甲公司"})
    assert bearer.status_code == 201, bearer.json
    browser = csrf_app.test_client()
    page = browser.get("/login")
    from tests.conftest import csrf_token_from
    browser.post("/login", data={"username": "csrf_jxj", "password": "password123",
                                 "csrf_token": csrf_token_from(page.data)})
    resp = browser.post("/api/v1/firms", json={"uscc": code(), "name": "宁波乙公司"})
    assert_envelope(resp, 400)
    assert browser.get("/api/v1/firms").status_code == 200
