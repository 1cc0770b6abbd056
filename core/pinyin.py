"""Sort keys that put Chinese names in pinyin order (拼音排序), as a district civil servant expects a
list "by name" to read: 安 … 宝 … 宁波 … 中, not by Unicode code point.

`sort_key("宁波银行")` is ``"ning2bo1yin2hang2"``: each Han character's reading with its tone digit
(the digit also ends the syllable, so 西安 ``xi1an1`` sorts before 先 ``xian1``), Latin letters and
digits folded to lower case (full-width forms too), everything else (spaces, brackets, punctuation)
left out. Keys hold only [0-9a-z], so they compare the same way in every collation; ties are broken
by the caller (the row id).

Polyphones (银行 háng, 重庆 chóng, 长安 cháng) are read through pypinyin's phrase table (the phrases
whose reading differs from their characters' first readings, longest match first). Not `pypinyin.lazy_pinyin`: that measured 330–450 µs a name here (45 s for a
100,000-firm import); this reads the same tables in a few µs a name.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Column width of stored keys (a name of 255 characters fits unless most of it is Han characters
#: with six-letter readings; a longer key is cut, which keeps the order of everything before the cut).
KEY_LENGTH = 1024
_PHRASE_MAX = 4


@lru_cache(maxsize=1)
def _tables() -> tuple[dict, dict, frozenset]:
    """(a str.translate table from every character pypinyin knows, and ASCII, to its key part; the
    phrases whose reading differs from their characters' first readings as {phrase: key}; the first
    two characters of those phrases). Built once per process (about 0.5 s)."""
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict
    table = {code: _tone3(readings.split(",", 1)[0]) for code, readings in pinyin_dict.items()}
    table.update({code: chr(code).lower() if chr(code).isalnum() else None for code in range(128)})
    overrides = {}
    for phrase, readings in phrases_dict.items():
        if 1 < len(phrase) <= _PHRASE_MAX and len(phrase) == len(readings):
            key = "".join(_tone3(r[0]) for r in readings)
            if key != phrase.translate(table):
                overrides[phrase] = key
    return table, overrides, frozenset(p[:2] for p in overrides)


@lru_cache(maxsize=8192)
def _tone3(reading: str) -> str:
    from pypinyin.contrib.tone_convert import to_tone3
    out = to_tone3(reading)
    return out if out[-1:].isdigit() else out + "5"     # the neutral tone sorts after the four tones


def _fold(match: re.Match) -> str:
    """Characters pypinyin does not know: full-width forms to ASCII, only letters and digits kept."""
    folded = unicodedata.normalize("NFKC", match.group()).lower()
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def sort_key(name: str | None) -> str:
    """The pinyin sort key of `name` (see the module docstring); "" for None or ""."""
    if not name:
        return ""
    table, overrides, starts = _tables()
    if not starts.isdisjoint(map(str.__add__, name, name[1:])):
        key = "".join(_with_phrases(name, table, overrides, starts))
    else:    # most names: one str.translate, about 2 µs
        key = name.translate(table)
    if not key.isascii():
        key = _OTHER.sub(_fold, key)
    return key[:KEY_LENGTH]


def _with_phrases(name: str, table: dict, overrides: dict, starts: frozenset):
    i, n = 0, len(name)
    while i < n:
        if name[i:i + 2] not in starts:
            yield name[i].translate(table)
            i += 1
            continue
        for size in range(min(_PHRASE_MAX, n - i), 1, -1):
            found = overrides.get(name[i:i + size])
            if found is not None:
                yield found
                i += size
                break
        else:
            yield name[i].translate(table)
            i += 1


_OTHER = re.compile(r"[^\x00-\x7f]+")
