"""Registered capital (注册资本) parsing.

:func:`parse_capital` turns the many spellings found in registry exports into a
:class:`Capital` — an exact ``Decimal`` amount in 万 (10,000) units plus a
currency code. Grammar (after full-width → half-width, dropping spaces and
brackets ``()（）[]【】``)::

    [currency] number [multiplier] [currency]

* number: ``500``, ``51.8000``, ``6,000`` (thousands separators), ``.5``.
* multiplier: 万/萬 (×1), 千万 (×1000), 百万 (×100), 亿/億 (×10000), 千 (×0.1), in 万.
* currency: 元/圆/人民币/RMB/CNY/¥ → CNY, 美元/美金/USD, 港元/港币/香港元/HKD, 日元/JPY,
  欧元/EUR, 英镑/GBP, … (see :data:`CURRENCY_ALIASES`); a redundant 元 before or
  after the name (``万元人民币``, ``万人民币元``) and a trailing 整 are accepted.
* A bare number (``500``) means 万元人民币. A number with a currency but no
  multiplier is in whole units: ``5000元`` → 0.5 万元, ``13美元`` → 0.0013 万美元.
* Chinese numerals as printed on business licences (``壹佰万元整``, ``人民币伍拾万元``) are
  read with cn2an first.
* ``N/A``, ``-``, ``--``, ``—``, ``无``, ``暂无``, empty, ``None`` and NaN → ``None``.
* Negative amounts raise ``negative``; anything else unrecognised ``unparseable``.

Amounts are never passed through ``float``: decimal places are shifted exactly.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from core.errors import CodedError

EN_MESSAGES = {
    "unparseable": (
        "The registered capital could not be understood; use a form such as "
        "'500万元人民币' or '13(万美元)'."
    ),
    "negative": "The registered capital cannot be negative.",
}

#: Display unit after "万" for each supported currency.
CURRENCY_UNITS = {
    "CNY": "元人民币", "USD": "美元", "HKD": "港元", "JPY": "日元", "EUR": "欧元",
    "GBP": "英镑", "AUD": "澳元", "CAD": "加元", "SGD": "新加坡元", "CHF": "瑞士法郎",
    "TWD": "新台币", "MOP": "澳门元", "KRW": "韩元",
}

#: Currency names (upper-cased) → currency code.
CURRENCY_ALIASES = {
    "人民币": "CNY", "RMB": "CNY", "CNY": "CNY", "¥": "CNY",
    "美元": "USD", "美金": "USD", "USD": "USD", "US$": "USD",
    "港元": "HKD", "港币": "HKD", "香港元": "HKD", "HKD": "HKD",
    "日元": "JPY", "日圆": "JPY", "JPY": "JPY",
    "欧元": "EUR", "EUR": "EUR",
    "英镑": "GBP", "GBP": "GBP",
    "澳元": "AUD", "澳大利亚元": "AUD", "AUD": "AUD",
    "加元": "CAD", "加拿大元": "CAD", "CAD": "CAD",
    "新加坡元": "SGD", "SGD": "SGD",
    "瑞士法郎": "CHF", "CHF": "CHF",
    "新台币": "TWD", "台币": "TWD", "TWD": "TWD",
    "澳门元": "MOP", "澳门币": "MOP", "MOP": "MOP",
    "韩元": "KRW", "KRW": "KRW",
}

#: Multiplier → power of ten relative to 万 (longest first for prefix matching).
_MULTIPLIERS = (("千万", 3), ("百万", 2), ("亿", 4), ("億", 4), ("万", 0), ("萬", 0), ("千", -1))
_YUAN_SHIFT = -4
_NULL_TOKENS = {
    "", "N/A", "NA", "-", "--", "—", "——", "–", "―", "/", "无", "暂无", "不详", "NULL", "NONE", "NAN",
}
_DROP_RE = re.compile(r"[\s()\[\]【】\u200b\u200c\u200d\u2060\ufeff]+")
_AMOUNT_RE = re.compile(
    r"(?P<pre>[^0-9.+-]*?)"
    r"(?P<num>[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<post>[^0-9]*)"
)


class CapitalError(CodedError):
    """Unusable capital value. ``code`` is a key of :data:`EN_MESSAGES`,
    ``message`` the Chinese text (also ``str(exc)``), ``params`` extra details."""


def _shift(amount: Decimal, places: int) -> Decimal:
    """Multiply by 10**places exactly (no context rounding)."""
    sign, digits, exp = amount.as_tuple()
    return Decimal((sign, digits, exp + places))


def _canonical(amount: Decimal) -> Decimal:
    """Exact canonical form: no trailing fractional zeros, no positive exponent."""
    sign, digits, exp = amount.as_tuple()
    if not any(digits):
        return Decimal(0)
    digits = list(digits)
    while exp < 0 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exp += 1
    if exp > 0:
        digits += [0] * exp
        exp = 0
    return Decimal((sign, tuple(digits), exp))


@dataclass(frozen=True)
class Capital:
    """Registered capital: ``amount`` in 万 units of ``currency`` (ISO 4217 code)."""

    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self):
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValueError(f"amount must be a finite Decimal: {self.amount!r}")
        if self.amount < 0:
            raise ValueError(f"amount must not be negative: {self.amount!r}")
        if self.currency not in CURRENCY_UNITS:
            raise ValueError(f"unsupported currency: {self.currency!r}")
        object.__setattr__(self, "amount", _canonical(self.amount))

    @property
    def in_units(self) -> Decimal:
        """The amount in whole currency units (元, dollars, …)."""
        return _canonical(_shift(self.amount, 4))

    def display(self) -> str:
        """Chinese display form, e.g. ``51.8 万元人民币``, ``13 万美元``."""
        return f"{self.amount:f} 万{CURRENCY_UNITS[self.currency]}"

    def __str__(self) -> str:
        return self.display()


def _unparseable(raw) -> CapitalError:
    shown = str(raw)
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    return CapitalError(
        "unparseable",
        f"无法识别注册资本“{shown}”，请使用“500万元人民币”“13(万美元)”或“1.2亿元”等格式。",
        value=shown,
    )


def _currency(phrase: str) -> tuple[str, bool] | None:
    """Currency of a phrase as ``(code, explicit)``; ``""``/元/圆 → ``("CNY", False)``.
    A 元 before or after a currency name and a trailing 整 are ignored; None if unknown."""
    phrase = phrase.removesuffix("整")
    if phrase in ("", "元", "圆"):
        return "CNY", False
    stripped = phrase.removeprefix("元")
    for candidate in (phrase, stripped, phrase.removesuffix("元"), stripped.removesuffix("元")):
        if candidate in CURRENCY_ALIASES:
            return CURRENCY_ALIASES[candidate], True
    return None


def _split_multiplier(post: str) -> tuple[int | None, str]:
    """Strip a leading multiplier: returns (power of ten in 万, or None; rest)."""
    for word, power in _MULTIPLIERS:
        if post.startswith(word):
            return power, post[len(word):]
    return None, post


def _from_number(raw) -> Capital | None:
    """int / Decimal / float input: a bare number of 万元人民币; NaN → None."""
    if isinstance(raw, float):
        if math.isnan(raw):
            return None
        if math.isinf(raw):
            raise _unparseable(raw)
        raw = Decimal(repr(raw))
    amount = Decimal(raw)
    if amount.is_nan():
        return None
    if not amount.is_finite():
        raise _unparseable(raw)
    if amount < 0:
        raise _negative(raw)
    return Capital(amount.copy_abs(), "CNY")


def _negative(raw) -> CapitalError:
    return CapitalError("negative", f"注册资本不能为负数（“{raw}”）。", value=str(raw))


def _clean(raw: str) -> str:
    """NFKC (full-width → half-width), upper-case, drop whitespace and brackets."""
    return _DROP_RE.sub("", unicodedata.normalize("NFKC", raw)).upper()


def parse_capital(raw) -> Capital | None:
    """Parse a registered-capital value (see module docstring for the rules)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise _unparseable(raw)
    if not isinstance(raw, str):
        return _from_number(raw)
    return _parse_text(raw)


