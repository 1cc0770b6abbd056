"""As-of counts around entry and exit, for every incubation indicator, with their records."""
from datetime import date
from decimal import Decimal

from core import indicators
from core.db import db
from core.records import archive
from incubation import metrics, queries, service

D = date


def value(name, on):
    return indicators.compute(name, on)


def test_all_seven_registered_with_records(app):
    for name in metrics.TARGETS:
        ind = indicators.get(name)[0]
        assert ind.domain == "incubation" and ind.records is not None


def test_incubated_firms_around_entry_and_window(kjj, make_carrier, make_firm):
    a, b = make_carrier(), make_carrier()
    f1, f2, f3 = make_firm(), make_firm(), make_firm()
    service.register_tenancy(kjj, carrier=a, uscc=f1.uscc, entered_on=D(2018, 3, 1))
    service.register_tenancy(kjj, carrier=a, uscc=f2.uscc, entered_on=D(2016, 12, 31))     # before window
    service.register_tenancy(kjj, carrier=a, uscc=f3.uscc, entered_on=D(2020, 1, 1))       # after window
    t = service.register_tenancy(kjj, carrier=b, uscc=f1.uscc, entered_on=D(2019, 12, 31))  # other carrier
    db.session.commit()
    assert value("incubated_firms", D(2018, 2, 28)) == 0
    assert value("incubated_firms", D(2018, 3, 1)) == 1
    assert value("incubated_firms", D(2019, 12, 30)) == 1
    assert value("incubated_firms", D(2019, 12, 31)) == 1        # a second carrier: the same firm, once
    assert value("incubated_firms", D(2025, 1, 1)) == 1
    service.graduate_tenancy(t, kjj, on=D(2020, 6, 1))
    db.session.commit()
    assert value("incubated_firms", D(2021, 1, 1)) == 1          # graduates keep counting
    recs = indicators.records("incubated_firms", D(2025, 1, 1))
    assert [(r["uscc"], r["carrier_name"], r["entered_on"]) for r in recs] == [
        (f1.uscc, a.name, D(2018, 3, 1))]                        # dated by its first entry in the window
    assert {"firm_id", "uscc", "firm_name"} <= recs[0].keys()


def test_reentry_into_same_carrier_counts_once(kjj, make_carrier, make_firm):
    a, f = make_carrier(), make_firm()
    service.register_tenancy(kjj, carrier=a, uscc=f.uscc, entered_on=D(2017, 2, 1), left_on=D(2017, 8, 1),
                             outcome="迁出")
    service.register_tenancy(kjj, carrier=a, uscc=f.uscc, entered_on=D(2018, 2, 1))
    db.session.commit()
    assert value("incubated_firms", D(2019, 1, 1)) == 1
    assert indicators.records("incubated_firms", D(2019, 1, 1))[0]["entered_on"] == D(2017, 2, 1)


def test_archived_tenancy_does_not_count(kjj, make_carrier, make_firm):
    a, f = make_carrier(), make_firm()
    t = service.register_tenancy(kjj, carrier=a, uscc=f.uscc, entered_on=D(2018, 2, 1))
    db.session.commit()
    archive(t, kjj)
    db.session.commit()
    assert value("incubated_firms", D(2019, 1, 1)) == 0
    b = make_carrier()
    service.register_tenancy(kjj, carrier=b, uscc=f.uscc, entered_on=D(2018, 2, 1))
    db.session.commit()
    assert value("incubated_firms", D(2019, 1, 1)) == 1
    archive(b, kjj)
    db.session.commit()
    assert value("incubated_firms", D(2019, 1, 1)) == 0


def test_maker_spaces_recognised_and_closed(make_carrier):
    make_carrier("甲", opened_on=D(2016, 1, 1), recognized_on=D(2017, 5, 1), closed_on=D(2019, 3, 1))
    make_carrier("乙", opened_on=D(2018, 1, 1))                          # no recognition: opening counts
    make_carrier("丙", carrier_type="孵化器", opened_on=D(2015, 1, 1))   # not a maker space
    assert value("maker_spaces", D(2017, 4, 30)) == 0
    assert value("maker_spaces", D(2017, 5, 1)) == 1
    assert value("maker_spaces", D(2018, 1, 1)) == 2
    assert value("maker_spaces", D(2019, 2, 28)) == 2
    assert value("maker_spaces", D(2019, 3, 1)) == 1
    # by name in pinyin order: 甲 jiǎ before 乙 yǐ (code points would put 乙 first)
    assert [r["carrier_name"] for r in indicators.records("maker_spaces", D(2018, 6, 1))] == ["甲", "乙"]


def test_incubation_area_active_carriers(make_carrier):
    make_carrier(opened_on=D(2017, 1, 1), area_m2=Decimal("1000.50"))
    make_carrier(opened_on=D(2018, 1, 1), closed_on=D(2019, 1, 1), area_m2=2000, carrier_type="孵化器")
    make_carrier(opened_on=D(2018, 1, 1))                                 # no area given
    assert value("incubation_area", D(2016, 12, 31)) == 0
    assert value("incubation_area", D(2017, 1, 1)) == Decimal("1000.50")
    assert value("incubation_area", D(2018, 6, 1)) == Decimal("3000.50")
    assert value("incubation_area", D(2019, 1, 1)) == Decimal("1000.50")
    assert len(indicators.records("incubation_area", D(2018, 6, 1))) == 3


