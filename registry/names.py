"""Firm names as they arrive on official lists: cleaning the cell, and the normalised form matched on.

Pure functions, no database. Rules:
- clean_cell: a list's cell loses stray spaces (full-width and zero-width too), a leading serial
  number ("12、", "(3)"), and footnote marks (※, *, ＊, †, ①–⑳, superscript digits, "注1",
  "[1]", a trailing "（注：…）"); what was removed is returned so the page can show it.
- normalise: NFKC (full-width → half-width, （） → ()), no spaces, no brackets, no region in
  brackets ("(宁波)"), no leading 浙江省/宁波市/宁波/鄞州区/鄞州, 有限责任公司 and 股份有限公司
  read as 有限公司, 股份 dropped, case-folded. Two names with the same normalised form are
  the same firm unless the registry holds both.
- core: the normalised name without its company form (有限公司, 公司, 厂, 合伙企业…), the part
  the fuzzy score compares.
"""
import re
import unicodedata

_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")
_SERIAL = re.compile(r"^(?:[(（]\d{1,5}[)）]\s*|\d{1,5}\s*(?:[、.．,，:：)）]\s*|\s+))(?=\D)")
_FOOTNOTES = re.compile(
    r"[(（\[【]\s*注\s*[:：]?[^)）\]】]*[)）\]】]"     # （注：…） [注1] 【注】
    r"|注\s*[:：]?\s*\d+"                              # 注1  注：2
    r"|[(（\[]\s*\d{1,2}\s*[)）\]](?=$)"                # trailing [1] (2)
    r"|[※*＊†‡#＃△▲☆★◆●○]"                         # marks
    r"|[\u2460-\u2473\u2776-\u277f]"                   # ① … ⑳, ❶ … ❿
    r"|[\u00b9\u00b2\u00b3\u2070-\u2079]"              # superscript digits
)
_REGION_IN_BRACKETS = re.compile(r"\((?:浙江省?|宁波市?|鄞州区?)[^()]*\)")
_PREFIXES = ("浙江省", "浙江", "宁波市", "宁波", "鄞州区", "鄞州")
_FORMS = (("股份有限公司", "有限公司"), ("有限责任公司", "有限公司"), ("股份", ""))
_CORE_SUFFIXES = ("有限公司", "分公司", "公司", "合伙企业(有限合伙)", "合伙企业", "有限合伙", "厂", "集团")
CODE_RE = re.compile(r"(?<![0-9A-Za-z])([0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18})(?![0-9A-Za-z])")


def clean_cell(text) -> tuple[str, list[str]]:
    """(cleaned name, [marks removed]) — see the module docstring."""
    raw = "" if text is None else str(text)
    removed = []
    name = _SPACES.sub(" ", raw).strip()
    serial = _SERIAL.match(name)
    if serial:
        removed.append(serial.group(0).strip())
        name = name[serial.end():]
    removed += [m.group(0) for m in _FOOTNOTES.finditer(name)]
    name = _FOOTNOTES.sub("", name)
    if _SPACES.search(name):
        removed.append("空格")
    name = _SPACES.sub("", name).strip(" ,，;；、.。:：")
    return name, removed


def split_code(text: str) -> tuple[str, str | None]:
    """A pasted line may hold a name and an 18-character credit code: (rest, code or None)."""
    found = CODE_RE.search(text or "")
    if not found:
        return text, None
    rest = (text[:found.start()] + " " + text[found.end():]).strip(" \t,，;；|")
    return rest, found.group(1).upper()


def normalise(name: str) -> str:
    """The matching form of a firm name (module docstring)."""
    s = _SPACES.sub("", unicodedata.normalize("NFKC", name or ""))
    s = _REGION_IN_BRACKETS.sub("", s)
    s = s.replace("(", "").replace(")", "").replace("[", "").replace("]", "")
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if s.startswith(prefix) and len(s) > len(prefix) + 1:
                s, changed = s[len(prefix):], True
    for old, new in _FORMS:
        s = s.replace(old, new)
    return s.casefold()


def core(normalised: str) -> str:
    """The normalised name without its company form."""
    for suffix in _CORE_SUFFIXES:
        if normalised.endswith(suffix) and len(normalised) > len(suffix):
            return normalised[: -len(suffix)]
    return normalised
