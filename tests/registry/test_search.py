"""Firm search (registry/search.py): the trigram index narrows, LIKE decides — so the answer is the
plain substring match on name, former names and credit code, on SQLite and PostgreSQL alike, for
fragments below the trigram size too; and lists by name follow pinyin."""


import pytest
from sqlalchemy import select, text

from core import pinyin
from core.db import db
from registry import queries, search
from registry.models import Firm
from core.dates import today as cn_today

NAMES = ("宁波瑞博科技有限公司", "宁波博瑞电子有限公司", "ABC智能电器（宁波）有限公司", "宁波ｘｙｚ贸易有限公司",
         "百分之100%材料有限公司", "下划_线有限公司", "宁波银行股份有限公司", "重庆长安汽车宁波分公司", "西安宁波商行")


@pytest.fixture
def firms(make_firm):
    made = [make_firm(name=n) for n in NAMES]
    made[1].former_names = ["宁波旧名瑞博有限公司", "甬江老厂"]
    db.session.commit()
    return made


def _ascii_lower(s: str) -> str:
    return s.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def _oracle(firms, q: str) -> set[str]:
    """The rule written out in Python: substring of name / a former name (ASCII letters in any case)
    or of the credit code."""
    frag, code = _ascii_lower(q), q.strip().upper().replace(" ", "")
    return {f.name for f in firms
            if frag in _ascii_lower(f.name) or frag in _ascii_lower(f.former_names_text or "")
            or code in f.uscc}


def _found(q: str) -> set[str]:
    firms, _total = queries.search(queries.FirmFilter(q=q), cn_today())
    return {f.name for f in firms}


QUERIES = ("瑞博", "瑞博科", "博瑞电子", "宁波", "有限公司", "abc", "ABC", "aBc智能", "ｘｙｚ", "xyz", "100%", "%",
           "_", "下划_", "旧名瑞博", "甬江", "老厂", "银行股份", "西安", "（宁波）", "不存在的名字", "瑞")


def test_answers_equal_the_substring_rule(app, firms):
    for q in QUERIES:
        assert _found(q) == _oracle(firms, q), q


def test_credit_code_full_partial_any_case(app, firms):
    target = firms[3]
    for q in (target.uscc, target.uscc[4:14], target.uscc[-6:].lower(), " " + target.uscc[2:10] + " "):
        found = _found(q.strip())
        assert target.name in found and found == _oracle(firms, q.strip()), q


def test_index_follows_renames_and_archive(app, firms, editor):
    from core import records
    from registry import service
    firm = firms[0]
    service.update_firm(firm, editor, version=None, name="宁波新名字科技有限公司")
    db.session.commit()
    assert "宁波新名字科技有限公司" in _found("新名字科")
    assert "宁波新名字科技有限公司" in _found("瑞博科")          # the old name became a former name
    records.archive(firm, editor)
    db.session.commit()
    assert "宁波新名字科技有限公司" not in _found("新名字科")
    assert "宁波新名字科技有限公司" in {f.name for f in queries.search(
        queries.FirmFilter(q="新名字科", archived=True), cn_today())[0]}


def test_same_answers_without_the_index(app, firms, caplog):
    """Without the index (SQLite: triggers lost; PostgreSQL: no pg_trgm) the search scans, same rows."""
    with_index = {q: _found(q) for q in QUERIES}
    bind = db.session.get_bind()
    if bind.dialect.name == "sqlite":
        db.session.execute(text(f"DROP TRIGGER {search.FTS}_au"))
    else:
        for col in ("name", "former_names", "uscc"):
            db.session.execute(text(f"DROP INDEX IF EXISTS ix_registry_firms_{col}_trgm"))
    db.session.commit()
    search._ready.pop(bind, None)
    assert {q: _found(q) for q in QUERIES} == with_index
    if bind.dialect.name == "sqlite":
        assert "falls back to LIKE" in caplog.text
        search._ready.pop(bind, None)


def test_search_uses_the_index(app, firms):
    """The SQL of a 3-character fragment reads the trigram index (not a plan test: the statement). On
    PostgreSQL pg_trgm serves LIKE and ILIKE: a fragment without ASCII letters is one LIKE per column
    (no case to fold), one with letters ILIKE and the ASCII-only folding."""
    def sql(q):
        return str(select(Firm.id).where(search.condition(q)).compile(db.session.get_bind()))
    if db.session.get_bind().dialect.name == "sqlite":
        assert search.FTS in sql("瑞博科") and search.FTS in sql("Rb科")
    else:
        assert " LIKE " in sql("瑞博科") and "ILIKE" not in sql("瑞博科") and "translate" not in sql("瑞博科")
        assert "ILIKE" in sql("Rb科") and "translate" in sql("Rb科")


def test_api_finds_by_code_and_name(app, firms, editor):
    from core.auth.service import issue_token
    token = issue_token(editor)
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    by_code = client.get(f"/api/v1/firms?q={firms[2].uscc[3:12]}", headers=headers).get_json()
    assert firms[2].name in {f["name"] for f in by_code["items"]}
    by_name = client.get("/api/v1/firms?q=瑞博", headers=headers).get_json()
    assert {f["name"] for f in by_name["items"]} == _oracle(firms, "瑞博")


# ----------------------------------------------------------------------------- pinyin order

def test_sort_key():
    assert pinyin.sort_key("宁波银行") == "ning2bo1yin2hang2"         # 行 read háng in 银行
    assert pinyin.sort_key("重庆") == "chong2qing4"
    assert pinyin.sort_key("ＡＢＣ（１２）") == "abc12"
    assert pinyin.sort_key("西安") < pinyin.sort_key("先")          # xi an before xian
    assert pinyin.sort_key(None) == pinyin.sort_key("") == ""


def test_list_by_name_is_pinyin_order(app, firms):
    page, _total = queries.search(queries.FirmFilter(sort="name"), cn_today())
    keys = [pinyin.sort_key(f.name) for f in page]
    assert keys == sorted(keys) and [f.name for f in page][:2] == ["ABC智能电器（宁波）有限公司", "百分之100%材料有限公司"]
    assert all(f.name_sort == pinyin.sort_key(f.name) for f in page)
    desc, _total = queries.search(queries.FirmFilter(sort="name", desc=True), cn_today())
    assert [f.name for f in desc] == [f.name for f in page][::-1]


def test_sort_key_kept_on_rename_and_bulk_insert(app, firms, editor):
    from registry import firms as firm_rules
    from registry import uscc
    firm = firms[0]
    firm.name = "安吉物流有限公司"
    db.session.commit()
    assert db.session.scalar(select(Firm.name_sort).where(Firm.id == firm.id)) == pinyin.sort_key("安吉物流有限公司")
    draft = firm_rules.draft_firm(editor, uscc=uscc.generate(region="330212"), name="鄞州重工有限公司")
    [new_id] = firm_rules.insert_firms(editor, [draft])
    db.session.commit()
    assert db.session.scalar(select(Firm.name_sort).where(Firm.id == new_id)) == pinyin.sort_key("鄞州重工有限公司")
    assert "鄞州重工有限公司" in _found("州重工")                      # the bulk insert reached the index
