"""Permission matrix generated from app.url_map: a new route without a check fails here.

- every endpoint except the public ones carries `@requires(...)` and refuses anonymous users;
- every write (POST/PUT/PATCH/DELETE) refuses viewers and the editors of units that do not own it.
"""
import pytest

from core.permissions import DOMAIN_UNITS, EVERYONE, PUBLIC_ENDPOINTS

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ALL_UNITS = ("jxj", "kjj", "jrb", "rsj", "rcb", "scjgj")


def _sample_args(app, rule) -> dict:
    from core import imports
    kinds = sorted(imports.kinds())
    samples = {"etype": "registry.firm", "kind": kinds[0] if kinds else "firms", "key": "single_champion_pool",
               "lang": "en", "code": "en", "token": "1-x", "filename": "x.xlsx", "board": "创业板"}
    args = {}
    for name in rule.arguments:
        conv = type(rule._converters[name]).__name__
        args[name] = 1 if conv in ("IntegerConverter",) else samples.get(name, "x")
    return args


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith("static"):
            continue
        yield rule


def _perm(app, rule, args) -> str:
    perm = app.view_functions[rule.endpoint].required_permission
    if "{domain}" in perm:
        from core import imports
        from core.records import ENTITIES
        domain = ENTITIES[args["etype"]].domain if "etype" in args else imports.kinds()[args["kind"]].domain
        perm = perm.replace("{domain}", domain)
    return perm


def test_every_endpoint_declares_a_permission(app):
    missing = [r.endpoint for r in _rules(app) if not hasattr(app.view_functions[r.endpoint], "required_permission")]
    assert missing == [], f"routes without @requires: {missing}"


def test_anonymous_is_refused_everywhere(app):
    client = app.test_client()
    failures = []
    for rule in _rules(app):
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **_sample_args(app, rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method)
            ok = resp.status_code == 401 or (resp.status_code == 302 and "/login" in resp.headers.get("Location", ""))
            if not ok:
                failures.append((rule.endpoint, method, resp.status_code))
    assert failures == []


@pytest.fixture
def clients(app, make_user, login):
    out = {"viewer": login(make_user("matrix_viewer", unit="scjgj", role="viewer"))}
    for unit in ALL_UNITS:
        out[unit] = login(make_user(f"matrix_{unit}", unit=unit, role="editor"))
    return out


def _writes(app):
    for rule in _rules(app):
        methods = (rule.methods & WRITE_METHODS)
        if not methods:
            continue
        with app.test_request_context():
            from flask import url_for
            args = _sample_args(app, rule)
            url = url_for(rule.endpoint, **args)
        perm = _perm(app, rule, args)
        if perm in EVERYONE or perm.endswith(".export"):   # starting a long export (a job) writes no data:
            continue                                        # every unit's editors export, as with GET

        yield rule, url, perm, methods


def test_writes_refuse_viewers_and_other_units(app, clients):
    failures, checked = [], 0
    for rule, url, perm, methods in _writes(app):
        domain, _, action = perm.partition(".")
        refused = ["viewer"]
        if domain in DOMAIN_UNITS:
            refused += [u for u in ALL_UNITS if u not in DOMAIN_UNITS[domain]]
        elif action in ("approve", "admin", "verify", "users", "reference", "close", "reopen"):
            refused += list(ALL_UNITS)
        for who in refused:
            for method in methods:
                resp = clients[who].open(url, method=method, data={})
                checked += 1
                if resp.status_code != 403:
                    failures.append((rule.endpoint, method, who, resp.status_code))
    assert failures == []
    assert checked > 0
