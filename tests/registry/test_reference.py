"""Tests for registry.reference (shipped reference tables)."""

import pytest

from registry import reference


@pytest.mark.parametrize("level, count", [(1, 20), (2, 97), (3, 473), (4, 1381)])
def test_industry_counts_by_level(level, count):
    rows = reference.industries(level)
    assert len(rows) == count
    assert all(r["level"] == level and r["level_name"] == reference.INDUSTRY_LEVEL_NAMES[level] for r in rows)


def test_industries_all_and_fields():
    rows = reference.industries()
    assert len(rows) == 20 + 97 + 473 + 1381
    assert rows[0] == {"code": "A", "name": "农、林、牧、渔业", "level": 1, "level_name": "门类",
                       "parent_code": None, "section": "A"}
    assert len({r["code"] for r in rows}) == len(rows)


def test_industry_hierarchy_is_consistent():
    for row in reference.industries():
        if row["level"] == 1:
            assert row["parent_code"] is None
            continue
        parent = reference.industry(row["parent_code"])
        assert parent is not None and parent["level"] == row["level"] - 1
        assert parent["section"] == row["section"]


def test_industry_lookup():
    assert reference.industry("0111")["name"] == "稻谷种植"
    assert reference.industry(" c ")["level"] == 1
    assert reference.industry("9999") is None
    assert reference.industry(None) is None


def test_returned_rows_are_copies():
    reference.industries()[0]["name"] = "changed"
    reference.industry("A")["name"] = "changed"
    assert reference.industry("A")["name"] == "农、林、牧、渔业"


def test_towns():
    rows = reference.towns()
    assert len(rows) == 25
    assert rows[0] == ("330212001", "下应街道")
    assert all(code.startswith("330212") and len(code) == 9 for code, _ in rows)
    assert sum(name.endswith("街道") for _, name in rows) == 15
    assert sum(name.endswith("镇") for _, name in rows) == 10


@pytest.mark.parametrize("query, expected", [
    ("下应街道", "下应街道"),
    ("下应", "下应街道"),
    ("下应镇", "下应街道"),
    (" 下应 街道 ", "下应街道"),
    ("下应街道办事处", "下应街道"),
    ("鄞州区下应街道", "下应街道"),
    ("浙江省宁波市鄞州区姜山镇", "姜山镇"),
    ("姜山", "姜山镇"),
    ("姜山街道", "姜山镇"),
    ("东钱湖镇", "东钱湖镇"),
    ("330212110", "姜山镇"),
])
def test_town_by_name_tolerant(query, expected):
    found = reference.town_by_name(query)
    assert found is not None and found[1] == expected


@pytest.mark.parametrize("query", ["", None, "街道", "镇", "海曙", "不存在街道"])
def test_town_by_name_unknown(query):
    assert reference.town_by_name(query) is None


def test_division():
    assert reference.division("330212") == {"code": "330212", "name": "鄞州区", "from_year": 2002, "to_year": None}
    assert reference.division("330204")["to_year"] == 2016
    assert reference.division("330206")["name"] == "北仑区"  # reused code: current entry wins
    assert reference.division("330200")["name"] == "宁波市"
    assert reference.division("310115") is None
    assert reference.division(None) is None
    assert len(reference.divisions("330206")) == 2
