"""What each goal counts (口径): every rule in a scenario of its own, as of dates before, inside
and after the counting window — through the roll-up, as a manager reads the figures."""
import re
from datetime import date as D
from decimal import Decimal
from itertools import count

import pytest

from core.db import db
from goals import rollup as ru
from goals.models import NATURES, Goal
from goals.plan import load_rows

_seq = count(1)


def _actual(key, on):
    return next(r for r in ru.rollup(on) if r["key"] == key)["actual"]


@pytest.fixture
def kjj(make_user):
    return make_user("kjj_figures", unit="kjj", role="editor")


@pytest.fixture
def carrier(kjj):
    from incubation import service

    def make(carrier_type="众创空间", opened_on=D(2016, 1, 1), **fields):
        c = service.create_carrier(kjj, name=f"口径载体{next(_seq)}", carrier_type=carrier_type, level="区级",
                                   opened_on=opened_on, **fields)
        db.session.commit()
        return c
    return make


@pytest.fixture
def firm(kjj):
    from registry import service as registry
    from registry.uscc import generate

    def make():
        f = registry.create_firm(kjj, uscc=generate(), name=f"口径企业{next(_seq)}有限公司")
        db.session.commit()
        return f
    return make


# --------------------------------------------------------------------------- data

def test_every_goal_carries_nature_window_and_a_definition_for_managers(app):
    developer_words = re.compile(r"[a-z]+_[a-z]+|PoolMembership|FirmFact|MakerCount|Tenancy|RDInstitution|metric")
    for row in load_rows():
        assert row["nature"] in NATURES, row["key"]
        zh, en = row["definition_zh"], row["definition_en"]
        assert len(zh) >= 20 and len(en) >= 40, row["key"]
        assert not developer_words.search(zh) and not developer_words.search(en), row["key"]
        if row["nature"] == "cumulative":
            assert (row["window_start"], row["window_end"]) == (D(2017, 1, 1), D(2019, 12, 31)), row["key"]
        else:
            assert "window_start" not in row and "window_end" not in row, row["key"]
    seeded = {g.key: g for g in db.session.scalars(db.select(Goal))}
    assert seeded["makers"].nature == "cumulative" and seeded["makers"].window_end == D(2019, 12, 31)
    assert seeded["direct_financing"].nature == "annual_flow" and seeded["management_talents"].nature == "stock"


def test_a_number_is_keyed_once(app):
    from core import indicators
    rows = load_rows()
    metrics = [r["metric"] for r in rows if r["kind"] == "computed"]
    assert len(metrics) == len(set(metrics)), "two goals serve the same computed figure"
    national = next(r for r in rows if r["key"] == "national_single_champion_candidates")
    district = next(r for r in rows if r["key"] == "single_champion_pool")
    assert national["kind"] == "computed" and national["metric"] == "national_champion_cultivation"
    assert indicators.get(national["metric"]) is not None and national["metric"] != district["metric"]
    assert "另一份名单" in national["definition_zh"] and "国家" in district["definition_zh"]


def test_national_and_district_champion_lists_count_separately(app, admin):
    from registry import service as reg
    from registry.uscc import generate
    f = reg.create_firm(admin, uscc=generate(), name="双榜精工有限公司")
    db.session.flush()
    reg.enter_pool(admin, firm=f, pool=reg.pool_by_key("national_champion"), entered_on=D(2018, 5, 1), reason="t")
    reg.enter_pool(admin, firm=f, pool=reg.pool_by_key("single_champion"), entered_on=D(2018, 7, 1), reason="t")
    db.session.commit()
    assert _actual("national_single_champion_candidates", D(2018, 4, 30)) == 0
    assert _actual("national_single_champion_candidates", D(2018, 6, 1)) == 1
    assert _actual("single_champion_pool", D(2018, 6, 1)) == 0
    assert _actual("single_champion_pool", D(2019, 1, 1)) == 1


# --------------------------------------------------------------------------- incubation

def test_incubated_firms_are_distinct_firms_in_the_window(app, kjj, carrier, firm):
    from incubation import service
    a, b, c = carrier(), carrier("孵化器"), carrier("加速器")
    f1, f2, f3, f4 = firm(), firm(), firm(), firm()
    for car, f, on in ((a, f1, D(2017, 3, 1)), (b, f1, D(2018, 5, 1)), (c, f1, D(2019, 2, 1)),  # one firm, 3 carriers
                       (a, f2, D(2016, 11, 1)),                                                 # before the window
                       (b, f3, D(2018, 1, 10)),
                       (c, f4, D(2020, 2, 1))):                                                 # after the window
        service.register_tenancy(kjj, carrier=car, uscc=f.uscc, entered_on=on)
    db.session.commit()
    assert _actual("incubated_firms", D(2016, 12, 31)) == 0
    assert _actual("incubated_firms", D(2017, 3, 1)) == 1
    assert _actual("incubated_firms", D(2019, 6, 30)) == 2          # f1 once, f3
    assert _actual("incubated_firms", D(2021, 6, 30)) == 2          # f4 entered after the window
    recs = ru.records("incubated_firms", D(2021, 6, 30))
    assert sorted(r["uscc"] for r in recs) == sorted([f1.uscc, f3.uscc])
    assert next(r for r in recs if r["uscc"] == f1.uscc)["entered_on"] == D(2017, 3, 1)


