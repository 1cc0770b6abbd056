"""Reference tables shipped with the project (see ``registry/data/README.md``).

Loaders read the CSV files in ``registry/data`` once (``functools.cache``) and
hand out copies, so callers may modify what they get without affecting others.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

INDUSTRY_LEVEL_NAMES = {1: "门类", 2: "大类", 3: "中类", 4: "小类"}

_TOWN_SUFFIXES = ("街道办事处", "街道", "办事处", "镇", "乡")
_TOWN_PREFIXES = ("浙江省", "宁波市", "鄞州区")
_SPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def _read_csv(name: str) -> list[dict[str, str]]:
    """Read ``registry/data/<name>`` as a list of row dicts (UTF-8, BOM tolerated)."""
    with open(DATA_DIR / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _opt_int(value: str) -> int | None:
    """Empty string → None, otherwise int."""
    value = value.strip()
    return int(value) if value else None


# --- industries (GB/T 4754-2017) -------------------------------------------

@cache
def _industry_rows() -> tuple[dict, ...]:
    """All industry rows with typed fields; ``parent_code`` is None for 门类."""
    rows = []
    for r in _read_csv("gbt4754_2017.csv"):
        rows.append({
            "code": r["code"].strip(),
            "name": r["name"].strip(),
            "level": int(r["level"]),
            "level_name": r["level_name"].strip(),
            "parent_code": r["parent_code"].strip() or None,
            "section": r["section"].strip(),
        })
    return tuple(rows)


@cache
def _industry_index() -> dict[str, dict]:
    return {r["code"]: r for r in _industry_rows()}


def industries(level: int | None = None) -> list[dict]:
    """GB/T 4754-2017 entries in file order, optionally only one level (1–4).

    Each dict has ``code, name, level (int), level_name, parent_code, section``.
    """
    return [dict(r) for r in _industry_rows() if level is None or r["level"] == level]


@cache
def _industry_by_name() -> dict[str, dict]:
    """Exact name → the most specific industry of that name (names repeat across levels)."""
    index: dict[str, dict] = {}
    for r in _industry_rows():
        if r["name"] not in index or r["level"] > index[r["name"]]["level"]:
            index[r["name"]] = r
    return index


def industry_by_name(name: str | None) -> dict | None:
    """The most specific GB/T 4754-2017 entry with exactly this name, or None."""
    row = _industry_by_name().get(str(name).strip()) if name else None
    return dict(row) if row else None


def industry_code(code: str | None) -> str | None:
    """The canonical form of a GB/T 4754-2017 code ("c" → "C"), or None if there is no such code."""
    if code is None:
        return None
    row = _industry_index().get(str(code).strip().upper())
    return row["code"] if row else None


def industry_name(code: str | None) -> str | None:
    """The name of one industry (a row of every firm list: no copy of the row)."""
    row = _industry_index().get(str(code).strip().upper()) if code is not None else None
    return row["name"] if row else None


def industry(code: str | None) -> dict | None:
    """Look up one industry by code (section letters are case-insensitive); None if unknown."""
    if code is None:
        return None
    row = _industry_index().get(str(code).strip().upper())
    return dict(row) if row else None


# --- streets and towns of 鄞州区 -------------------------------------------

@cache
def _town_rows() -> tuple[tuple[str, str], ...]:
    return tuple((r["code"].strip(), r["name"].strip()) for r in _read_csv("yinzhou_streets_towns.csv"))


def towns() -> list[tuple[str, str]]:
    """The 25 streets/towns of 鄞州区 as ``(9-digit code, name)`` in code order."""
    return list(_town_rows())


def _town_key(name: str) -> str:
    """Reduce a street/town name to its core: drop spaces, 浙江省/宁波市/鄞州区 prefixes
    and a trailing 街道(办事处)/办事处/镇/乡."""
    key = _SPACE_RE.sub("", name)
    for prefix in _TOWN_PREFIXES:
        key = key.removeprefix(prefix)
    for suffix in _TOWN_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


@cache
def _town_codes() -> dict[str, tuple[str, str]]:
    return {code: (code, name) for code, name in _town_rows()}


@cache
def _town_index() -> dict[str, tuple[str, str]]:
    return {_town_key(name): (code, name) for code, name in _town_rows()}


def town_by_code(code: str | None) -> tuple[str, str] | None:
    """``(code, name)`` of a 9-digit town code; None if unknown."""
    return _town_codes().get(code) if code else None


def town_by_name(name: str | None) -> tuple[str, str] | None:
    """Find a street/town by name, tolerant of a missing or different suffix
    (``下应`` / ``下应街道`` / ``下应镇`` / ``鄞州区下应街道`` all match 下应街道).
    A 9-digit town code is accepted too. Returns ``(code, name)`` or None."""
    if not name:
        return None
    text = str(name)
    found = _town_codes().get(text) or _town_index().get(text)     # a code, or an exact core name
    if found:
        return found
    text = _SPACE_RE.sub("", text)
    if text in _town_codes():
        return _town_codes()[text]
    key = _town_key(text)
    return _town_index().get(key) if key else None


# --- Ningbo county-level division codes ------------------------------------

@cache
def _division_rows() -> tuple[dict, ...]:
    return tuple(
        {
            "code": r["code"].strip(),
            "name": r["name"].strip(),
            "from_year": _opt_int(r["from_year"]),
            "to_year": _opt_int(r["to_year"]),
        }
        for r in _read_csv("ningbo_division_codes.csv")
    )


def divisions(code: str | None = None) -> list[dict]:
    """All division rows (``code, name, from_year, to_year``; years int or None),
    or only those for one code — a code may have been reused (330206)."""
    return [dict(r) for r in _division_rows() if code is None or r["code"] == code]


def division(code: str | None) -> dict | None:
    """The most recent entry for a 6-digit Ningbo division code, or None.

    Where a code was used more than once the still-current entry (no ``to_year``)
    wins, otherwise the one with the latest ``from_year``.
    """
    if code is None:
        return None
    rows = divisions(str(code).strip())
    if not rows:
        return None
    return max(rows, key=lambda r: (r["to_year"] is None, r["from_year"] or 0))
