"""Pages speak to people: crawled as admin (with records in every domain), no page shows a raw key (pool keys,
field names in snake_case), an ISO/UTC timestamp ('2026-11-29T08:00', '+00:00') or 'None'."""
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from core.db import db

SNAKE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./-])")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00\b|\d{2}:\d{2}:\d{2}\.\d+")
NONE = re.compile(r"(?<![\w-])None(?![\w-])")
SKIP = ("/api/", "/static/", "/logout", "/lang/", "/health", ".xlsx", ".pdf", ".csv", "/evidence")


class _Text(HTMLParser):
    """The text people read: element text and the labels of form controls, not scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def _pages(app) -> list[str]:
    """Every GET page without arguments, plus the detail pages of the records seeded below."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not any(s in rule.rule for s in SKIP):
            urls.append(rule.rule)
    return sorted(set(urls))


def _seed(admin):
    from finance import service as finance
    from incubation import service as incubation
    from registry import service as registry
    from registry.models import Pool
    from registry.pools import enter_pool
    from registry.uscc import generate
    firm = registry.create_firm(admin, uscc=generate(), name="宁波甬江智造有限公司")
    pool = db.session.scalar(select(Pool).where(Pool.key == "high_growth"))
    enter_pool(admin, firm=firm, pool=pool, entered_on=date(2018, 1, 1), reason="营收增长")
    carrier = incubation.create_carrier(admin, name="鄞州众创空间", carrier_type="众创空间", level="市级",
                                        opened_on=date(2016, 1, 1))
    incubation.register_tenancy(admin, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 5, 2))
    cand = finance.add_candidate(admin, firm=firm, board="科创板", entered_on=date(2020, 1, 1))
    finance.record_financing(admin, firm=firm, kind="公司债", amount=12345, on=date(2020, 5, 1))
    db.session.commit()
    return {"firm": firm, "pool": pool, "carrier": carrier, "candidate": cand}


def _problems(text: str, lang: str) -> list[str]:
    found = []
    # "None" is a fine English word ("暂无"); in Chinese it can only be a value printed raw
    for pattern in (SNAKE, ISO_TIME, NONE) if lang == "zh" else (SNAKE, ISO_TIME):
        found += [m.group(0) for m in pattern.finditer(text)]
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_raw_keys_timestamps_or_none_on_any_page(app, admin, login, lang):
    records = _seed(admin)
    client = login(admin)
    if lang == "en":
        client.get("/lang/en")
    urls = _pages(app) + [f"/registry/firms/{records['firm'].id}", f"/registry/pools/{records['pool'].id}",
                          f"/incubation/carriers/{records['carrier'].id}",
                          f"/finance/candidates/{records['candidate'].id}", "/goals/g/high_growth_pool",
                          f"/records/registry.firm/{records['firm'].id}/history"]
    bad = {}
    for url in urls:
        resp = client.get(url)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        found = _problems(visible_text(resp.get_data(as_text=True)), lang)
        if found:
            bad[url] = sorted(set(found))[:8]
    assert not bad, bad
