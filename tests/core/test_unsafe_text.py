"""Control characters, direction overrides and zero-width characters never reach the database unseen.

One rule (core.text) on every input path: page forms (core.forms.FlaskForm, the base of every form),
the JSON API (core.api.Text), imports (core.tabular.cells), the reconcile list and CLI options.
Names and one-line values are refused with a message naming the field (column, line); a page's text
area loses them with a warning; tab and line breaks are kept in text areas, notes and import cells only.
U+200B and the other zero-width characters count as unsafe: invisible, they make equal-looking names
differ.
"""

import flask_wtf
import pytest
from sqlalchemy import func, select

from core import text as unsafe_text
from core.db import db
from core.forms import FlaskForm
from registry.models import Firm
from registry.uscc import generate

BAD = {"RLO": "\u202e", "NUL": "\x00", "BEL": "\x07", "ZWSP": "\u200b"}
CHINESE = "宁波甬江·精密（机械）有限公司"


def _count(model=Firm):
    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- the rule

@pytest.mark.parametrize("name", BAD)
def test_the_rule_refuses_each_and_says_where(app, name):
    text = f"宁波{BAD[name]}公司"
    message = unsafe_text.problem(text)
    assert message and "第 3 个字符" in message and f"U+{ord(BAD[name]):04X}" in message
    assert unsafe_text.problem(f"备注\n第二行{BAD[name]}", multiline=True).startswith("第 2 行第 4 个字符")
    assert unsafe_text.strip(text) == ("宁波公司", 1)


def test_plain_chinese_and_line_breaks(app):
    assert unsafe_text.problem(CHINESE) is None
    assert unsafe_text.problem("第一行\n\t第二行\r\n", multiline=True) is None
    assert unsafe_text.problem("甲\n乙") is not None and unsafe_text.problem("甲\t乙") is not None
    assert unsafe_text.strip("甲\n\t乙") == ("甲\n\t乙", 0)


def test_every_form_of_the_app_applies_the_rule(app):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    forms = [f for f in subclasses(flask_wtf.FlaskForm) if f.__module__.split(".")[0] != "tests"]
    assert len(forms) > 30
    outside = [f"{f.__module__}.{f.__qualname__}" for f in forms if not issubclass(f, FlaskForm)]
    assert not outside, f"forms not derived from core.forms.FlaskForm: {outside}"


# --------------------------------------------------------------------------- a page form

@pytest.fixture
def client(make_user, login):
    return login(make_user("jxj_editor", unit="jxj", role="editor"))