def test_makers_cumulative_over_the_window_years(kjj, make_carrier):
    a = make_carrier(opened_on=D(2016, 1, 1))
    b = make_carrier(opened_on=D(2016, 1, 1), closed_on=D(2019, 6, 1))
    for carrier, year, n in ((a, 2017, 100), (a, 2018, 150), (b, 2017, 40)):
        service.set_maker_count(kjj, carrier=carrier, year=year, makers=n)
    db.session.commit()
    assert value("makers", D(2016, 12, 31)) == 0
    assert value("makers", D(2017, 6, 1)) == 140
    assert value("makers", D(2018, 6, 1)) == 290           # 2017 and 2018 of both carriers
    assert value("makers", D(2019, 6, 1)) == 290           # b closed later: its reported years stay
    assert {r["year"] for r in indicators.records("makers", D(2018, 6, 1))} == {2017, 2018}


def test_institutions_by_level_and_revocation(kjj, make_firm):
    f = make_firm()
    rows = [("甲研究院", "省级重点企业研究院", D(2018, 1, 1), None), ("乙中心", "市级", D(2017, 5, 1), D(2019, 1, 1)),
            ("丙中心", "国家级", D(2019, 2, 1), None), ("丁中心", "区级", D(2017, 1, 1), None),
            ("戊中心", "省级", D(2017, 3, 1), None)]
    for name, level, rec, rev in rows:
        service.register_institution(kjj, uscc=f.uscc, name=name, level=level, recognized_on=rec, revoked_on=rev)
    db.session.commit()
    assert value("provincial_research_institutes", D(2017, 12, 31)) == 0
    assert value("provincial_research_institutes", D(2018, 1, 1)) == 1
    assert value("rd_institutions", D(2017, 4, 1)) == 1
    assert value("rd_institutions", D(2018, 1, 1)) == 3
    assert value("rd_institutions", D(2019, 1, 1)) == 2
    assert value("rd_institutions", D(2019, 2, 1)) == 3
    recs = indicators.records("rd_institutions", D(2019, 2, 1))
    assert {r["institution_name"] for r in recs} == {"甲研究院", "丙中心", "戊中心"}
    assert recs[0]["uscc"] == f.uscc


def test_alliances_founded_since_plan(kjj, make_firm):
    service.create_alliance(kjj, name="旧联盟", founded_on=D(2016, 5, 1))
    service.create_alliance(kjj, name="新联盟", founded_on=D(2018, 5, 1), lead_uscc=make_firm().uscc)
    db.session.commit()
    assert value("innovation_alliances", D(2018, 4, 30)) == 0
    assert value("innovation_alliances", D(2018, 5, 1)) == 1
    rec = indicators.records("innovation_alliances", D(2019, 1, 1))[0]
    assert rec["alliance_name"] == "新联盟" and rec["members"] == 1


def test_due_to_graduate_after_three_years(kjj, make_carrier, make_firm):
    a = make_carrier(opened_on=D(2015, 1, 1))
    old = service.register_tenancy(kjj, carrier=a, uscc=make_firm().uscc, entered_on=D(2016, 3, 1))
    service.register_tenancy(kjj, carrier=a, uscc=make_firm().uscc, entered_on=D(2018, 3, 1))
    db.session.commit()
    assert queries.due_to_graduate(D(2019, 3, 1)) == []
    assert queries.due_to_graduate(D(2019, 3, 2)) == [old]
    service.graduate_tenancy(old, kjj, on=D(2019, 4, 1))
    db.session.commit()
    assert queries.due_to_graduate(D(2019, 3, 2)) == [old]      # as of then it was still there
    assert queries.due_to_graduate(D(2019, 4, 1)) == []


def test_summary_rows(app):
    rows = metrics.summary(D(2019, 1, 1))
    assert [r["name"] for r in rows] == list(metrics.TARGETS)
    assert rows[1]["target"] == 2000 and rows[1]["value"] == 0 and rows[1]["progress"] == 0


def test_archived_firm_does_not_count(kjj, make_carrier, make_firm, admin):
    """A firm archived in the registry (entered in error, or merged away) leaves the count."""
    from core.records import archive
    a, f1, f2 = make_carrier(), make_firm(), make_firm()
    service.register_tenancy(kjj, carrier=a, uscc=f1.uscc, entered_on=D(2018, 3, 1))
    service.register_tenancy(kjj, carrier=a, uscc=f2.uscc, entered_on=D(2018, 4, 1))
    db.session.commit()
    assert value("incubated_firms", D(2019, 1, 1)) == 2
    archive(f2, admin, note="重复登记")
    db.session.commit()
    assert value("incubated_firms", D(2019, 1, 1)) == 1
    assert [r["uscc"] for r in indicators.records("incubated_firms", D(2019, 1, 1))] == [f1.uscc]