def test_incubation_area_counts_maker_spaces_incubators_accelerators_only(app, carrier):
    from incubation.models import AREA_CARRIER_TYPES
    carrier("众创空间", opened_on=D(2017, 6, 1), area_m2=1000)
    carrier("孵化器", opened_on=D(2016, 1, 1), closed_on=D(2019, 7, 1), area_m2=2000)
    carrier("加速器", opened_on=D(2018, 1, 1), area_m2=4000)
    carrier("双创基地/产业园", opened_on=D(2016, 1, 1), area_m2=80000)       # not counted
    carrier("高端科创平台", opened_on=D(2016, 1, 1), area_m2=160000)          # not counted
    assert _actual("incubation_area", D(2016, 12, 31)) == 2000
    assert _actual("incubation_area", D(2018, 6, 30)) == 7000
    assert _actual("incubation_area", D(2020, 1, 1)) == 5000          # the incubator closed
    goal = ru.get_goal("incubation_area")
    for kind in AREA_CARRIER_TYPES:                                  # the data is shown in the definition
        assert kind in goal.definition_zh
    assert "双创基地/产业园" in goal.definition_zh and "不计入" in goal.definition_zh


def test_makers_are_added_up_over_the_window_years(app, kjj, carrier):
    from incubation import service
    a, b = carrier(), carrier(closed_on=D(2018, 3, 1))
    for car, year, n in ((a, 2016, 999), (a, 2017, 100), (a, 2018, 150), (a, 2019, 200), (a, 2020, 777),
                         (b, 2017, 40)):
        service.set_maker_count(kjj, carrier=car, year=year, makers=n)
    db.session.commit()
    assert _actual("makers", D(2016, 12, 31)) == 0                  # 2016 is before the window
    assert _actual("makers", D(2017, 12, 31)) == 140
    assert _actual("makers", D(2018, 6, 30)) == 290                 # 2017 + 2018; b closed but keeps 2017
    assert _actual("makers", D(2021, 1, 1)) == 490                  # 2017–2019, not 2020, not the latest alone
    assert {(r["year"], r["makers"]) for r in ru.records("makers", D(2021, 1, 1))} == {
        (2017, 100), (2017, 40), (2018, 150), (2019, 200)}


# --------------------------------------------------------------------------- talent

def test_talent_flows_count_recognitions_inside_the_window(app, make_user, firm):
    from talent import service
    from tests.talent.conftest import idn
    rsj = make_user("rsj_figures", unit="rsj", role="editor")
    f = firm()

    def reg(seq, category, on, support=None):
        service.register_talent(rsj, key=service.person_key(idn(seq)), name=f"人才{seq}", category=category,
                                uscc=f.uscc, recognized_on=on, support=support, unit_code="rsj")
    reg(1, "智造创客", D(2016, 6, 1))              # before the window
    reg(2, "智造创客", D(2018, 6, 1))
    reg(3, "智造创客", D(2020, 3, 1))              # after the window
    reg(4, "领军人才", D(2016, 5, 1), support=50)
    reg(5, "领军人才", D(2019, 5, 1), support=50)
    reg(6, "经营管理人才", D(2015, 1, 1))          # a stock: counts
    reg(7, "经营管理人才", D(2018, 1, 1))
    db.session.commit()
    assert _actual("smart_makers", D(2016, 12, 31)) == 0
    assert _actual("smart_makers", D(2018, 12, 31)) == 1
    assert _actual("smart_makers", D(2021, 1, 1)) == 1
    assert _actual("leading_talents", D(2019, 12, 31)) == 1
    assert _actual("management_talents", D(2016, 12, 31)) == 1
    assert _actual("management_talents", D(2021, 1, 1)) == 2
    assert [r["recognized_on"] for r in ru.records("smart_makers", D(2021, 1, 1))] == [D(2018, 6, 1)]


def test_whole_numbers_for_counts(app, kjj, carrier, firm):
    from incubation import service
    a = carrier()
    service.register_tenancy(kjj, carrier=a, uscc=firm().uscc, entered_on=D(2018, 1, 1))
    db.session.commit()
    row = next(r for r in ru.rollup(D(2018, 8, 15)) if r["key"] == "incubated_firms")
    for key in ("actual", "expected", "gap", "needed_per_quarter", "projection"):
        assert isinstance(row[key], int), key
    assert row["gap"] == 1999 and row["whole_numbers"] is True
    # 2018-08-15 → quarter ends 2018-09-30 … 2019-12-31: 6 quarters; 1999 / 6 = 333.2 → 334
    assert row["needed_per_quarter"] == 334
    assert Decimal(str(row["progress"])) == Decimal("0.0005")
