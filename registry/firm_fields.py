"""A firm's fields and their rules: text limits, names and former names, town, industry, plan sector,
registered capital. Used by registry.firms for new and changed firms alike (imports' drafts included).
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from core.errors import ServiceError
from registry import reference
from registry.capital import CapitalError, parse_capital
from registry.models import PLAN_SECTORS, RANGES, Firm

#: Firm attributes a caller may set through create_firm / update_firm.
FIRM_FIELDS = frozenset({
    "name", "former_names", "registered_on", "firm_type", "legal_rep", "capital", "capital_amount",
    "capital_currency", "capital_raw", "business_scope", "address", "town_code", "park",
    "industry_code", "plan_sector", "above_scale", "high_tech", "listed", "stock_code",
})


def set_firm_fields(firm, fields: dict) -> None:
    """Set `fields` (FIRM_FIELDS) on a firm or a draft, each by its rule; ServiceError(field=...) on a breach."""
    unknown = set(fields) - FIRM_FIELDS
    if unknown:
        raise TypeError(f"unknown firm fields: {sorted(unknown)}")
    if "capital" in fields:
        fields = dict(fields)
        fields.update(capital_fields(fields.pop("capital")))
    for key, value in fields.items():
        _SETTERS.get(key, _set_text)(firm, key, value)
    if firm.stock_code and not firm.listed:
        firm.listed = True


def capital_fields(raw) -> dict:
    """Registered capital text → capital_raw/amount/currency (registry.capital rules)."""
    raw = "" if raw is None else str(raw).strip()
    try:
        cap = parse_capital(raw)
    except CapitalError as exc:
        raise ServiceError(exc.message, field="capital") from None
    if len(raw) > _TEXT_LIMITS["capital_raw"]:
        raise ServiceError(_("内容过长（最多 %(n)s 个字符）", n=_TEXT_LIMITS["capital_raw"]), field="capital")
    return {"capital_raw": raw or None, "capital_amount": _capital_in_range(cap.amount) if cap else None,
            "capital_currency": cap.currency if cap else None}


_TEXT_LIMITS = {c.key: getattr(c.type, "length", None) for c in Firm.__table__.c}


def _set_text(firm, key, value) -> None:
    value = (str(value).strip() or None) if value is not None else None
    limit = _TEXT_LIMITS[key]
    if value is not None and limit and len(value) > limit:
        raise ServiceError(_("内容过长（最多 %(n)s 个字符）", n=limit), field=key)
    if getattr(firm, key) != value:
        setattr(firm, key, value)


def _set_name(firm, _key, value) -> None:
    name = (value or "").strip()
    if not name:
        raise ServiceError(_("企业名称不能为空"), field="name")
    if len(name) > 255:
        raise ServiceError(_("企业名称过长"), field="name")
    if firm.name and firm.name != name:
        firm.former_names = merge_names(firm.former_names, [firm.name], exclude=name)
    if firm.name != name:
        firm.name = name


def merge_names(current, extra, *, exclude: str) -> list:
    out = []
    for n in list(current or []) + list(extra):
        n = (n or "").strip()
        if n and n != exclude and n not in out:
            out.append(n)
    return out


def split_names(value) -> list:
    if isinstance(value, str):
        return value.replace("；", ";").replace("，", ";").replace(",", ";").split(";")
    return list(value or [])


def _set_former_names(firm, _key, value) -> None:
    merged = merge_names(firm.former_names, split_names(value), exclude=firm.name)
    if merged != list(firm.former_names or []):
        firm.former_names = merged


def _set_town(firm, _key, value) -> None:
    code = None
    if value:
        found = reference.town_by_name(value)
        if found is None:
            raise ServiceError(_("未知的街道/镇：%(v)s", v=value), field="town_code")
        code = found[0]
    if firm.town_code != code:
        firm.town_code = code


def _set_industry(firm, _key, value) -> None:
    code = resolve_industry(value)
    if firm.industry_code != code:
        firm.industry_code = code


def resolve_industry(value) -> str | None:
    """GB/T 4754-2017 code from a code ("3831", "C") or an exact name; ServiceError when unknown."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    code = reference.industry_code(text.split()[0]) or reference.industry_code(text)
    if code is None:
        row = reference.industry_by_name(text)
        if row is None:
            raise ServiceError(_("未知的国民经济行业（GB/T 4754-2017）：%(v)s", v=text), field="industry_code")
        code = row["code"]
    return code


def _set_sector(firm, _key, value) -> None:
    value = (value or "").strip() or None
    if value is not None and value not in PLAN_SECTORS:
        raise ServiceError(_("未知的规划产业类别：%(v)s", v=value), field="plan_sector")
    if firm.plan_sector != value:
        firm.plan_sector = value


def _set_bool(firm, key, value) -> None:
    value = bool(value)
    if getattr(firm, key) != value:
        setattr(firm, key, value)


def _set_plain(firm, key, value) -> None:
    if getattr(firm, key) != value:
        setattr(firm, key, value)


def _capital_in_range(value) -> Decimal | None:
    """The capital amount (万) inside RANGES["capital_amount"], else ServiceError(field="capital")."""
    if value is not None and Decimal(value) < 0:
        raise ServiceError(_("注册资本不能为负数"), field="capital")
    return RANGES["capital_amount"].check(value, "capital")


def _set_amount(firm, key, value) -> None:
    value = _capital_in_range(value)
    if value is not None:
        value = Decimal(str(value))
    if firm.capital_amount is None or value is None:
        if firm.capital_amount != value:
            firm.capital_amount = value
    elif firm.capital_amount.compare(value) != 0:
        firm.capital_amount = value


_SETTERS = {
    "name": _set_name, "former_names": _set_former_names, "town_code": _set_town,
    "industry_code": _set_industry, "plan_sector": _set_sector, "above_scale": _set_bool,
    "high_tech": _set_bool, "listed": _set_bool, "registered_on": _set_plain,
    "capital_amount": _set_amount,
}
