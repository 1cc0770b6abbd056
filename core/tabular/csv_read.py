"""CSV/TSV reading: decode (BOMs, UTF-8, GB18030, a guess), sniff the delimiter, parse as text."""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
from itertools import chain

from core.tabular.errors import TableError
from core.tabular.table import Collector, Table
from core.tabular.text import _STRIP


FIELD_LIMIT = csv.field_size_limit()     # Python's default (131,072 characters): larger cells are refused
csv.field_size_limit(2 ** 31 - 1)        # ... by us, per cell and naming its column, not by the parser


def _read_csv(data: bytes, max_rows: int, on_rows=None, narrow=None) -> Table:
    """Decode, sniff the delimiter and parse a CSV/TSV file (see :func:`read_table`).

    A cell over FIELD_LIMIT characters is read as '' and listed in ``Table.oversized`` (the import
    reports it on its row and column).  A quote that does not close swallows the rows after it
    into one cell: such a file is refused, naming the row and column where the quote opened.
    The text is decoded line by line as it is parsed (never the whole file as one string: a
    100,000-row export of 130 MB would take ~250 MB more); `narrow`: see Collector.
    """
    sample, lines, encoding = _decoded_lines(data)
    return _parse(sample, lines, encoding, Collector(max_rows, on_rows, narrow=narrow))


def stream_csv(path: str | os.PathLike, max_rows: int, on_rows=None, narrow=None, hold: int | None = None) -> Table:
    """:func:`_read_csv` of the file at `path`, read as a stream: with `hold`, the Table holds the first `hold`
    data rows and ``Table.more`` yields the others as the file is read (see Table.more), so neither the
    file's bytes nor its rows are ever in memory at once. The encoding is checked first by reading the
    file a megabyte at a time (UTF-8 with or without BOM, GB18030); a file in another encoding (UTF-16,
    a guess) is read whole as by _read_csv. Without `hold` every row is read now."""
    raw = open(path, "rb")
    try:
        found = _file_codec(raw)
        if found is None:                       # UTF-16, or a codec to guess: as _read_csv does
            raw.seek(0)
            data = raw.read()
            raw.close()
            sample, lines, encoding = _decoded_lines(data)
            breaks = data.count(b"\n") or data.count(b"\r")
            del data
        else:
            encoding, offset, breaks = found
            name = "utf-8" if encoding == "utf-8-sig" else encoding
            raw.seek(offset)
            sample = raw.read(4 * _SAMPLE).decode(name, errors="ignore")[:_SAMPLE]
            raw.seek(offset)
            lines = io.TextIOWrapper(raw, encoding=name, newline="")
    except BaseException:
        raw.close()
        raise
    table = _parse(sample, lines, encoding, Collector(max_rows, on_rows, narrow=narrow, hold=hold),
                   close=getattr(lines, "close", None))
    table.expected_rows = max(breaks, len(table.rows))
    return table


def _parse(sample: str, lines, encoding: str, out: Collector, close=None) -> Table:
    """Sniff the delimiter and parse `lines` into `out`: every row, or (out.hold) the first ones and
    Table.more for the others."""
    delimiter = _sniff_delimiter(sample)
    del sample
    oversized: dict[int, list[int]] = {}
    records = _records(csv.reader(lines, delimiter=delimiter), delimiter, out, oversized, close)
    first = next(records, None)        # reads the rows `out` keeps (all of them without `hold`)
    table = out.table(encoding=encoding, file_format="csv", delimiter=delimiter)
    table.oversized = oversized
    if first is not None:
        table.more = chain((first,), records)
    return table


def _records(reader, delimiter: str, out: Collector, oversized: dict, close=None):
    """Read the rows into `out`; yield (row number, cells) of each row it does not keep. The cells of a
    row are stripped; an oversized cell is read as '' and listed in `oversized` before its row is yielded.
    Closes the file (`close`) at the end, on an error, or when the generator is dropped unfinished."""
    line = physical = 0
    try:
        for line, raw in enumerate(reader, 1):
            if reader.line_num - physical > 1:      # a quoted cell spans lines: is it a stray quote?
                _check_swallowed(raw, line, delimiter, out)
            physical = reader.line_num
            if max(map(len, raw), default=0) > FIELD_LIMIT:
                oversized[line] = [i for i, c in enumerate(raw) if len(c) > FIELD_LIMIT]
                raw = ["" if len(c) > FIELD_LIMIT else c for c in raw]
            cells = out.add([c.strip(_STRIP) for c in raw], line)
            if cells is not None:
                yield line, cells
    except csv.Error as exc:
        raise TableError("csv_malformed", line=line + 1) from exc
    except (TableError, GeneratorExit):
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback: as read_table does for a whole read
        raise TableError("parse_failed") from exc
    finally:
        if close is not None:
            close()


