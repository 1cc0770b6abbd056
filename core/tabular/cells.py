"""The row-reading kit: typed cells of one import row, every problem kept with its column.

A domain's ``parse`` builds a :class:`Row` from the row's ``{key: text}`` and asks it for typed
values; a cell that cannot be read records ``(key, message)`` and gives ``None``, so one pass
finds every problem of the row; :meth:`Row.check` then raises :class:`RowInvalid` with all of
them.  The cell parsers are also usable alone (:func:`parse_date`, :func:`parse_number`,
:func:`parse_amount`, :func:`parse_flag`); they raise :class:`CellError` (a ``ValueError``)
with a message in the current language.

Rules shared by every import:

* an empty cell, and for numbers/amounts a placeholder ('-', '—', '/', '无'), is "not given";
* text may not hold control characters, bidirectional overrides or zero-width characters (they
  would make what is stored differ from what a page or an export shows; the rule is core.text's,
  the same for forms, the API and the CLI; a cell may hold tab and line breaks);
* dates: 2018-03-01, 2018/3/1, 2018.3.1, 2018年3月1日, 20180301, with or without a time, or an
  Excel serial number — but a year alone or a small number is not a date; dates must lie between
  1949-01-01 and today (or the field's own bounds);
* numbers: thousands separators allowed; NaN/Infinity get their own message; negative refused
  unless the field allows it;
* amounts are in 万元: '12.5', '12.5万元', '1.2亿' (→ 12000), '50000元' (→ 5).
"""
from __future__ import annotations

import re
import time
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import dates
from core import text as core_text
from core.errors import ServiceError

EARLIEST = date(1949, 1, 1)
LATEST = date(2100, 12, 31)
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL_MIN = (EARLIEST - _EXCEL_EPOCH).days       # 17899: smaller numbers are not dates
_SERIAL_MAX = (LATEST - _EXCEL_EPOCH).days
_PLACEHOLDERS = frozenset({"-", "--", "—", "——", "/", "无", "N/A", "n/a"})

_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                      r"(?:[ T]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL_RE = re.compile(r"\d{1,7}(?:\.\d+)?")
# C0/C1 controls except tab, newline, carriage return; bidi marks, overrides and isolates; zero-width
_UNSAFE_TEXT = core_text.UNSAFE
_AMOUNT_UNITS = (("亿元", 4), ("亿", 4), ("万元", 0), ("万", 0), ("元", -4))


_REQUIRED = _l("此列为必填项，不能为空")


class CellError(ValueError):
    """A cell that cannot be read; ``str(exc)`` is the message for the user."""


class RowInvalid(Exception):
    """All problems of one row: [(column key or None, message), ...]."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(m for _k, m in problems))
        self.problems = problems


_today_memo: list = [0.0, None]     # [valid until (monotonic seconds), date]


def _today() -> date:
    """The one "today" (core.dates, Asia/Shanghai), looked up at most once a second: an import
    asks for it on every date cell."""
    now = time.monotonic()
    if now >= _today_memo[0]:
        _today_memo[:] = [now + 1.0, dates.today()]
    return _today_memo[1]


# ----------------------------------------------------------------------------- cell parsers

def parse_date(text: str, *, earliest: date | None = EARLIEST, latest: date | None = LATEST) -> date:
    """A date in any accepted spelling (see module docstring) within [earliest, latest]."""
    value = _parse_date((text or "").strip())
    if earliest is not None and value < earliest:
        raise CellError(_("日期“%(v)s”早于 %(d)s，请核对", v=text, d=earliest.isoformat()))
    if latest is not None and value > latest:
        if latest == _today():
            raise CellError(_("日期“%(v)s”晚于今天，请核对", v=text))
        raise CellError(_("日期“%(v)s”晚于 %(d)s，请核对", v=text, d=latest.isoformat()))
    return value


@lru_cache(maxsize=8192)
def _parse_date(text: str) -> date:
    """Memoised: a file's dates repeat (a text that fails raises again, in the current language)."""
    match = _DATE_RE.fullmatch(text) or _COMPACT_DATE_RE.fullmatch(text)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            raise CellError(_("不存在的日期“%(v)s”", v=text)) from None
    if _SERIAL_RE.fullmatch(text):
        serial = int(Decimal(text))
        if len(text.split(".")[0]) == 4 and 1900 <= serial <= 2100:
            raise CellError(_("“%(v)s”只有年份，请填写完整日期，如 %(v)s-03-01", v=text))
        if _SERIAL_MIN <= serial <= _SERIAL_MAX:
            return _EXCEL_EPOCH + timedelta(days=serial)
    raise CellError(_("无法识别的日期“%(v)s”，请使用 2019-03-05 这样的格式", v=text))


def _number_text(text: str) -> str:
    return text.strip().replace(",", "").replace("，", "").replace(" ", "")


def parse_number(text: str, *, integer: bool = False, signed: bool = False) -> Decimal | int:
    """A number ('1,234.5'); integer=True refuses fractions; negative refused unless signed."""
    raw = _number_text(text)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise CellError(_("不是有效的数字：%(v)s", v=text)) from None
    return _checked(value, text, integer=integer, signed=signed)


def _checked(value: Decimal, text: str, *, integer: bool, signed: bool) -> Decimal | int:
    if not value.is_finite():
        raise CellError(_("“%(v)s”不是数值（可能是公式或计算错误的结果），请填写数字", v=text))
    if value < 0 and not signed:
        raise CellError(_("不能为负数：%(v)s", v=text))
    if integer:
        if value != value.to_integral_value():
            raise CellError(_("应为整数：%(v)s", v=text))
        return int(value)
    return value