@lru_cache(maxsize=4096)
def _parse_text(raw: str) -> Capital | None:
    """parse_capital of a text. Memoised: a file repeats the same few hundred capitals (Capital is
    immutable; a text that fails raises again each time, in the current language)."""
    text = _clean(raw)
    if text in _NULL_TOKENS:
        return None
    match = _AMOUNT_RE.fullmatch(text) or _AMOUNT_RE.fullmatch(_arabic(text))
    if not match:
        raise _unparseable(raw.strip())
    return _build(raw.strip(), match)


_CN_DIGITS = re.compile("[零〇一二三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟两]+")


def _arabic(text: str) -> str:
    """Capital as printed on a licence: Chinese numerals as digits ('壹佰万元整' → '1000000元整')."""
    if not _CN_DIGITS.search(text) or text in ("万", "亿"):
        return text
    import cn2an   # only for the rare licence spelling
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # cn2an warns about parts it leaves as they are
        try:
            return cn2an.transform(text, "cn2an")
        except (ValueError, KeyError, IndexError):
            return text


def _build(raw: str, match: re.Match) -> Capital:
    """Combine the regex parts into a Capital, checking currency agreement and sign."""
    power, rest = _split_multiplier(match["post"])
    prefix = _currency(match["pre"]) if match["pre"] else None
    suffix = _currency(rest)
    if suffix is None or (match["pre"] and prefix is None):
        raise _unparseable(raw)
    if prefix and prefix[1] and suffix[1] and prefix[0] != suffix[0]:
        raise _unparseable(raw)
    currency = prefix[0] if prefix and prefix[1] else suffix[0]
    has_unit = bool(rest) or bool(match["pre"])
    if power is None:
        power = _YUAN_SHIFT if has_unit else 0
    try:
        amount = Decimal(match["num"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - regex only admits valid numbers
        raise _unparseable(raw) from None
    if amount < 0:
        raise _negative(raw)
    return Capital(_shift(amount.copy_abs(), power), currency)
