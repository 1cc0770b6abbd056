"""Finance indicators for goals/.

- pre_ipo_pool: open candidacies on D — entered_on <= D and not listed/exited on or before D
  (archived candidacies left out). The finance office sets the target; the plan gives none.
- direct_financing: sum of live financing events dated in the calendar year of D, up to D, 万元
  (the plan's target is 100亿元 = 1,000,000 万元 a year).
"""
from datetime import date
from decimal import Decimal

from core.indicators import Indicator
from finance import service


def pool_records(as_of: date) -> list[dict]:
    steps = service.stages_as_of(as_of)
    return [{"firm_id": c.firm_id, "uscc": c.firm.uscc, "firm_name": c.firm.name, "board": c.board,
             "entered_on": c.entered_on.isoformat(),
             "stage": steps[c.id].stage if c.id in steps else c.current_stage}
            for c in service.pool_members(as_of)]


def pre_ipo_pool(as_of: date) -> int:
    return service.pool_size(as_of)


def financing_records(as_of: date) -> list[dict]:
    events = [e for e in service.financing_events(year=as_of.year) if e.on <= as_of]
    return [{"firm_id": e.firm_id, "uscc": e.firm.uscc, "firm_name": e.firm.name, "kind": e.kind,
             "amount": format(e.amount.normalize(), "f"), "on": e.on.isoformat(), "note": e.note}
            for e in sorted(events, key=lambda e: (e.on, e.id))]


def direct_financing(as_of: date) -> Decimal:
    return service.financing_total(as_of.year, upto=as_of)


METRICS = (
    Indicator("pre_ipo_pool", compute=pre_ipo_pool, records=pool_records, domain="finance",
              label_zh="拟上市企业资源库企业数", label_en="Firms in the pre-IPO pool"),
    Indicator("direct_financing", compute=direct_financing, records=financing_records, domain="finance",
              label_zh="直接融资额（万元）", label_en="Direct financing (10k yuan)"),
)
