"""Filling in firms' missing street/town: a suggestion parsed from the registered address, confirmed
by an editor in bulk (one audited batch, undone like an import).

suggest_town(address) rules: the 25 streets and towns of registry.reference (the shipped
yinzhou_streets_towns.csv); an address naming another district (海曙区, 江北区, 奉化区 …) gets no
suggestion; a full name ("下应街道", "姜山镇") wins over a bare one ("下应"); a bare name counts
only when it is not the start of a road or place name (首南路, 姜山大道); with several towns named,
the one named first wins.
"""
from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.db import db
from core.errors import ServiceError
from core.imports import ImportBatch
from registry import reference, service
from registry.models import Firm

BATCH_KIND = "town_fill"
_OTHER_DISTRICTS = ("海曙区", "江北区", "北仑区", "镇海区", "奉化区", "余姚市", "慈溪市", "宁海县", "象山县",
                    "杭州市", "绍兴市", "台州市", "舟山市", "上海市")
_NOT_A_TOWN_AFTER = "路街道巷桥村弄大厦广场园小区社区"


@cache
def _patterns() -> tuple[list, list]:
    """([(pattern, code, name)] of full names, the same of bare names not followed by a road word)."""
    full, bare = [], []
    for code, name in reference.towns():
        core = name.removesuffix("街道").removesuffix("镇")
        full.append((re.compile(re.escape(name)), code, name))
        bare.append((re.compile(re.escape(core) + f"(?![{_NOT_A_TOWN_AFTER}]|街道|镇)"), code, name))
    return full, bare


def suggest_town(address: str | None) -> tuple[str, str] | None:
    """(code, name) of the street/town the address names, or None (module docstring)."""
    text = re.sub(r"\s+", "", address or "")
    if not text or any(d in text for d in _OTHER_DISTRICTS):
        return None
    for group in _patterns():
        hits = [(m.start(), code, name) for pat, code, name in group for m in [pat.search(text)] if m]
        if hits:
            _pos, code, name = min(hits)
            return code, name
    return None


def count_without_town() -> int:
    return db.session.scalar(select(func.count()).select_from(Firm).where(
        Firm.town_code.is_(None), Firm.archived_at.is_(None)))


def without_town(limit: int = 200, offset: int = 0) -> list[tuple[Firm, tuple[str, str] | None]]:
    """Live firms without a town, by name, each with its suggestion."""
    stmt = (select(Firm).where(Firm.town_code.is_(None), Firm.archived_at.is_(None))
            .order_by(Firm.name_sort, Firm.id).limit(limit).offset(offset))
    return [(f, suggest_town(f.address)) for f in db.session.scalars(stmt)]


def fill_towns(actor, choices: dict[int, str]) -> ImportBatch:
    """Set the town of each firm {firm id: town code} in one audited batch. Never commits.

    Only firms still without a town are changed (a town set meanwhile by someone else is kept:
    ServiceError naming the firm); unknown codes are refused. The batch is undone like an import.
    """
    if not choices:
        raise ServiceError(_("没有勾选任何企业"))
    batch = ImportBatch(kind=BATCH_KIND, filename=_("补全街道/镇"), actor_id=getattr(actor, "id", None),
                        actor_name=getattr(actor, "username", "system"), params={}, total_rows=len(choices))
    db.session.add(batch)
    db.session.flush()
    for firm_id, code in sorted(choices.items()):
        firm = db.session.get(Firm, firm_id)
        if firm is None or firm.archived_at is not None:
            raise ServiceError(_("企业不存在或已归档（#%(id)s）", id=firm_id))
        if firm.town_code is not None:
            raise ServiceError(_("“%(name)s”的街道/镇已由他人填写，请刷新页面", name=firm.name))
        if reference.town_by_name(code) is None:
            raise ServiceError(_("未知的街道/镇：%(v)s", v=code))
        service.update_firm(firm, actor, version=None, batch_id=batch.id, town_code=code,
                            note=_("按注册地址补全街道/镇"))
    batch.updated = len(choices)
    db.session.flush()
    return batch
