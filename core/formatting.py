"""Figures and times as people read them: Jinja filters shared by every page.

- `num`: thousands separators, whole numbers for counts (`num(2)` for two decimals, trailing zeros dropped);
- `wan` / `yi`: an amount kept in 万元, shown in 万元 or in 亿元 (1 亿元 = 10,000 万元) with the unit;
- `localtime`: a timestamp in Asia/Shanghai as "2026-11-29 09:05" (a naive value is taken as UTC, as stored
  by SQLite); a date stays "2026-11-29".
None is shown as "—" by the number filters and as "" by `localtime`.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from core.dates import TZ, as_utc


def num(value: Any, digits: int = 0) -> str:
    """12345 → "12,345"; num(1234.5, 2) → "1,234.5"; None → "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value) if not isinstance(value, Decimal) else value
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if digits and "." in text else text


def wan(value: Any, digits: int = 2) -> str:
    """An amount in 万元 with its unit: "12,345.6 万元"."""
    return "—" if value is None else f"{num(value, digits)} {_('万元')}"


def yi(value: Any, digits: int = 2) -> str:
    """An amount kept in 万元, shown in 亿元: 123456 → "12.35 亿元"."""
    if value is None:
        return "—"
    return f"{num(Decimal(str(value)) / Decimal(10000), digits)} {_('亿元')}"


def localtime(value: Any, seconds: bool = False) -> str:
    """A timestamp in China time, "YYYY-MM-DD HH:MM" (":SS" with `seconds`)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return as_utc(value).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def init_app(app) -> None:
    """Register the filters on the app's Jinja environment."""
    from core.field_labels import action_label, field_label
    app.jinja_env.filters.update(num=num, wan=wan, yi=yi, localtime=localtime, field_label=field_label,
                                 action_label=action_label)