def _check_swallowed(raw: list[str], line: int, delimiter: str, out: Collector) -> None:
    """Refuse a cell whose inner lines look like whole rows: its opening quote never closed."""
    width = max(len(out.headers or raw), 2)
    for pos, cell in enumerate(raw):
        inner = cell.split("\n")[1:]
        if any(part.count(delimiter) >= width - 1 for part in inner):
            headers = out.headers or []
            column = headers[pos] if pos < len(headers) and headers[pos] else f"{pos + 1}"
            raise TableError("csv_unclosed_quote", line=line, column=column)


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def _lines(text: str):
    """The lines of `text` with their endings (\r\n, \n or \r), as io.StringIO(text, newline="")
    yields them — without StringIO's copy of the whole text at four bytes a character."""
    for match in _LINE.finditer(text):
        yield match.group()


_SAMPLE = 65536
_ASCII_COMPATIBLE = frozenset({"utf-8", "utf-8-sig", "gb18030"})


def _decoded_lines(data: bytes):
    """(the text's first _SAMPLE characters, an iterator of its lines with their endings, codec name).

    The codec is chosen as by :func:`_decode`; for UTF-8 (with or without BOM) and GB18030 the bytes
    are checked and then decoded lazily, line by line; other codecs are decoded at once."""
    codec, offset = _codec_of(data)
    if codec is None:
        text, codec = _decode(data)
        if "\x00" in text:
            raise TableError("binary_content")
        return text[:_SAMPLE], _lines(text), codec
    if b"\x00" in data:              # in these codecs a NUL byte is a NUL character
        raise TableError("binary_content")
    name = "utf-8" if codec == "utf-8-sig" else codec
    head = bytes(memoryview(data)[offset:offset + 4 * _SAMPLE]).decode(name, errors="ignore")[:_SAMPLE]
    raw = io.BytesIO(data)           # shares `data`'s buffer (no copy)
    raw.seek(offset)
    return head, io.TextIOWrapper(raw, encoding=name, newline=""), codec


def _codec_of(data: bytes) -> tuple[str | None, int]:
    """(codec, bytes to skip) when the file is UTF-8 with a BOM (checked as it is read), valid UTF-8 or
    valid GB18030 (checked here, without building the text); (None, 0) for the other cases."""
    if data.startswith(codecs.BOM_UTF8):
        return ("utf-8-sig", 3) if _valid(data, "utf-8", 3) else (None, 0)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, 0
    for codec in ("utf-8", "gb18030"):
        if _valid(data, codec, 0):
            return codec, 0
    return None, 0


def _file_codec(raw, step: int = 1 << 20) -> tuple[str, int, int] | None:
    """(codec, bytes to skip, line breaks) of the open binary file `raw`, as :func:`_codec_of` decides
    for bytes, or None for the other cases — read a megabyte at a time (a pass per codec tried), the text
    dropped. A NUL byte in a file of one of these codecs is refused (binary_content)."""
    start = raw.read(3)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    candidates = [("utf-8-sig", 3)] if start.startswith(codecs.BOM_UTF8) else [("utf-8", 0), ("gb18030", 0)]
    for codec, offset in candidates:
        decoder = codecs.getincrementaldecoder("utf-8" if codec == "utf-8-sig" else codec)()
        raw.seek(offset)
        count, nul = 0, False
        try:
            for block in iter(lambda: raw.read(step), b""):
                decoder.decode(block)
                count += block.count(b"\n")
                nul = nul or b"\x00" in block
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if nul:                      # in these codecs a NUL byte is a NUL character
            raise TableError("binary_content")
        return codec, offset, count
    return None


def _valid(data: bytes, codec: str, offset: int, step: int = 1 << 20) -> bool:
    """Whether data[offset:] decodes in `codec` — decoded a megabyte at a time, the text dropped."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    try:
        for start in range(offset, len(data), step):
            decoder.decode(view[start:start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


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
