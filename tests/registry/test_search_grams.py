"""Firm search's short-fragment index (registry_firm_grams, kept by triggers) and the list's capped
count and name-index page (registry/queries.find), on SQLite and PostgreSQL.

Every path that writes a firm's name, former names or code — form, API PATCH, import, bulk insert,
merge, import undo, a plain DELETE — leaves the index equal to what it should hold (computed here in
Python from the table), and the search finds the new name and not the old one."""
import csv
import io
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from core import imports
from core.auth.service import issue_token
from core.dates import today as cn_today
from core.db import db
from registry import queries, search, service
from registry.models import Firm
from tests.conftest import TEST_DB, _url, make_app

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _grams_of(*values) -> set[str]:
    out = set()
    for value in values:
        v = (value or "").translate(_LOWER)
        out.update(v[i:i + 2] for i in range(len(v)))
    return out


def assert_index_in_step():
    rows = db.session.execute(select(Firm.id, Firm.name, Firm.former_names_text, Firm.uscc)).all()
    expected = {(g, fid) for fid, name, former, code in rows for g in _grams_of(name, former, code)}
    actual = set(db.session.execute(select(search.grams.c.gram, search.grams.c.firm_id)).tuples())
    assert actual == expected


def names_found(q: str, **kw) -> set[str]:
    return {f.name for f in queries.find(queries.FirmFilter(q=q, **kw), cn_today()).items}


def test_grams_of_a_firm(app, make_firm):
    firm = make_firm(name="宁波Ab公司")
    rows = set(db.session.scalars(select(search.grams.c.gram).where(search.grams.c.firm_id == firm.id)))
    assert {"宁波", "波a", "ab", "b公", "公司", "司"} <= rows and "AB" not in rows
    assert firm.uscc[-2:].lower() in rows and firm.uscc[-1].lower() in rows
    assert_index_in_step()


def test_short_fragments_answer_like_the_substring_rule(app, make_firm):
    made = [make_firm(name=n) for n in ("宁波瑞博科技有限公司", "博瑞电子", "ABC智能（宁波）", "西安", "禄")]
    made[1].former_names = ["甬江老厂"]
    db.session.commit()
    names = {f.name: f for f in made}

    def rule(q):
        frag, code = q.translate(_LOWER), q.upper()
        return {n for n, f in names.items() if frag in n.translate(_LOWER)
                or frag in (f.former_names_text or "").translate(_LOWER) or code in f.uscc}
    for q in ("瑞博", "博瑞", "宁波", "瑞", "禄", "老厂", "江", "ab", "C", "c智", "）", "%", "_", "无", "9", "91"):
        assert names_found(q) == rule(q), q


def test_form_edit_keeps_the_index(app, login, editor, make_firm):
    firm = make_firm(name="凯禄旧名有限公司")
    client = login(editor)
    data = {"name": "瑞博新名有限公司", "capital": "", "town_code": "", "park": "", "plan_sector": "",
            "version": str(firm.version), "former_names": ""}
    assert client.post(f"/registry/firms/{firm.id}/edit", data=data).status_code == 302
    assert_index_in_step()
    assert "瑞博新名有限公司" in names_found("瑞博") and "瑞博新名有限公司" in names_found("凯禄")  # a former name now
    data = {**data, "version": str(db.session.get(Firm, firm.id).version), "former_names": ""}
    data["name"] = "瑞博新名有限公司"
    assert client.post(f"/registry/firms/{firm.id}/edit", data=data).status_code == 302
    assert_index_in_step()
    assert names_found("凯禄") == set() and names_found("禄") == set()


def test_api_patch_keeps_the_index(app, editor, make_firm):
    firm = make_firm(name="凯禄旧名有限公司")
    token = issue_token(editor)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    resp = app.test_client().patch(f"/api/v1/firms/{firm.id}", headers=headers,
                                   json={"version": firm.version, "name": "瑞博新名有限公司"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    db.session.expire_all()
    assert_index_in_step()
    assert names_found("瑞博") == {"瑞博新名有限公司"} and names_found("凯禄") == {"瑞博新名有限公司"}  # former name
    resp = app.test_client().patch(f"/api/v1/firms/{firm.id}", headers=headers,
                                   json={"version": resp.get_json()["version"], "former_names": []})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    db.session.expire_all()
    assert_index_in_step()
    assert names_found("凯禄") == set() and names_found("禄") == set()


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["企业名称", "统一社会信用代码", "曾用名"], *rows])
    return out.getvalue().encode("utf-8")