def parse_amount(text: str, *, signed: bool = False) -> Decimal:
    """A money amount in 万元: '12.5', '12.5万元', '1.2亿' → 12000, '50000元' → 5."""
    raw = _number_text(text)
    power = 0
    for unit, shift in _AMOUNT_UNITS:
        if raw.endswith(unit):
            raw, power = raw[:-len(unit)], shift
            break
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise CellError(_("金额“%(v)s”不是数字（单位：万元，也可写“亿元”“元”）", v=text)) from None
    value = _checked(value, text, integer=False, signed=signed)
    return value.scaleb(power) if power else value


_TRUE = frozenset({"是", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "规上", "高新", "上市", "已上市"})
_FALSE = frozenset({"否", "N", "NO", "FALSE", "0", "×", "✗", "非规上", "未上市", "不是"})


def parse_flag(text: str) -> bool:
    """是/否 (and Y/N, TRUE/FALSE, 1/0, √/×)."""
    key = (text or "").strip().upper()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(_("应填写“是”或“否”，而不是“%(v)s”", v=text))


def check_text(text: str) -> str:
    """The text itself, refused when it holds control characters, direction overrides or zero-width
    characters (core.text; tab and line breaks allowed)."""
    bad = core_text.find(text, multiline=True)
    if bad is not None:
        raise CellError(_("含有不可见的控制字符（第 %(n)s 个字符，U+%(code)s），请删除后重新导入",
                          n=bad.start() + 1, code=f"{ord(bad.group()):04X}"))
    return text


def choose(text: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """One of ``choices``, or what an alias (compared case- and space-insensitively) stands for."""
    choices = tuple(choices)
    if text in choices:
        return text
    found = (aliases or {}).get(text) or (aliases or {}).get(text.lower().replace(" ", ""))
    if found is None:
        raise CellError(_("“%(v)s”不是可选的值（可选：%(all)s）", v=text, all="、".join(choices)))
    return found


# ----------------------------------------------------------------------------- the row

class Row:
    """One import row being read; every getter records its column's problem and returns None."""

    def __init__(self, values: Mapping[str, str]):
        self.values = values
        self.problems: list[tuple[str | None, str]] = []

    def problem(self, key: str | None, message: Any) -> None:
        self.problems.append((key, str(message)))     # a lazy message is translated only now

    def raw(self, key: str) -> str:
        text = self.values.get(key)
        return text.strip() if text else ""

    def _missing(self, key: str, required: bool, message: Any) -> None:
        if required:
            self.problem(key, _REQUIRED if message is None else message)

    def cell(self, key: str, parser: Callable[[str], Any], *, required: bool = False,
             message: Any = None, placeholders: bool = False) -> Any:
        """parser(text) of a non-empty cell; a failure (ValueError or a ServiceError) is a problem of
        the column (a ServiceError naming another field keeps that field).  With ``placeholders``
        '-', '—', '/', '无' count as empty.  ``message`` (for an empty required cell) may be lazy."""
        text = self.values.get(key)
        text = text.strip() if text else ""
        if not text or (placeholders and text in _PLACEHOLDERS):
            self._missing(key, required, message)
            return None
        try:
            return parser(text)
        except ValueError as exc:
            self.problem(key, str(exc))
        except ServiceError as exc:
            self.problem(exc.field or key, exc.message)
        return None

    def text(self, key: str, *, required: bool = False, message: Any = None,
             max_length: int | None = None) -> str:
        text = self.values.get(key)
        text = text.strip() if text else ""
        if not text:
            self._missing(key, required, message)
            return ""
        if _UNSAFE_TEXT.search(text) is not None:
            self.cell(key, check_text)
            return ""
        if max_length is not None and len(text) > max_length:
            self.problem(key, _("内容过长（最多 %(n)s 个字符）", n=max_length))
        return text

    def required(self, key: str, message: Any = None) -> str:
        return self.text(key, required=True, message=message)

    def date(self, key: str, *, required: bool = False, message: str | None = None,
             earliest: date | None = EARLIEST, latest: date | None | str = "today") -> date | None:
        """A date between ``earliest`` and ``latest`` ('today' by default: events have happened)."""
        text = self.values.get(key)
        text = text.strip() if text else ""
        if not text:
            self._missing(key, required, message)
            return None
        try:
            return parse_date(text, earliest=earliest, latest=_today() if latest == "today" else latest)
        except ValueError as exc:
            self.problem(key, str(exc))
            return None

    def number(self, key: str, *, integer: bool = False, signed: bool = False, required: bool = False,
               message: str | None = None) -> Decimal | int | None:
        return self.cell(key, lambda t: parse_number(t, integer=integer, signed=signed),
                         required=required, message=message, placeholders=True)

    def amount(self, key: str, *, required: bool = False, positive: bool = False,
               maximum: Decimal | None = None, message: str | None = None) -> Decimal | None:
        """Money in 万元 (亿元/元 converted); ``positive`` refuses 0; ``maximum`` is exclusive."""
        value = self.cell(key, parse_amount, required=required, message=message, placeholders=True)
        if value is not None and positive and value <= 0:
            self.problem(key, _("金额须大于 0（万元）"))
        elif value is not None and maximum is not None and value >= maximum:
            self.problem(key, _("金额过大，请确认单位为万元"))
        else:
            return value
        return None

    def choice(self, key: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None, *,
               required: bool = False, message: str | None = None) -> str | None:
        return self.cell(key, lambda t: choose(t, choices, aliases), required=required, message=message)

    def flag(self, key: str) -> bool | None:
        return self.cell(key, parse_flag)

    def check(self) -> None:
        """Raise every problem of the row at once (RowInvalid)."""
        if self.problems:
            raise RowInvalid(self.problems)
