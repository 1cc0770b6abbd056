"""CSV/TSV reading: decode (BOMs, UTF-8, GB18030, a guess), sniff the delimiter, parse as text."""
from __future__ import annotations

import codecs
import csv
import io
import re

from core.tabular.errors import TableError
from core.tabular.table import Collector, Table
from core.tabular.text import _STRIP


def _read_csv(data: bytes, max_rows: int) -> Table:
    """Decode, sniff the delimiter and parse a CSV/TSV file (see :func:`read_table`)."""
    text, encoding = _decode(data)
    if "\x00" in text:
        raise TableError("binary_content")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    out = Collector(max_rows)
    line = 0
    try:
        for line, raw in enumerate(reader, 1):
            out.add([c.strip(_STRIP) for c in raw], line)
    except csv.Error as exc:
        raise TableError("csv_malformed", line=line + 1) from exc
    return out.table(encoding=encoding, file_format="csv", delimiter=delimiter)


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def _lines(text: str):
    """The lines of `text` with their endings (\r\n, \n or \r), as io.StringIO(text, newline="")
    yields them — without StringIO's copy of the whole text at four bytes a character."""
    for match in _LINE.finditer(text):
        yield match.group()


def _decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, returning (text, codec name).

    Order: UTF-8 BOM → 'utf-8-sig'; UTF-16 BOM → 'utf-16' (Excel "Unicode
    text"); valid UTF-8 → 'utf-8'; valid GB18030 (superset of GBK/GB2312) →
    'gb18030'; otherwise charset-normalizer's best guess; else TableError.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise TableError("encoding_unknown") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise TableError("encoding_unknown") from exc
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            pass
    return _decode_guess(data)


def _decode_guess(data: bytes) -> tuple[str, str]:
    """Last resort: ask charset-normalizer; refuse when it has no answer."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or not best.encoding:
        raise TableError("encoding_unknown")
    try:
        return data.decode(best.encoding), best.encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise TableError("encoding_unknown") from exc


def _sniff_delimiter(text: str) -> str:
    """Pick ',', tab or ';': the one that splits the header row into most fields.

    Ties go to comma, then tab; tab/semicolon must give at least two fields,
    so a one-column file is read as comma-separated.
    """
    sample = text[:65536]
    best, best_count = ",", 1
    for delim in (",", "\t", ";"):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
        try:
            first = next((r for r in reader if any(c.strip(_STRIP) for c in r)), [])
        except csv.Error:
            first = []
        if len(first) > best_count:
            best, best_count = delim, len(first)
    return best