def test_import_and_its_undo_keep_the_index(app, editor, make_firm, make_code):
    known = make_firm(name="凯禄旧名有限公司")
    rows = [["瑞博新名有限公司", known.uscc, ""], ["甬江新厂有限公司", make_code(), "老厂"]]
    result = imports.run_import("firms", _csv(rows), "firms.csv", actor=editor)
    assert result.written and not result.errors, result.errors
    db.session.commit()
    assert_index_in_step()
    assert names_found("瑞博") == {"瑞博新名有限公司"} and names_found("老厂") == {"甬江新厂有限公司"}
    imports.undo_batch(db.session.get(imports.ImportBatch, result.batch_id), editor)
    db.session.commit()
    db.session.expire_all()
    assert_index_in_step()
    assert names_found("瑞博") == set() and names_found("凯禄") == {"凯禄旧名有限公司"}
    assert names_found("老厂") == set()          # the created firm is archived by the undo
    assert names_found("老厂", archived=True) == {"甬江新厂有限公司"}


def test_bulk_insert_keeps_the_index(app, editor, make_code):
    from registry import firms as firm_rules
    drafts = [firm_rules.draft_firm(editor, uscc=make_code(), name=n) for n in ("瑞博一号公司", "凯禄二号公司")]
    firm_rules.insert_firms(editor, drafts)            # core.db.insert_rows: COPY on PostgreSQL
    db.session.commit()
    assert_index_in_step()
    assert names_found("瑞博") == {"瑞博一号公司"} and names_found("禄") == {"凯禄二号公司"}


def test_merge_keeps_the_index(app, editor, make_firm):
    keep, dup = make_firm(name="宁波瑞博有限公司"), make_firm(name="凯禄重复公司", former_names="甬江老厂")
    service.merge_firms(editor, keep, dup)
    db.session.commit()
    assert_index_in_step()
    assert names_found("凯禄") == {"宁波瑞博有限公司"} and names_found("老厂") == {"宁波瑞博有限公司"}


def test_delete_and_plain_sql_keep_the_index(app, make_firm):
    firm, other = make_firm(name="凯禄旧名有限公司"), make_firm(name="瑞博有限公司")
    db.session.execute(text("UPDATE registry_firms SET name = '甬江新名公司' WHERE id = :id"), {"id": firm.id})
    db.session.execute(text("DELETE FROM registry_firms WHERE id = :id"), {"id": other.id})
    db.session.commit()
    db.session.expire_all()
    assert_index_in_step()
    assert names_found("甬江") == {"甬江新名公司"} and names_found("凯禄") == set() and names_found("瑞博") == set()


# ----------------------------------------------------------------------------- capped count, name-index page

@pytest.fixture
def many(make_firm):
    names = [f"宁波{c}科技有限公司" for c in "甲乙丙丁戊己庚辛壬癸"] + ["凯禄贸易有限公司", "瑞博电子有限公司"]
    return [make_firm(name=n) for n in names]


