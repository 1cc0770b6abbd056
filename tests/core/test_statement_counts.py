"""SQL statements per page stay bounded: each main page and API list is requested with a few rows to
show and again with many more, and must not issue more statements the second time (an N+1 — a
query per row shown, often from a template reading a relationship — would). Counted with a
SQLAlchemy `before_cursor_execute` listener; the first request after the data change (cold caches)
and the one after it (warm) are compared separately."""
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from core.db import db
from core.dates import today as cn_today

SMALL, LARGE = 3, 15

PAGES = ("/", "/registry/", "/registry/?q=%E7%91%9E%E5%8D%9A", "/registry/firms/{firm}", "/registry/pools",
         "/registry/pools/{pool}", "/incubation/carriers", "/incubation/carriers/{carrier}", "/incubation/tenancies",
         "/talent/", "/talent/persons", "/talent/persons/{person}", "/finance/board", "/finance/candidates",
         "/finance/candidates/{candidate}", "/finance/financing", "/goals/")
API = ("/api/v1/firms", "/api/v1/firms?q=%E7%91%9E%E5%8D%9A", "/api/v1/firms/{firm}", "/api/v1/pools/high_growth/members",
       "/api/v1/carriers", "/api/v1/tenancies", "/api/v1/talents", "/api/v1/ipo-candidates",
       "/api/v1/financing-events", "/api/v1/goals")


class _World:
    """Rows added in steps: every step adds firms (each with a fact, a pool membership, a tenancy in
    the first carrier, a recognised talent, a pre-IPO candidate, a financing event) and carriers, and
    gives the first firm more facts, talents and financing events — so every list and detail page
    shows more rows after each step."""

    def __init__(self):
        from registry import service
        self.rng = random.Random(7)
        self.n = 0
        self.pool_id = service.pool_by_key("high_growth").id
        self.first = self.carrier = self.person = self.candidate = None     # ids, not objects: see _counts

    def grow(self, k: int) -> None:
        from finance.models import FinancingEvent, IpoCandidate, IpoStage
        from incubation.models import Carrier, Tenancy
        from registry.models import Firm, FirmFact, PoolMembership
        from registry import uscc
        from talent.models import Person, Recognition
        for _ in range(k):
            i = self.n = self.n + 1
            firm = Firm(uscc=uscc.generate(region="330212", rng=self.rng), name=f"宁波瑞博{i:03d}科技有限公司",
                        above_scale=True, high_tech=False, listed=False)
            carrier = Carrier(name=f"鄞州众创空间{i:03d}", carrier_type="众创空间", level="区级",
                              opened_on=date(2018, 1, 1), recognized_on=date(2018, 6, 1), area_m2=Decimal(1000))
            db.session.add_all([firm, carrier])
            db.session.flush()
            self.first = self.first or firm.id
            self.carrier = self.carrier or carrier.id
            person = Person(name=f"张{i:03d}", id_hash=f"{i:064d}", id_masked="330212********0000")
            db.session.add(person)
            db.session.flush()
            self.person = self.person or person.id
            cand = IpoCandidate(firm_id=firm.id, entered_on=date(2020, 1, 1), board="创业板",
                                current_stage_on=date(2020, 1, 1))
            db.session.add(cand)
            db.session.flush()
            self.candidate = self.candidate or cand.id
            db.session.add_all([
                FirmFact(firm_id=firm.id, year=cn_today().year - 1, revenue=Decimal(100 * i)),
                FirmFact(firm_id=self.first, year=1990 + i, revenue=Decimal(i)),
                PoolMembership(pool_id=self.pool_id, firm_id=firm.id, entered_on=date(2020, 1, 1)),
                Tenancy(firm_id=firm.id, carrier_id=self.carrier, entered_on=date(2019, 1, 1) + timedelta(days=i)),
                Recognition(person_id=person.id, category="高技能人才", firm_id=firm.id,
                            recognized_on=date(2021, 1, 1), unit_code="rsj"),
                Recognition(person_id=self.person, category="智造创客", firm_id=self.first,
                            recognized_on=date(2019, 1, 1) + timedelta(days=i), unit_code="rsj"),
                IpoStage(candidate_id=cand.id, stage="入库", on=date(2020, 1, 1)),
                FinancingEvent(firm_id=firm.id, kind="公司债", amount=Decimal(500), on=date(2024, 3, 1)),
                FinancingEvent(firm_id=self.first, kind="再融资", amount=Decimal(50), on=date(2024, 3, 1)),
            ])
        db.session.commit()

    def ids(self) -> dict:
        return {"firm": self.first, "pool": self.pool_id, "carrier": self.carrier,
                "person": self.person, "candidate": self.candidate}


def _counts(app, client, urls, ids, headers=None) -> dict:
    """{url: (statements of the first request, of the second)}; every answer must be 200."""
    seen = []

    def count(*_args, **_kw):
        seen.append(1)
    out = {}
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for url in urls:
            path = url.format(**ids)
            runs = []
            # Nothing left in the session's identity map from the setup or an earlier page: a lazy load
            # must not be hidden by an object that happens not to be garbage-collected yet.
            db.session.expunge_all()
            for _ in range(2):
                seen.clear()
                resp = client.get(path, headers=headers or {})
                assert resp.status_code == 200, (path, resp.status_code, resp.data[:300])
                runs.append(len(seen))
            out[url] = tuple(runs)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return out


@pytest.fixture
def world(app):
    return _World()


def _assert_bounded(small: dict, large: dict) -> None:
    grown = {url: (small[url], large[url]) for url in small
             if large[url][0] > small[url][0] or large[url][1] > small[url][1]}
    assert not grown, f"statements grow with the rows shown ({SMALL} → {SMALL + LARGE} rows): {grown}"


def test_pages_statement_count_bounded(app, world, admin, login):
    client = login(admin)
    world.grow(SMALL)
    small = _counts(app, client, PAGES, world.ids())
    world.grow(LARGE)
    large = _counts(app, client, PAGES, world.ids())
    _assert_bounded(small, large)
    assert all(n > 0 for pair in small.values() for n in pair[:1])      # the listener did count


def test_api_statement_count_bounded(app, world, admin):
    from core.auth.service import issue_token
    token = issue_token(admin)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    world.grow(SMALL)
    small = _counts(app, client, API, world.ids(), headers)
    world.grow(LARGE)
    large = _counts(app, client, API, world.ids(), headers)
    _assert_bounded(small, large)
    from registry.models import Firm
    assert db.session.scalar(select(Firm.id).where(Firm.id == world.first))
