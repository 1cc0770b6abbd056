"""Checks on the plan transcription in goals/data/plan_goals.toml and goals/data/units.toml.

Pure data tests: they load the TOML with tomllib and need neither the app nor a database.
"""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "goals" / "data"

ANNEX1_CATEGORIES = {"创新能力", "质量效益", "融合发展", "绿色发展", "特色发展"}
COMPARATORS = {">=", "<=", "=", "range"}
UNIT_KINDS = {"bureau", "park", "street", "company", "office"}

# Every 责任单位 named in 附件1 and 附件2, plus the leading group.
PLAN_UNITS = {
    "区经信局", "区科技局", "区金融办", "区人力社保局", "区委人才办", "区市场监管局",
    "区环保局", "区发改局", "区卫生计生局", "区保密局", "鄞州工业园区", "鄞州经济开发区",
    "鄞州投资创业中心", "宁波产城公司", "南部商务区", "中心城区各街道", "领导小组",
}

# DESIGN.md "Stable keys for the pipeline goals": key -> (2019 target, baseline or None)
PIPELINE = {
    "single_champion_pool": (50, 2),
    "high_growth_pool": (70, 17),
    "three_famous": (10, 7),
    "maker_spaces": (50, None),
    "incubated_firms": (2000, None),
    "incubation_area": (500000, None),
    "makers": (20000, None),
    "provincial_research_institutes": (8, None),
    "rd_institutions": (250, None),
    "innovation_alliances": (3, None),
    "leading_talents": (10, None),
    "leading_talent_teams": (6, None),
    "smart_makers": (2000, None),
    "high_skill_talents": (2000, None),
    "management_talents": (1000, None),
    "pre_ipo_pool": (None, None),
    "direct_financing": (1000000, None),
}


