"""Pages speak to people: crawled as admin (with records in every domain), no page shows a raw key (pool keys,
field names in snake_case), an ISO/UTC timestamp ('2026-11-29T08:00', '+00:00') or 'None', and every form
field has a label."""
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
        self.controls, self.label_for, self._in_label = [], set(), 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self._control(tag, dict(attrs))
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "label" and self._in_label:
            self._in_label -= 1

    def _control(self, tag, attrs):
        """Form controls, and whether each has a label (<label for>, a wrapping <label>, aria-label)."""
        if tag == "label":
            self._in_label += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in (
                "hidden", "submit", "button", "reset", "image"):
            labelled = self._in_label or attrs.get("aria-label") or attrs.get("aria-labelledby")
            self.controls.append((attrs.get("id"), attrs.get("name"), bool(labelled)))

    def unlabelled(self) -> list[str]:
        return [name or cid or "?" for cid, name, ok in self.controls if not ok and cid not in self.label_for]

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def read_page(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


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
        assert resp.status_code < 500, url
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        page = read_page(resp.get_data(as_text=True))
        found = _problems("\n".join(page.parts), lang) + [f"field without a label: {n}" for n in page.unlabelled()]
        if found:
            bad[url] = sorted(set(found))[:8]
    assert not bad, "\n".join(f"{u}: {v}" for u, v in bad.items())