@pytest.mark.parametrize("name", ["RLO", "BEL", "ZWSP"])
def test_form_refuses_a_name_naming_the_field(app, client, name):
    resp = client.post("/registry/firms/new", data={"uscc": generate(), "name": f"宁波{BAD[name]}测试有限公司",
                                                    "park": "", "plan_sector": "", "town_code": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f"U+{ord(BAD[name]):04X}" in html
    assert _count() == 0


def test_form_refuses_nul_cleanly(app, client):
    resp = client.post("/registry/firms/new", data={"uscc": generate(), "name": "宁波\x00测试有限公司"})
    assert resp.status_code == 400 and _count() == 0


def test_form_text_area_is_cleaned_with_a_warning_and_chinese_is_unchanged(app, client):
    code = generate()
    resp = client.post("/registry/firms/new", data={"uscc": code, "name": CHINESE, "park": "", "plan_sector": "",
                                                    "town_code": "",
                                                    "business_scope": "机械制造\u202e；\n技术\u200b开发\t咨询\x07"},
                       follow_redirects=True)
    assert resp.status_code == 200
    assert "个不可见字符" in resp.get_data(as_text=True)            # the warning names the field
    firm = db.session.scalars(select(Firm).where(Firm.uscc == code)).one()
    assert firm.name == CHINESE
    assert firm.business_scope == "机械制造；\n技术开发\t咨询"


# --------------------------------------------------------------------------- the API

@pytest.fixture
def admin_api(app, admin):
    from core.auth.service import issue_token
    from tests.api.conftest import JsonClient
    token = issue_token(admin)
    db.session.commit()
    return JsonClient(app, token)


@pytest.mark.parametrize("name", BAD)
def test_api_post_refuses_naming_the_field(app, admin_api, name):
    resp = admin_api.post("/api/v1/firms", json={"uscc": generate(), "name": f"宁波{BAD[name]}测试有限公司"})
    assert resp.status_code in (400, 422), resp.get_data(as_text=True)[:300]
    assert "name" in resp.json["errors"], resp.json
    assert _count() == 0


def test_api_patch_refuses_and_keeps_line_breaks_in_free_text(app, admin_api):
    created = admin_api.post("/api/v1/firms", json={"uscc": generate(), "name": CHINESE})
    assert created.status_code == 201 and created.json["name"] == CHINESE
    url = f"/api/v1/firms/{created.json['id']}"
    for field, value in (("legal_rep", "张\u202e三"), ("address", "中山路\n1号"), ("business_scope", "制造\u200b")):
        resp = admin_api.patch(url, json={field: value, "version": created.json["version"]})
        assert resp.status_code in (400, 422) and field in resp.json["errors"], (field, resp.json)
    ok = admin_api.patch(url, json={"business_scope": "制造\n销售", "version": created.json["version"]})
    assert ok.status_code == 200, ok.json
    assert db.session.get(Firm, created.json["id"]).business_scope == "制造\n销售"


# --------------------------------------------------------------------------- an import

@pytest.mark.parametrize("name", BAD)
def test_import_refuses_naming_row_and_column(app, make_user, name):
    from core import imports
    editor = make_user("jxj_editor", unit="jxj", role="editor")
    data = f"统一社会信用代码,企业名称\n{generate()},{CHINESE}\n{generate()},宁波{BAD[name]}有限公司\n".encode()
    result = imports.import_and_commit("firms", data, "f.csv", actor=editor)
    assert not result.written and _count() == 0
    if name == "NUL":                    # a NUL byte makes the file unreadable as text: refused whole
        assert result.errors
        return
    [error] = result.errors
    assert error["row"] == 3 and error["column"] == "企业名称" and f"U+{ord(BAD[name]):04X}" in error["message"]


def test_import_of_chinese_text_is_unchanged(app, make_user):
    from core import imports
    editor = make_user("jxj_editor", unit="jxj", role="editor")
    data = f"统一社会信用代码,企业名称,注册地址\n{generate()},{CHINESE},\"宁波市鄞州区\n中山东路1号\"\n".encode()
    result = imports.import_and_commit("firms", data, "f.csv", actor=editor)
    assert result.written, result.errors
    assert db.session.scalars(select(Firm.name)).one() == CHINESE


def test_import_parameter_is_checked(app, make_user):
    from core import imports
    editor = make_user("jxj_editor", unit="jxj", role="editor")
    result = imports.import_and_commit("pool-members", b"x", "f.csv", actor=editor, params={"pool": "甲\u202e乙"})
    assert not result.written and "U+202E" in result.errors[0]["message"]


# --------------------------------------------------------------------------- the reconcile paste

@pytest.mark.parametrize("name", ["RLO", "BEL", "ZWSP"])
def test_reconcile_paste_refuses_naming_the_line(app, client, name):
    from registry import service
    pool = service.active_pools()[0]
    pasted = f"{CHINESE}\n宁波{BAD[name]}有限公司"
    resp = client.post("/registry/reconcile", data={"pool_id": pool.id, "as_of": "2026-03-31",
                                                    "list_name": "2026年名单", "pasted": pasted},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "第 2 行" in html and f"U+{ord(BAD[name]):04X}" in html


def test_reconcile_list_name_is_a_name(app, client):
    from registry import service
    pool = service.active_pools()[0]
    resp = client.post("/registry/reconcile", data={"pool_id": pool.id, "as_of": "2026-03-31",
                                                    "list_name": "2026\u202e名单", "pasted": CHINESE},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "U+202E" in resp.get_data(as_text=True)


def test_reconcile_paste_of_chinese_names_passes(app, client):
    from registry import service
    pool = service.active_pools()[0]
    resp = client.post("/registry/reconcile", data={"pool_id": pool.id, "as_of": "2026-03-31",
                                                    "list_name": "2026年名单", "pasted": f"{CHINESE}\t{generate()}"},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


# --------------------------------------------------------------------------- the CLI

def test_cli_refuses_a_user_name_and_a_note(app):
    from core.auth.models import User
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "ev\u202eil", "--unit", "kjj", "--role", "editor",
                                 "--password-stdin"], input="a-long-password-1\n")
    assert result.exit_code == 2 and "U+202E" in result.output
    assert _count(User) == 0
    result = runner.invoke(args=["periods", "close", "2025-12-31", "--note", "说明\x07"])
    assert result.exit_code == 2 and "U+0007" in result.output
