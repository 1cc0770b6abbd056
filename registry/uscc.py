"""Unified Social Credit Code — 统一社会信用代码 (GB 32100-2015).

Layout of the 18 characters (1-based positions)::

    1      registration authority (登记管理部门代码)
    2      organisation type (机构类别代码)
    3–8    division code of the issuing authority (登记管理机关行政区划码)
    9–17   organisation code (组织机构代码, GB 11714; 17 is its check character)
    18     overall check character

Rules enforced by :func:`validate`, in this order (first failure is reported):

1. ``empty``             – nothing left after normalisation.
2. ``numeric_corrupted`` – the value looks like Excel turned it into a number:
   scientific notation (``9.13302E+17``), a trailing ``.0``, thousands
   separators, or only digits but not 18 of them.
3. ``charset``           – a character outside ``0-9A-HJ-NPQRTUWXY``
   (no I, O, S, V, Z); the first offending character is named.
4. ``length``            – not exactly 18 characters.
5. ``check_digit``       – character 18 does not match the mod-31 check.
   An all-digit code ending in ``000`` also gets a hint that Excel may have
   dropped digits (it keeps only 15 significant digits).
6. ``org_check``         – the overall check passes but character 17 is not the
   GB 11714 check of characters 9–16.

Registration authority / organisation type values are *not* validated (any value
is accepted), nor is the region.
"""

from __future__ import annotations

import operator
import random
import re

from core.errors import CodedError
from registry import reference

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
LENGTH = 18

# Letters GB 32100 leaves out because they are easily confused, with the usual mistake.
_CONFUSABLE = {"I": "1", "O": "0", "S": "5", "Z": "2", "V": "U"}

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_EXCEL_NUMBER_RE = re.compile(
    r"[+-]?[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+"  # scientific notation, e.g. 9.13302E+17
    r"|[0-9]+\.0*"                           # 913302120000000000.0
    r"|[0-9]{1,3}(?:,[0-9]{3})+(?:\.0*)?"    # 913,302,120,000,000,000
)

EN_MESSAGES = {
    "empty": "The Unified Social Credit Code is empty.",
    "numeric_corrupted": (
        "The Unified Social Credit Code appears to have been converted to a number by Excel "
        "(scientific notation, trailing '.0' or lost digits); the original code cannot be "
        "recovered. Format the column as Text in Excel and export it again."
    ),
    "charset": (
        "The Unified Social Credit Code contains a character that is not allowed "
        "(only digits and capital letters except I, O, S, V, Z)."
    ),
    "length": "The Unified Social Credit Code must be exactly 18 characters long.",
    "check_digit": (
        "The check character (position 18) of the Unified Social Credit Code does not match; "
        "please check the code for typing errors."
    ),
    "org_check": (
        "The organisation code part (positions 9–17) of the Unified Social Credit Code "
        "fails its check; please check the code for typing errors."
    ),
    "region": "Positions 3–8 of the code are not a 6-digit division code.",
}

_EXCEL_ADVICE = "请在 Excel 中将该列设置为“文本”格式后重新导出"


class USCCError(CodedError):
    """Invalid credit code. ``code`` is a stable key of :data:`EN_MESSAGES`,
    ``message`` the Chinese text (also ``str(exc)``), ``params`` extra details."""


# --- normalisation ----------------------------------------------------------

def _to_halfwidth(text: str) -> str:
    """Full-width ASCII (U+FF01–U+FF5E) → ASCII; ideographic space → space."""
    return "".join(
        chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else (" " if c == "\u3000" else c)
        for c in text
    )


def normalize(raw) -> str:
    """Canonical text form: zero-width characters removed, full-width letters and
    digits made half-width, surrounding whitespace (incl. NBSP, U+3000) stripped,
    upper-cased. ``None`` → ``""``; numbers are converted with ``str``."""
    if raw is None:
        return ""
    text = raw if isinstance(raw, str) else str(raw)
    if text.isascii():
        return text.strip().upper()
    return _to_halfwidth(text.translate(_ZERO_WIDTH)).strip().upper()


# --- check characters -------------------------------------------------------

