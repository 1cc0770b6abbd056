"""Text forms shared by reading and writing: whitespace to strip, dates and numbers as plain text."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from zoneinfo import ZoneInfo

EXCEL_MAX_DIGITS = 15          # Excel keeps 15 significant digits
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Exactly the characters for which str.isspace() is true, plus zero-width/BOM.
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
               "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
               "\u2028\u2029\u202f\u205f\u3000")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_STRIP = _WHITESPACE + _ZERO_WIDTH


def _date_text(value: dt.date) -> str:
    """'YYYY-MM-DD' (zero-padded even for years before 1000)."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _float_text(value: float) -> str:
    """Shortest round-trip text of a float in plain notation; '12.0' → '12'."""
    if not math.isfinite(value):
        return repr(value)
    if value == 0:
        return "0"
    text = repr(value)
    if "e" in text:
        return _decimal_text(Decimal(text))
    return text[:-2] if text.endswith(".0") else text


def _decimal_text(value: Decimal) -> str:
    """Plain (non-scientific) text of a Decimal without a trailing '.0…0'."""
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text