def test_count_is_capped(app, many, monkeypatch, login, editor):
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    found = queries.find(queries.FirmFilter(q="科技"), cn_today())
    assert (found.total, found.capped, len(found.items)) == (5, True, 10)
    exact = queries.find(queries.FirmFilter(q="瑞博"), cn_today())
    assert (exact.total, exact.capped) == (1, False)
    assert queries.find(queries.FirmFilter(), cn_today()).total == 12     # no text search: exact
    html = login(editor).get("/registry/?q=科技").get_data(as_text=True)
    assert "超过 5 家" in html
    token = issue_token(editor)
    db.session.commit()
    api = app.test_client().get("/api/v1/firms?q=科技", headers={"Authorization": f"Bearer {token}"})
    assert api.get_json()["total"] == 5 and api.get_json()["total_capped"] is True
    assert api.headers["X-Total-Count"] == "5"
    plain = app.test_client().get("/api/v1/firms?q=瑞博", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert plain["total"] == 1 and "total_capped" not in plain


def test_capped_count_in_english(app, many, monkeypatch, login, editor):
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    client = login(editor)
    client.get("/lang/en")
    assert "more than 5 firms" in client.get("/registry/?q=科技").get_data(as_text=True)


@pytest.mark.parametrize("q", ["科技", "宁波", "禄", "公", "司", "ab", "AB", "Ａb", "c", "C智", "%", "_", "）", "9", "贸易",
                               "凯禄贸", "无", "科技有", "凯禄科技", "宁波已注销", "（宁波）", "%_%", "ABC智", "abc智",
                               "ｃ智能", "ｃ智能（", "无此名称"])
def test_count_from_an_index_equals_the_like_count(app, many, make_firm, q):
    """The count of a fragment read from an index alone (registry.search.exact_hits: the grams for one or
    two characters, SQLite's trigram index for three or more caseless ones) is the LIKE count: archived
    firms left out unless asked for, former names and codes included, and a fragment of two spellings
    (full-width, where the code form differs) or with cased letters still counted with LIKE."""
    extra = make_firm(name="ABC智能（宁波）贸易有限公司")
    extra.former_names = ["凯禄科技"]
    gone = make_firm(name="宁波已注销科技有限公司")
    gone.archived_at = db.func.now()
    db.session.commit()
    for archived in (False, True):
        live = [] if archived else [Firm.archived_at.is_(None)]
        like = queries.conditions(queries.FirmFilter(q=q, archived=archived), cn_today(), indexed=False)
        expected = db.session.scalar(select(db.func.count()).select_from(Firm).where(*live, *like))
        found = queries.find(queries.FirmFilter(q=q, archived=archived), cn_today())
        assert (found.total, found.capped) == (expected, False), (q, archived)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    assert search.exact_hits("Ａb") is None and search.exact_hits("ABC智") is None
    assert search.exact_hits("ｃ智能") is None          # cased (full-width): LIKE decides
    assert search.exact_hits("宁波") is not None
    assert (search.exact_hits("宁波已") is not None) == sqlite


@pytest.mark.parametrize("q", ["科技", "宁波", "有限", "公", "a", "瑞博", "凯禄贸"])
def test_name_index_page_equals_the_sorted_matches(app, many, monkeypatch, q):
    """Read along the name index (many matches) or collected and sorted: the same page, every page."""
    def pages(**kw):
        return [[f.id for f in queries.find(queries.FirmFilter(q=q, **kw), cn_today(), page=p, per_page=4).items]
                for p in (1, 2, 3, 4)]
    for kw in ({}, {"desc": True}, {"archived": True}):
        monkeypatch.setattr(queries, "WALK_FROM", 10 ** 9)
        sorted_pages = pages(**kw)
        monkeypatch.setattr(queries, "WALK_FROM", 1)
        assert pages(**kw) == sorted_pages, (q, kw)


# ----------------------------------------------------------------------------- migration

@pytest.fixture
def fresh_url(tmp_path):
    if not TEST_DB:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    schema = f"grams_{uuid.uuid4().hex[:8]}"
    engine = create_engine(_url(TEST_DB))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in TEST_DB else "?"
    yield _url(TEST_DB) + f"{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_migration_fills_the_index_for_existing_firms(tmp_path, fresh_url, make_code):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=fresh_url)
    with app.app_context():
        upgrade(revision="3e9c4a7d21f6")
        # a firm written before the gram migration, outside the app's session: at this revision the later
        # tables the session's commit hook writes (core_table_versions) do not exist yet
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO registry_firms (uscc, name, name_sort, former_names, above_scale, high_tech, listed, "
                "needs_review, version, created_at, updated_at) VALUES (:c, '瑞博ABC公司', '', '甬江老厂', "
                "false, false, false, false, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"c": make_code()})
        upgrade()
        assert_index_in_step()
        assert names_found("瑞博") == {"瑞博ABC公司"} and names_found("老厂") == {"瑞博ABC公司"}
        db.session.execute(text("UPDATE registry_firms SET name = '凯禄公司'"))
        db.session.commit()
        assert_index_in_step()
        assert names_found("瑞博") == set()
        db.session.remove()
        db.engine.dispose()