def _load(name):
    with open(DATA / name, "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def goals():
    return _load("plan_goals.toml")["goal"]


@pytest.fixture(scope="module")
def by_key(goals):
    return {g["key"]: g for g in goals}


@pytest.fixture(scope="module")
def units():
    with open(DATA.parent.parent / "core" / "data" / "units.toml", "rb") as fh:
        return tomllib.load(fh)["unit"]


def _by_name_zh(goals, name_zh):
    hits = [g for g in goals if g["name_zh"] == name_zh]
    assert len(hits) == 1, f"expected exactly one goal named {name_zh}, got {len(hits)}"
    return hits[0]


def _target(goal, year, source=None):
    hits = [t for t in goal["targets"] if t["year"] == year and (source is None or t["source"] == source)]
    assert len(hits) == 1, f"{goal['key']}: expected one {year} target from {source}, got {hits}"
    return hits[0]


# ── structure ────────────────────────────────────────────────────────────────────────

def test_keys_unique_and_snake_case(goals):
    keys = [g["key"] for g in goals]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    for k in keys:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", k), k


def test_required_fields_and_types(goals):
    required = ("key", "name_zh", "name_en", "category_zh", "category_en", "unit_zh", "unit_en",
                "targets", "responsible_units", "kind", "source", "plan_text")
    for g in goals:
        for f in required:
            assert f in g, f"{g.get('key')}: missing {f}"
        assert g["kind"] in {"computed", "reported"}, g["key"]
        if g["kind"] == "computed":
            assert g.get("metric"), f"{g['key']}: computed goal without metric"
        else:
            assert "metric" not in g, f"{g['key']}: reported goal with a metric"
        assert g["responsible_units"], g["key"]
        if "baseline" in g:
            assert isinstance(g["baseline"], (int, float)) and "baseline_year" in g, g["key"]
        for t in g["targets"]:
            assert isinstance(t["year"], int) and t["year"] in (2019, 2025), (g["key"], t)
            assert isinstance(t["value"], (int, float)), (g["key"], t)
            assert isinstance(t["approximate"], bool), (g["key"], t)
            assert t["comparator"] in COMPARATORS, (g["key"], t)
            assert t["source"], (g["key"], t)
            if t["comparator"] == "range":
                assert t["value_max"] > t["value"], (g["key"], t)
            else:
                assert "value_max" not in t, (g["key"], t)
            if t["approximate"]:
                assert t["comparator"] == "=", (g["key"], t)
            if t["source"] != g["source"]:
                assert t.get("plan_text"), f"{g['key']}: target from {t['source']} needs its own quote"


def test_every_goal_has_a_target_except_pre_ipo_pool(goals):
    empty = {g["key"] for g in goals if not g["targets"]}
    assert empty == {"pre_ipo_pool"}


# ── 附件1 ───────────────────────────────────────────────────────────────────────────

def test_exactly_19_annex1_rows(goals):
    annex1 = [g for g in goals if g["source"] == "附件1"]
    assert len(annex1) == 19
    for g in annex1:
        assert g["category_zh"] in ANNEX1_CATEGORIES, g["key"]
        assert g["baseline_year"] == 2016, g["key"]
        assert len(g["responsible_units"]) == 1, g["key"]
        assert any(t["year"] == 2019 and t["source"] == "附件1" for t in g["targets"]), g["key"]


def test_annex1_category_counts(goals):
    counts = {}
    for g in goals:
        if g["source"] == "附件1":
            counts[g["category_zh"]] = counts.get(g["category_zh"], 0) + 1
    assert counts == {"创新能力": 3, "质量效益": 3, "融合发展": 3, "绿色发展": 4, "特色发展": 6}


def test_single_champion_pool(by_key):
    g = by_key["single_champion_pool"]
    assert g["baseline"] == 2 and _target(g, 2019)["value"] == 50
    assert g["responsible_units"][0] == "区经信局"
    assert g["kind"] == "computed" and g["metric"] == "single_champion_pool"


def test_high_growth_pool(by_key):
    g = by_key["high_growth_pool"]
    assert g["baseline"] == 17 and _target(g, 2019)["value"] == 70


def test_value_added_rate(goals):
    g = _by_name_zh(goals, "规上制造业增加值率")
    assert g["baseline"] == 19.1 and _target(g, 2019)["value"] == 22
    assert g["responsible_units"] == ["区经信局"]
    assert g["kind"] == "computed"


def test_solid_waste_utilization(goals):
    g = _by_name_zh(goals, "工业固体废物综合利用率")
    assert g["baseline"] == 94.9 and _target(g, 2019)["value"] == 98
    assert g["responsible_units"] == ["区环保局"]


def test_labor_productivity_growth_is_approximate(goals):
    g = _by_name_zh(goals, "规上制造业全员劳动生产率增速")
    t = _target(g, 2019)
    assert t["value"] == 8 and t["approximate"] is True
    assert g["baseline"] == 6.6


def test_energy_intensity_has_no_baseline(goals):
    g = _by_name_zh(goals, "单位工业增加值能耗下降幅度")
    assert "baseline" not in g
    assert _target(g, 2019)["value"] == 15


def test_dash_baselines_are_omitted(goals):
    no_base = {g["name_zh"] for g in goals if g["source"] == "附件1" and "baseline" not in g}
    assert no_base == {"单位工业增加值能耗下降幅度", "单位工业增加值污染物排放量下降幅度",
                       "单位工业增加值用水量下降幅度", "千亿级产业培育数"}


def test_nc_rate_keeps_table_and_text(by_key):
    g = by_key["nc_rate"]
    assert g["baseline"] == 63
    table = _target(g, 2019, "附件1")
    text = _target(g, 2019, "正文 四（二）")
    assert table["value"] == 69
    assert text["value"] == 71 and text["comparator"] == ">="
    assert g.get("conflict_note")


def test_text_restatements_recorded(goals):
    for name, value, src in (("制造业质量竞争力指数", 92, "正文 四（一）"),
                             ("两化融合发展水平总指数", 95, "正文 四（二）"),
                             ("R&D经费支出占GDP比重", 2.7, "正文 三（二）四是")):
        g = _by_name_zh(goals, name)
        assert _target(g, 2019, "附件1")["value"] == value
        text = _target(g, 2019, src)
        assert text["value"] == value and text["comparator"] == ">="


def test_thousand_billion_industries(goals):
    g = _by_name_zh(goals, "千亿级产业培育数")
    assert _target(g, 2019, "附件1")["value"] == 1
    t = _target(g, 2025)
    assert (t["comparator"], t["value"], t["value_max"]) == ("range", 1, 2)


# ── text targets ─────────────────────────────────────────────────────────────────────

def test_pipeline_keys(by_key):
    for key, (target, baseline) in PIPELINE.items():
        assert key in by_key, key
        g = by_key[key]
        assert g["kind"] == "computed" and g["metric"] == key, key
        if target is not None:
            assert _target(g, 2019)["value"] == target, key
        if baseline is not None:
            assert g["baseline"] == baseline, key


def test_direct_financing_in_wan_yuan(by_key):
    g = by_key["direct_financing"]
    assert g["unit_zh"] == "万元"
    assert _target(g, 2019)["value"] == 1000000
    assert g["responsible_units"] == ["区金融办"]


def test_incubation_area_in_square_metres(by_key):
    g = by_key["incubation_area"]
    assert g["unit_zh"] == "平方米" and _target(g, 2019)["value"] == 500000


def test_talent_owners(by_key):
    for key in ("leading_talents", "leading_talent_teams"):
        assert by_key[key]["responsible_units"][0] == "区委人才办", key
    for key in ("smart_makers", "high_skill_talents", "management_talents"):
        assert by_key[key]["responsible_units"][0] == "区人力社保局", key


def test_five_sectors(goals):
    expected = {"新型材料": (300, 600, 30), "智能终端产品": (350, 1000, 25), "关键基础件": (400, 1000, 30),
                "高端电子": (165, 500, 20), "信息软件": (400, 800, 40)}
    outputs = {g["metric"].split(":", 1)[1]: g for g in goals
               if g.get("metric", "").startswith("sector_output:")}
    assert set(outputs) == set(expected)
    shares = {g["key"]: g for g in goals if g["key"].startswith("sector_share_")}
    assert len(shares) == 5
    for sector, (v2019, v2025, share) in expected.items():
        g = outputs[sector]
        assert g["unit_zh"] == "亿元"
        assert _target(g, 2019)["value"] == v2019, sector
        assert _target(g, 2025)["value"] == v2025, sector
        s = shares[g["key"].replace("sector_output_", "sector_share_")]
        t = _target(s, 2019)
        assert t["value"] == share and t["approximate"] is True, sector


def test_platforms(by_key):
    expected = {"industrial_park": (240, 15, "鄞州工业园区"),
                "economic_development_zone": (220, 11, "鄞州经济开发区"),
                "investment_venture_center": (350, 11, "鄞州投资创业中心"),
                "crrc_base": (40, 25, "宁波产城公司")}
    for stem, (output, growth, unit) in expected.items():
        out, gro = by_key[f"{stem}_output"], by_key[f"{stem}_output_growth"]
        assert _target(out, 2019)["value"] == output and out["unit_zh"] == "亿元"
        assert _target(gro, 2019)["value"] == growth and gro["unit_zh"] == "%"
        assert out["responsible_units"] == gro["responsible_units"] == [unit]


def test_ranges(by_key):
    for key in ("national_single_champion_candidates", "urban_industrial_parks"):
        t = _target(by_key[key], 2019)
        assert (t["comparator"], t["value"], t["value_max"]) == ("range", 2, 3), key
    assert by_key["urban_industrial_parks"]["responsible_units"] == ["中心城区各街道"]


def test_other_text_values(by_key):
    expected = {"sci_tech_platform_output": 30, "invention_patents_per_10k_people": 30,
                "e_creative_town_firms": 1000, "advertising_creative_output": 60,
                "advertising_three_bases_share": 60, "zhejiang_made_premium_products": 15,
                "zhejiang_made_brands": 20, "standards_set": 20, "smart_factories": 3,
                "digital_workshops": 20, "military_output": 200,
                "military_new_product_output_rate": 40}
    for key, value in expected.items():
        assert _target(by_key[key], 2019)["value"] == value, key
    assert by_key["e_creative_town_firms"]["responsible_units"] == ["区经信局", "区科技局", "区卫生计生局"]
    assert by_key["advertising_creative_output"]["responsible_units"] == ["南部商务区"]


# ── units ────────────────────────────────────────────────────────────────────────────

def test_units_file(units):
    codes = [u["code"] for u in units]
    names = [u["name_zh"] for u in units]
    assert len(codes) == len(set(codes)) and len(names) == len(set(names))
    for u in units:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", u["code"]), u
        assert u["kind"] in UNIT_KINDS, u
        assert u["name_en"], u
    assert PLAN_UNITS <= set(names), PLAN_UNITS - set(names)
    kinds = {u["name_zh"]: u["kind"] for u in units}
    assert kinds["领导小组"] == "office"
    codes_by_name = {u["name_zh"]: u["code"] for u in units}
    for name, code in {"区经信局": "jxj", "区科技局": "kjj", "区金融办": "jrb", "区人力社保局": "rsj",
                       "区委人才办": "rcb", "区市场监管局": "scjgj", "区环保局": "hbj",
                       "区发改局": "fgj"}.items():
        assert codes_by_name[name] == code, name


def test_every_responsible_unit_is_a_plan_unit(goals, units):
    names = {u["name_zh"] for u in units}
    for g in goals:
        for r in g["responsible_units"]:
            assert r in names, f"{g['key']}: unknown unit {r}"


# ── verbatim quotes (only when the plan text is available) ───────────────────────────

def _plan_path():
    candidates = [os.environ.get("YINZHOU_PLAN_TXT"),
                  ROOT.parent / "shared" / "plan" / "yinzhou-mic2025-plan.txt"]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def test_quotes_are_verbatim(goals):
    path = _plan_path()
    if path is None:
        pytest.skip("plan text not available")
    plan = path.read_text(encoding="utf-8")
    for g in goals:
        quotes = [g["plan_text"]] + [t["plan_text"] for t in g["targets"] if "plan_text" in t]
        for q in quotes:
            for piece in q.split("｜"):  # 附件1 rows join table cells with ｜
                assert piece in plan, f"{g['key']}: not verbatim: {piece}"
