"""Header matching: the columns an import understands and the tolerant map from a file's headers."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Sequence

@dataclass(frozen=True)
class Column:
    """A column the importer understands.

    ``key`` is the field name; ``label_zh``/``label_en`` are the template
    headers; ``aliases`` are other spellings users write (Chinese or English).
    """

    key: str
    label_zh: str
    label_en: str = ""
    aliases: tuple[str, ...] = ()
    required: bool = False
    sensitive: bool = False     # personal data: masked in previews and error reports

    def names(self) -> tuple[str, ...]:
        """All spellings that identify this column."""
        return (self.key, self.label_zh, self.label_en, *self.aliases)


@dataclass
class HeaderMap:
    """Result of :func:`map_headers`.

    ``index`` maps key → column position (first occurrence); ``unknown`` lists
    non-blank headers that matched nothing (they are ignored); ``missing`` lists
    required keys not found; ``duplicates`` maps key → every position where it
    matched, for keys that matched more than once.
    """

    index: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    duplicates: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no required column is missing and none is duplicated."""
        return not self.missing and not self.duplicates

    def pick(self, row: Sequence[str]) -> dict[str, str]:
        """The mapped cells of ``row`` as {key: text}."""
        return {k: (row[i] if i < len(row) else "") for k, i in self.index.items()}


_NOTE = re.compile(r"\s*(\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》)$")
_IGNORED_IN_HEADER = re.compile(r"[\s_\-\u200b\u200c\u200d\u2060\ufeff]+")


def normalize_header(text: str, *, drop_note: bool = False) -> str:
    """Canonical form of a header for matching.

    Rules: NFKC (full-width → half-width, so '（' == '('), case-folded,
    whitespace/underscores/hyphens/zero-width/BOM removed, leading and trailing
    '*' (required-column marks) and trailing ':' removed.  With ``drop_note``
    trailing bracketed notes such as '(万元)' / '【必填】' are removed too,
    as long as something remains.
    """
    s = unicodedata.normalize("NFKC", text).casefold()
    s = _IGNORED_IN_HEADER.sub("", s).strip("*:")
    while drop_note:
        base = _NOTE.sub("", s).strip("*:")
        if not base or base == s:
            break
        s = base
    return s


_AMBIGUOUS = object()


def _lookups(columns: Sequence[Column]) -> tuple[dict[str, str], dict[str, Any]]:
    """(exact, note-less) name → key tables; exact clashes are programming errors."""
    exact: dict[str, str] = {}
    loose: dict[str, Any] = {}
    for col in columns:
        for name in col.names():
            if not name:
                continue
            norm = normalize_header(name)
            if exact.setdefault(norm, col.key) != col.key:
                raise ValueError(f"header {name!r} is claimed by {exact[norm]!r} and {col.key!r}")
            base = normalize_header(name, drop_note=True)
            if loose.setdefault(base, col.key) != col.key:
                loose[base] = _AMBIGUOUS
    return exact, loose


def map_headers(headers: Sequence[str], columns: Sequence[Column]) -> HeaderMap:
    """Match file headers to known columns, tolerantly.

    Rules: compare :func:`normalize_header` forms of the header and of each
    column's key/labels/aliases; an exact match wins, otherwise a match with
    trailing unit notes removed on both sides ('注册资本（万元）' == '注册资本')
    unless that is ambiguous.  Blank headers are ignored silently.
    """
    exact, loose = _lookups(columns)
    result = HeaderMap()
    for pos, header in enumerate(headers):
        norm = normalize_header(header)
        if not norm:
            continue
        key = exact.get(norm)
        if key is None:
            found = loose.get(normalize_header(header, drop_note=True))
            key = None if found is _AMBIGUOUS else found
        if key is None:
            result.unknown.append(header)
        elif key in result.index:
            result.duplicates.setdefault(key, [result.index[key]]).append(pos)
        else:
            result.index[key] = pos
    result.missing = [c.key for c in columns if c.required and c.key not in result.index]
    return result


TITLE_ROWS = 3     # rows above the header that may hold a title or a note


def locate_header(headers: Sequence[str], rows: Sequence[Sequence[str]], columns: Sequence[Column]) -> int:
    """How many title rows sit above the real header row (0 when ``headers`` is the header).

    Government spreadsheets often open with a title ('2018年鄞州区…名单') or a note in a row or
    two above the header.  Among ``headers`` and the next :data:`TITLE_ROWS` rows, the row that
    names the most known columns wins; ties go to the earliest, so a file whose first row is the
    header is never re-read.
    """
    exact, loose = _lookups(columns)

    def known(row: Sequence[str]) -> int:
        return len({exact.get(normalize_header(h)) or loose.get(normalize_header(h, drop_note=True))
                    for h in row if h} - {None, _AMBIGUOUS})

    best, best_count = 0, known(headers)
    for n, row in enumerate(rows[:TITLE_ROWS], 1):
        count = known(row)
        if count > best_count:
            best, best_count = n, count
    return best
