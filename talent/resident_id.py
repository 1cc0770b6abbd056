"""PRC resident identity card number — 公民身份号码 (GB 11643-1999).

Layout (1-based): 1–6 address code (first two: province), 7–14 birth date
YYYYMMDD, 15–17 sequence (17 odd = male), 18 check character.

:func:`validate` checks, reporting the first failure (``ResidentIDError.code``):

1. ``empty``       – nothing after normalisation.
2. ``length``      – not 18 characters (15-digit first-generation numbers are
   refused with a request for the 18-digit number).
3. ``charset``     – positions 1–17 must be digits, 18 a digit or X.
4. ``region``      – first two digits must be a province-level code
   (11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81, 82, 83).
5. ``birth_date``  – positions 7–14 must be a real date, 1900-01-01 … today.
6. ``check_digit`` – ISO 7064 MOD 11-2: Σ dᵢ·wᵢ with
   w = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check = "10X98765432"[Σ mod 11].

Privacy: error messages and ``params`` never contain the number or any part
of it — only positions and lengths.
"""

from __future__ import annotations

from datetime import date
from core import dates
from core.errors import CodedError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
LENGTH = 18
MIN_BIRTH = date(1900, 1, 1)
PROVINCE_CODES = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
                      *range(50, 55), *range(61, 66), 71, 81, 82, 83)]
)

EN_MESSAGES = {
    "empty": "The ID number is empty.",
    "length": "The ID number must have 18 characters (old 15-digit numbers are not accepted).",
    "charset": "The ID number must be 17 digits followed by a digit or X.",
    "region": "The first two digits of the ID number are not a valid province code.",
    "birth_date": "The birth date in the ID number (positions 7–14) is not a valid date between 1900 and today.",
    "check_digit": "The check character (position 18) of the ID number is wrong; please check the number.",
}

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


class ResidentIDError(CodedError):
    """Invalid ID number. ``code`` is a key of :data:`EN_MESSAGES`, ``message``
    the Chinese text (also ``str(exc)``); neither contains the number."""


def normalize(raw) -> str:
    """Zero-width characters removed, full-width digits/letters made half-width,
    surrounding whitespace (incl. NBSP, U+3000) stripped, ``x`` → ``X``."""
    if raw is None:
        return ""
    text = (raw if isinstance(raw, str) else str(raw)).translate(_ZERO_WIDTH)
    text = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text)
    return text.strip().upper()


def compute_check_digit(first17: str) -> str:
    """GB 11643 check character for 17 ASCII digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("first17 must be 17 ASCII digits")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def _parse_birth(digits8: str) -> date | None:
    """YYYYMMDD → date, or None if not a real calendar date."""
    try:
        return date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None


def _check_length(number: str) -> None:
    if len(number) == LENGTH:
        return
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise ResidentIDError(
            "length", "不再受理15位旧版身份证号码，请填写18位身份证号码。", length=15
        )
    raise ResidentIDError(
        "length", f"身份证号码应为18位，当前为{len(number)}位。", length=len(number)
    )


def _check_charset(number: str) -> None:
    for pos, char in enumerate(number, start=1):
        allowed = "0123456789X" if pos == LENGTH else "0123456789"
        if char not in allowed:
            rule = "应为数字或X" if pos == LENGTH else "应为数字"
            raise ResidentIDError(
                "charset", f"身份证号码第{pos}位{rule}（前17位为数字，第18位为数字或X）。", position=pos
            )


def _check_birth(number: str, today: date) -> None:
    birth = _parse_birth(number[6:14])
    if birth is None:
        message = "身份证号码中的出生日期（第7–14位）不是有效日期。"
    elif birth > today:
        message = "身份证号码中的出生日期（第7–14位）晚于今天。"
    elif birth < MIN_BIRTH:
        message = "身份证号码中的出生日期（第7–14位）早于1900年。"
    else:
        return
    raise ResidentIDError("birth_date", message)


def validate(raw, today: date | None = None) -> str:
    """Return the normalised 18-character number or raise :class:`ResidentIDError`
    (rules in the module docstring). ``today`` defaults to today in Asia/Shanghai."""
    number = normalize(raw)
    if not number:
        raise ResidentIDError("empty", "身份证号码不能为空。")
    _check_length(number)
    _check_charset(number)
    if number[:2] not in PROVINCE_CODES:
        raise ResidentIDError("region", "身份证号码前两位不是有效的省级行政区划代码。")
    _check_birth(number, today or dates.today())
    if compute_check_digit(number[:17]) != number[17]:
        raise ResidentIDError("check_digit", "身份证号码校验位（第18位）不正确，请核对号码。")
    return number


def is_valid(raw, today: date | None = None) -> bool:
    """True when :func:`validate` accepts ``raw``."""
    try:
        validate(raw, today)
    except ResidentIDError:
        return False
    return True


def mask(number) -> str:
    """Masked display form: first 4 and last 4 characters visible, the rest
    as ``*`` (``3302**********123X`` for 18 characters); 8 or fewer → all ``*``."""
    text = normalize(number)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def generate(region: str = "330212", birth: date = date(1990, 1, 1), seq: int = 1) -> str:
    """Build a valid number from a 6-digit address code, birth date and
    sequence 0–999 (odd = male)."""
    if not (len(region) == 6 and region.isascii() and region.isdigit()):
        raise ValueError("region must be 6 ASCII digits")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be between 0 and 999")
    if birth < MIN_BIRTH:
        raise ValueError("birth must not be before 1900")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + compute_check_digit(first17)