def _require(text: str, length: int, alphabet: str, what: str) -> None:
    if len(text) != length or any(c not in alphabet for c in text):
        raise ValueError(f"{what} must be {length} characters from {alphabet!r}: {text!r}")


def compute_check_char(first17: str) -> str:
    """Overall check (position 18): C = (31 − Σ value(cᵢ)·3ⁱ mod 31) mod 31,
    values and result taken by index in :data:`CHARSET`."""
    _require(first17, 17, CHARSET, "first17")
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def _org_value(char: str) -> int:
    """GB 11714 character value: digits 0–9, letters A=10 … Z=35."""
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def compute_org_check_char(body8: str) -> str:
    """GB 11714 organisation-code check (position 17): C = 11 − Σ vᵢ·wᵢ mod 11
    with w = 3 7 9 10 5 8 4 2; 10 → 'X', 11 → '0'."""
    _require(body8, 8, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "body8")
    check = 11 - sum(_org_value(c) * w for c, w in zip(body8, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# --- validation -------------------------------------------------------------

def _describe_char(char: str) -> str:
    """How to show an offending character in a message."""
    if char.isspace():
        return "空格"
    if not char.isprintable():
        return f"U+{ord(char):04X}"
    return f"“{char}”"


_ORG_VALUES = {c: _org_value(c) for c in CHARSET}


def _is_checked_code(code: str) -> bool:
    """True for an 18-character code of valid characters whose two check characters are right.

    The validator's fast path (most codes of a file are good): one pass, no exception."""
    if len(code) != LENGTH:
        return False
    try:
        total = sum(map(operator.mul, map(_VALUES.__getitem__, code[:17]), WEIGHTS))
        org = sum(map(operator.mul, map(_ORG_VALUES.__getitem__, code[8:16]), ORG_WEIGHTS))
    except KeyError:
        return False
    org_check = 11 - org % 11
    return (code[17] == CHARSET[(31 - total % 31) % 31]
            and code[16] == ("X" if org_check == 10 else "0" if org_check == 11 else str(org_check)))


def _check_numeric_corruption(code: str) -> None:
    """Raise ``numeric_corrupted`` for values Excel has visibly turned into numbers.

    An 18-character code whose two check characters are right is a real code even when it looks
    like scientific notation (e.g. 913302049594720E24).
    """
    if _is_checked_code(code):
        return
    if _EXCEL_NUMBER_RE.fullmatch(code) or (code.isdigit() and code.isascii() and len(code) != LENGTH):
        raise USCCError(
            "numeric_corrupted",
            f"统一社会信用代码“{code}”已被 Excel 转换成数字（科学计数法、末尾“.0”或位数丢失），"
            f"原代码无法还原。{_EXCEL_ADVICE}。",
            value=code,
        )


def _check_charset(code: str) -> None:
    """Raise ``charset`` naming the first character outside :data:`CHARSET`."""
    for pos, char in enumerate(code, start=1):
        if char not in _VALUES:
            hint = f"（是否应为“{_CONFUSABLE[char]}”？）" if char in _CONFUSABLE else ""
            raise USCCError(
                "charset",
                f"统一社会信用代码第{pos}位的字符{_describe_char(char)}不合法{hint}："
                "代码只能由数字和大写字母组成，且不使用 I、O、S、V、Z。",
                char=char, position=pos,
            )


def _check_length(code: str) -> None:
    if len(code) != LENGTH:
        raise USCCError(
            "length", f"统一社会信用代码应为18位，当前为{len(code)}位。", length=len(code)
        )


def _check_overall(code: str) -> None:
    """Raise ``check_digit``; all-digit codes ending in 000 get the Excel hint."""
    if compute_check_char(code[:17]) == code[17]:
        return
    message = "统一社会信用代码校验失败（第18位校验码不符），请核对代码是否抄写有误。"
    excel = code.isdigit() and code.endswith("000")
    if excel:
        message += (
            "该代码末尾为“000”，也可能是 Excel 将其当作数字保存、只保留了前15位有效数字，"
            f"{_EXCEL_ADVICE}。"
        )
    raise USCCError("check_digit", message, possibly_numeric_corrupted=excel)


def _check_org(code: str) -> None:
    if compute_org_check_char(code[8:16]) != code[16]:
        raise USCCError(
            "org_check",
            "统一社会信用代码中的组织机构代码（第9–17位）校验失败，请核对第9–17位是否抄写有误。",
        )


def validate(raw) -> str:
    """Return the normalised code or raise :class:`USCCError` (see module docstring)."""
    code = normalize(raw)
    if _is_checked_code(code):          # the common case: one pass, no error to explain
        return code
    if not code:
        raise USCCError("empty", "统一社会信用代码不能为空。")
    _check_numeric_corruption(code)
    _check_charset(code)
    _check_length(code)
    _check_overall(code)
    _check_org(code)
    return code


def is_valid(raw) -> bool:
    """True when :func:`validate` accepts ``raw``."""
    try:
        validate(raw)
    except USCCError:
        return False
    return True


# --- construction -----------------------------------------------------------

def make_code(prefix8: str, org_body8: str) -> str:
    """Build a valid code from positions 1–8 (authority, type, region) and the
    8-character organisation-code body: appends the GB 11714 check and the
    overall check character."""
    _require(prefix8, 8, CHARSET, "prefix8")
    _require(org_body8, 8, CHARSET, "org_body8")
    first17 = prefix8 + org_body8 + compute_org_check_char(org_body8)
    return first17 + compute_check_char(first17)


def generate(
    registration_authority: str = "9",
    org_type: str = "1",
    region: str = "330212",
    org_body8: str | None = None,
    rng: random.Random | None = None,
    *,
    org_prefix: str = "",
) -> str:
    """Generate a valid code. Without ``org_body8`` the body is ``org_prefix``
    (e.g. ``"MA2A"``) followed by random :data:`CHARSET` characters."""
    if not (len(region) == 6 and region.isdigit() and region.isascii()):
        raise ValueError(f"region must be 6 digits: {region!r}")
    if org_body8 is None:
        rng = rng or random.Random()
        if len(org_prefix) > 8:
            raise ValueError("org_prefix longer than 8 characters")
        org_body8 = org_prefix + "".join(rng.choice(CHARSET) for _ in range(8 - len(org_prefix)))
    return make_code(registration_authority + org_type + region, org_body8)


# --- interpretation ---------------------------------------------------------

_CITY_CODES = {"330200", "330201"}
_SUCCESSORS = {"330204": "已并入鄞州区", "330227": "今鄞州区", "330283": "今奉化区"}


def _ningbo_name(region: str) -> str:
    """Name of a 3302xx code from the division table, with years if no longer in use."""
    row = reference.division(region)
    if row is None:
        return "宁波市其他区县"
    if row["to_year"] is None:
        return row["name"]
    years = f"{row['from_year'] or ''}–{row['to_year']}"
    note = f", {_SUCCESSORS[region]}" if region in _SUCCESSORS else ""
    return f"{row['name']} ({years}{note})"


def region_of(code: str) -> dict:
    """Interpret positions 3–8 (issuing authority's division code).

    Returns ``{"code", "name", "kind", "in_yinzhou"}`` where kind is
    ``yinzhou`` (330212), ``former_jiangdong`` (330204, merged into 鄞州区 in
    2016), ``city`` (330200/330201, 宁波市 level), ``ningbo_other`` (other
    3302xx) or ``outside``. ``in_yinzhou`` is True for 330212 and 330204.
    Raises :class:`USCCError` (``region``) if positions 3–8 are not 6 digits.
    """
    region = normalize(code)[2:8]
    if not (len(region) == 6 and region.isdigit() and region.isascii()):
        raise USCCError("region", "统一社会信用代码第3–8位应为6位行政区划代码。")
    if region == "330212":
        name, kind = "鄞州区", "yinzhou"
    elif region == "330204":
        name, kind = "江东区 (1983–2016, 已并入鄞州区)", "former_jiangdong"
    elif region in _CITY_CODES:
        name, kind = "宁波市 (市级)", "city"
    elif region.startswith("3302"):
        name, kind = _ningbo_name(region), "ningbo_other"
    else:
        name, kind = f"外地 ({region})", "outside"
    return {"code": region, "name": name, "kind": kind, "in_yinzhou": kind in ("yinzhou", "former_jiangdong")}
