"""Spreadsheet import/export mechanics: read CSV/xlsx as text, map headers, write xlsx/CSV.

Pure functions and small dataclasses; no Flask and no database.  The import
engine builds on :func:`read_table` + :func:`map_headers`; exports use
:func:`write_xlsx` / :func:`write_csv`; rejected uploads come back to the user
as :func:`error_report_xlsx`.

Reading rules (shared by every format):

* every cell is text; nothing is inferred (a credit code stays exactly as typed);
* cells are stripped of surrounding whitespace (incl. U+3000, NBSP, zero-width
  spaces and BOM remnants); embedded newlines are kept;
* blank rows are skipped, but ``Table.line_numbers`` keeps the row number the
  user sees in Excel (header = 1 when it is the first row);
* trailing empty columns are dropped; rows are padded to one common width;
* every failure is a :class:`TableError` with a Chinese message (``code`` is
  stable, :data:`EN_MESSAGES` has the English text).
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

import openpyxl
import openpyxl.xml
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = [
    "Column", "EN_MESSAGES", "HeaderMap", "Table", "TableError", "XML_HARDENED",
    "ZH_MESSAGES", "error_report_xlsx", "escape_formula", "map_headers",
    "normalize_header", "read_table", "unescape_formula", "write_csv", "write_xlsx",
]

#: True when openpyxl parses XML through defusedxml (entity/DTD attacks refused).
XML_HARDENED: bool = bool(openpyxl.xml.DEFUSEDXML)

MAX_ROWS = 300_000
MAX_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 1_000
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_SIZE = 1024 * 1024
ZIP_MAX_MEMBERS = 10_000
EXCEL_MAX_DIGITS = 15          # Excel keeps 15 significant digits
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Exactly the characters for which str.isspace() is true, plus zero-width/BOM.
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
               "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
               "\u2028\u2029\u202f\u205f\u3000")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_STRIP = _WHITESPACE + _ZERO_WIDTH

# --------------------------------------------------------------------------- errors

ZH_MESSAGES: dict[str, str] = {
    "empty_file": "文件为空，没有找到表头和数据。",
    "too_large": "文件过大（{size_mb} MB），单个文件上限为 {limit_mb} MB，请拆分后分批上传。",
    "unsupported_format": "不支持的文件类型“{ext}”，请上传 .xlsx 或 .csv 文件。",
    "xls_not_supported": "不支持旧版 Excel（.xls）文件。请在 Excel 中选择“另存为”，"
                         "保存为“Excel 工作簿（.xlsx）”或“CSV UTF-8（逗号分隔）”后重新上传。",
    "not_xlsx": "文件不是有效的 xlsx 文件（可能已损坏或扩展名被改过）。"
                "请用 Excel 打开后另存为 .xlsx 再上传。",
    "xlsx_encrypted": "文件已加密，或实际是旧版 .xls 文件。请取消密码保护，"
                      "并在 Excel 中另存为 .xlsx 后重新上传。",
    "zip_bomb": "文件解压后体积异常（超过 {limit_mb} MB 或压缩比异常），为安全起见已拒绝处理。",
    "xml_unsafe": "文件包含不安全的 XML 内容（DOCTYPE/ENTITY 声明），为安全起见已拒绝处理。"
                  "请用 Excel 重新保存为 .xlsx 后上传。",
    "xlsx_corrupt": "无法读取 xlsx 文件内容，文件可能已损坏。请用 Excel 打开后另存为 .xlsx 再上传。",
    "no_sheet": "工作簿中没有可读取的工作表。",
    "encoding_unknown": "无法识别文件的文字编码。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传。",
    "binary_content": "文件包含二进制内容，不是文本格式的 CSV 文件。",
    "csv_malformed": "CSV 文件格式错误（约第 {line} 行），无法解析。请检查引号是否成对。",
    "too_many_rows": "数据超过 {limit} 行的上限，请拆分文件后分批上传。",
    "too_many_columns": "第 {line} 行的列数超过 {limit} 列的上限，请检查文件。",
    "parse_failed": "文件解析失败，请检查文件是否完整，或用 Excel 重新保存后上传。",
}

EN_MESSAGES: dict[str, str] = {
    "empty_file": "The file is empty: no header row or data found.",
    "too_large": "The file is too large ({size_mb} MB); the limit is {limit_mb} MB. "
                 "Please split it and upload the parts separately.",
    "unsupported_format": "Unsupported file type \"{ext}\"; please upload an .xlsx or .csv file.",
    "xls_not_supported": "Old Excel (.xls) files are not supported. Use \"Save As\" in Excel "
                         "to save as .xlsx or \"CSV UTF-8\" and upload again.",
    "not_xlsx": "The file is not a valid .xlsx file (it may be damaged or renamed). "
                "Open it in Excel and save it as .xlsx.",
    "xlsx_encrypted": "The file is password-protected or is really an old .xls file. "
                      "Remove the password and save it as .xlsx.",
    "zip_bomb": "The file expands to an abnormal size (over {limit_mb} MB or an abnormal "
                "compression ratio) and was refused for safety.",
    "xml_unsafe": "The file contains unsafe XML (DOCTYPE/ENTITY declarations) and was refused. "
                  "Re-save it as .xlsx in Excel and upload again.",
    "xlsx_corrupt": "The .xlsx file could not be read; it may be damaged. "
                    "Open it in Excel and save it as .xlsx.",
    "no_sheet": "The workbook has no readable worksheet.",
    "encoding_unknown": "The text encoding could not be recognised. Save the file as "
                        "\"CSV UTF-8 (comma delimited)\" and upload again.",
    "binary_content": "The file contains binary data; it is not a text CSV file.",
    "csv_malformed": "The CSV file is malformed near row {line}; check that quotes are balanced.",
    "too_many_rows": "The file has more than {limit} data rows; please split it.",
    "too_many_columns": "Row {line} has more than {limit} columns; please check the file.",
    "parse_failed": "The file could not be parsed. Check that it is complete, "
                    "or re-save it in Excel and upload again.",
}


class TableError(ValueError):
    """A file that cannot be read as a table.

    ``code`` is a stable key of :data:`ZH_MESSAGES` / :data:`EN_MESSAGES`;
    ``message`` is the Chinese text for the user, ``message_en`` the English one;
    ``params`` holds the values interpolated into both.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = ZH_MESSAGES[code].format(**params)
        super().__init__(self.message)

    @property
    def message_en(self) -> str:
        return EN_MESSAGES[self.code].format(**self.params)


# --------------------------------------------------------------------------- reading

@dataclass
class Table:
    """A sheet read as text.

    ``rows[i]`` came from file row ``line_numbers[i]`` (1-based, as Excel shows
    it; for CSV it is the record number, so a quoted multi-line cell counts as
    one row).  All rows have ``len(headers)`` cells.
    """

    headers: list[str]
    rows: list[list[str]]
    line_numbers: list[int]
    encoding: str | None = None      # CSV only: codec used to decode
    sheet_name: str | None = None    # xlsx only
    header_line: int = 1             # row number of the header row
    file_format: str = "csv"         # "csv" or "xlsx"
    delimiter: str | None = None     # CSV only


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS,
               max_bytes: int = MAX_BYTES) -> Table:
    """Read an uploaded .xlsx / .csv / .txt file into a text-only :class:`Table`.

    Rules: size is checked first (``max_bytes``); the extension picks the
    reader (.xls and unknown extensions are refused); the first non-blank row is
    the header; more than ``max_rows`` data rows is an error.  Any failure,
    including unexpected parser exceptions, is raised as :class:`TableError`.
    """
    if len(data) > max_bytes:
        raise TableError("too_large", size_mb=_mb(len(data)), limit_mb=_mb(max_bytes))
    ext = _extension(filename)
    if ext == ".xls":
        raise TableError("xls_not_supported")
    if ext not in (".xlsx", ".csv", ".txt"):
        raise TableError("unsupported_format", ext=ext or filename)
    try:
        if ext == ".xlsx":
            return _read_xlsx(data, max_rows)
        return _read_csv(data, max_rows)
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - never show a traceback to the user
        code = "xlsx_corrupt" if ext == ".xlsx" else "parse_failed"
        raise TableError(code) from exc


def _extension(filename: str) -> str:
    """Lower-case extension of the last path component ('' when none)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _mb(size: int) -> str:
    """Bytes as megabytes for messages: '50', '12.3'."""
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


class _Collector:
    """Turns raw rows (already text, already stripped) into a :class:`Table`.

    Rules: a row is blank when all its cells are ''; the first non-blank row is
    the header; trailing '' cells are cut per row and the common width is
    re-padded at the end; > ``max_rows`` data rows or > MAX_COLUMNS columns
    raise.
    """

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.headers: list[str] | None = None
        self.header_line = 0
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.width = 0

    def add(self, cells: list[str], line: int) -> None:
        """Take one file row (``line`` = its row number); blank rows are dropped."""
        n = len(cells)
        while n and not cells[n - 1]:
            n -= 1
        if not n:
            return
        if n > MAX_COLUMNS:
            raise TableError("too_many_columns", line=line, limit=MAX_COLUMNS)
        del cells[n:]
        if n > self.width:
            self.width = n
        if self.headers is None:
            self.headers, self.header_line = cells, line
            return
        if len(self.rows) >= self.max_rows:
            raise TableError("too_many_rows", limit=self.max_rows)
        self.rows.append(cells)
        self.lines.append(line)

    def table(self, **meta: Any) -> Table:
        """Pad every row to the common width and build the Table (empty → error)."""
        if self.headers is None:
            raise TableError("empty_file")
        width = self.width
        for row in chain((self.headers,), self.rows):
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        return Table(self.headers, self.rows, self.lines, header_line=self.header_line, **meta)


# ---- CSV

def _read_csv(data: bytes, max_rows: int) -> Table:
    """Decode, sniff the delimiter and parse a CSV/TSV file (see :func:`read_table`)."""
    text, encoding = _decode(data)
    if "\x00" in text:
        raise TableError("binary_content")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    out = _Collector(max_rows)
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


# ---- xlsx

def _read_xlsx(data: bytes, max_rows: int) -> Table:
    """Read the first visible worksheet of an .xlsx (see :func:`read_table`).

    Rules: the zip is vetted first (:func:`_check_xlsx_zip`); openpyxl runs
    read-only with cached formula values; cell values become text with
    :func:`_cell_text`.
    """
    _check_xlsx_zip(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True,
                                        data_only=True, keep_links=False)
        except TableError:
            raise
        except Exception as exc:
            raise _xlsx_error(exc) from exc
        try:
            ws = _first_sheet(wb)
            ws.reset_dimensions()  # never trust the stored <dimension>
            out = _Collector(max_rows)
            strip = str.strip
            for line, row in enumerate(ws.iter_rows(values_only=True), 1):
                out.add([strip(v, _STRIP) if type(v) is str
                         else ("" if v is None else _cell_text(v)) for v in row], line)
            return out.table(sheet_name=ws.title, file_format="xlsx")
        except TableError:
            raise
        except Exception as exc:
            raise _xlsx_error(exc) from exc
        finally:
            wb.close()


def _xlsx_error(exc: Exception) -> TableError:
    """Map a parser exception to a TableError (defusedxml refusals → xml_unsafe).

    openpyxl wraps parser errors, so the whole cause/context chain is searched.
    """
    from defusedxml import DefusedXmlException

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DefusedXmlException):
            return TableError("xml_unsafe")
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return TableError("xlsx_corrupt")


def _first_sheet(wb: Any) -> Any:
    """The first visible worksheet, else the first worksheet; TableError if none."""
    sheets = wb.worksheets
    if not sheets:
        raise TableError("no_sheet")
    return next((s for s in sheets if s.sheet_state == "visible"), sheets[0])


def _check_xlsx_zip(data: bytes) -> None:
    """Vet the xlsx container before openpyxl touches it.

    Refuses: non-zip data (OLE/.xls or encrypted files get their own message);
    more than ZIP_MAX_MEMBERS members; encrypted members; a declared total
    uncompressed size over 200 MB; any member over 1 MB with a compression
    ratio over 100; XML parts with DOCTYPE/ENTITY or a non-UTF-8 encoding.
    (Python's zipfile never inflates past the declared size, so the declared
    sizes can be trusted.)
    """
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise TableError("xlsx_encrypted")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise TableError("not_xlsx") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_MEMBERS:
            raise TableError("zip_bomb", limit_mb=_mb(ZIP_MAX_TOTAL))
        if sum(i.file_size for i in infos) > ZIP_MAX_TOTAL:
            raise TableError("zip_bomb", limit_mb=_mb(ZIP_MAX_TOTAL))
        for info in infos:
            if info.flag_bits & 0x1:
                raise TableError("xlsx_encrypted")
            if (info.file_size > ZIP_RATIO_MIN_SIZE
                    and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1)):
                raise TableError("zip_bomb", limit_mb=_mb(ZIP_MAX_TOTAL))
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                _scan_xml_member(zf, info)


_XML_DECL_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_SAFE_XML_ENCODINGS = re.compile(rb"(?i)^(utf-?8|us-ascii|ascii|iso-?8859-\d+|latin-?1)$")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def _scan_xml_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse an XML part that declares a DTD/entity or is not ASCII-compatible.

    The whole part is streamed (1 MB chunks, overlapping) so padding cannot
    hide a declaration; defusedxml inside openpyxl is the second line of defence.
    """
    tail = b""
    with zf.open(info) as fh:
        first = True
        while chunk := fh.read(1024 * 1024):
            if first:
                _check_xml_head(chunk)
                first = False
            window = tail + chunk
            if any(m in window for m in _DTD_MARKERS):
                raise TableError("xml_unsafe")
            tail = window[-16:]


def _check_xml_head(head: bytes) -> None:
    """UTF-16/32 or exotic declared encodings could hide a DOCTYPE from a byte scan."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head[:4]:
        raise TableError("xml_unsafe")
    match = _XML_DECL_ENCODING.match(head[:512])
    if match and not _SAFE_XML_ENCODINGS.match(match.group(1).strip()):
        raise TableError("xml_unsafe")


def _cell_text(value: Any) -> str:
    """Render a non-str xlsx value as the text a user sees (no silent inference).

    Rules: int → digits; float → shortest round-trip digits, never scientific
    notation, integral floats without '.0' (so 9.13302E+17 becomes
    '913302000000000000' and the caller can see it is corrupted); bool →
    'TRUE'/'FALSE'; datetime → 'YYYY-MM-DD' (plus ' HH:MM:SS' when it has a
    time); time → 'HH:MM:SS'; timedelta → 'H:MM:SS'.
    """
    t = type(value)
    if t is int:
        return str(value)
    if t is float:
        return _float_text(value)
    if t is bool:
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        day = _date_text(value)
        if value.hour or value.minute or value.second:
            return f"{day} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        return day
    if isinstance(value, dt.date):
        return _date_text(value)
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, dt.timedelta):
        secs = int(value.total_seconds())
        sign, secs = ("-", -secs) if secs < 0 else ("", secs)
        return f"{sign}{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if isinstance(value, Decimal):
        return _decimal_text(value)
    return str(value).strip(_STRIP)


def _date_text(value: dt.date) -> str:
    """'YYYY-MM-DD' (zero-padded even for years before 1000)."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _float_text(value: float) -> str:
    """Shortest round-trip text of a float in plain notation; '12.0' → '12'."""
    if not math.isfinite(value):
        return repr(value)
    if value == 0:
        return "0"
    text = repr(value)
    if "e" in text:
        return _decimal_text(Decimal(text))
    return text[:-2] if text.endswith(".0") else text


def _decimal_text(value: Decimal) -> str:
    """Plain (non-scientific) text of a Decimal without a trailing '.0…0'."""
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --------------------------------------------------------------------------- headers

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


# --------------------------------------------------------------------------- writing

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Neutralise spreadsheet formula injection (OWASP "CSV injection").

    Rules: a ``str`` starting with '=', '+', '-', '@', tab or CR gets a leading
    single quote; every other value (including negative numbers) is returned
    unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Undo :func:`escape_formula` on text read back from one of our exports."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(_FORMULA_TRIGGERS):
        return value[1:]
    return value


_BIG_INT = 10 ** EXCEL_MAX_DIGITS

_COLUMN_FORMATS = {
    "text": "@", "int": "0", "number": "General", "money": "#,##0.00",
    "percent": "0.00%", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss",
}


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
               sheet_name: str = "Sheet1",
               column_types: dict[int, str] | None = None) -> bytes:
    """Write one sheet as .xlsx bytes (openpyxl write-only, streams 100k+ rows).

    Rules: strings are formula-escaped and always stored as text (long digit
    strings such as credit codes never become numbers); ints/floats/Decimals
    are numbers, except integers of 16+ digits, which are written as text so
    Excel cannot round them; NaN/inf and None are empty; dates/datetimes are
    real dates ('yyyy-mm-dd' / 'yyyy-mm-dd hh:mm:ss'; aware datetimes are
    converted to China time).  Header bold, frozen at A2, widths sized for CJK.
    ``column_types`` maps a 0-based column to one of 'text', 'int', 'number',
    'money', 'percent', 'date', 'datetime': the number format for that column
    (also as column default, so values typed later in a 'text' column stay text).
    """
    formats = _column_formats(column_types)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(sheet_name))
    it = iter(rows)
    sample = [list(r) for r in islice(it, 200)]
    _setup_sheet(ws, headers, sample, formats)
    ws.append(_header_cells(ws, headers))
    for row in chain(sample, it):
        ws.append(_xlsx_row(ws, row, formats))
    return _save(wb)


def _column_formats(column_types: dict[int, str] | None) -> dict[int, str]:
    """Validate ``column_types`` and turn kinds into Excel number formats."""
    formats = {}
    for col, kind in (column_types or {}).items():
        if kind not in _COLUMN_FORMATS:
            raise ValueError(f"unknown column type {kind!r}; expected one of {sorted(_COLUMN_FORMATS)}")
        formats[col] = _COLUMN_FORMATS[kind]
    return formats


def _sheet_title(name: str) -> str:
    """A legal Excel sheet title: no []:*?/\\, at most 31 characters."""
    title = re.sub(r"[\[\]:*?/\\]", "_", name or "").strip("'")[:31]
    return title or "Sheet1"


def _xlsx_row(ws: Any, row: Sequence[Any], formats: dict[int, str]) -> list[Any]:
    """Convert one row of Python values to xlsx cell values (see :func:`write_xlsx`)."""
    out = [_xlsx_value(v) for v in row]
    for col, fmt in formats.items():
        if col < len(out) and out[col] is not None:
            value = out[col]
            if fmt == "@" and type(value) is not str:
                value = _xlsx_text(_plain_text(value))
            cell = WriteOnlyCell(ws, value=value)
            if fmt != "General":
                cell.number_format = fmt
            out[col] = cell
    return out


def _xlsx_value(value: Any) -> Any:
    """One Python value → what openpyxl should store (str stays str)."""
    t = type(value)
    if t is str:
        return _xlsx_text(escape_formula(value))
    if value is None:
        return None
    if t is int:
        return value if -_BIG_INT < value < _BIG_INT else str(value)
    if t is float:
        return value if math.isfinite(value) else None
    if t is bool:
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return value if abs(value) < _BIG_INT else _decimal_text(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        return value
    if isinstance(value, (dt.date, dt.time)):
        return value
    if isinstance(value, int):  # IntEnum etc.
        return _xlsx_value(int(value))
    if isinstance(value, float):
        return _xlsx_value(float(value))
    return _xlsx_text(escape_formula(str(value)))


def _xlsx_text(value: str) -> str:
    """Remove the control characters XML cannot hold (openpyxl would raise)."""
    if not value.isprintable():
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _plain_text(value: Any) -> str:
    """Text form of a value for CSV / text columns (numbers never scientific)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        return _float_text(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _header_cells(ws: Any, headers: Sequence[str]) -> list[Any]:
    """Bold, tinted, formula-escaped header cells."""
    cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=_xlsx_text(escape_formula(str(h))))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cells.append(cell)
    return cells


def _setup_sheet(ws: Any, headers: Sequence[str], sample: list[list[Any]],
                 formats: dict[int, str]) -> None:
    """Freeze the header row and size columns from the header plus a row sample.

    Rules: width = widest line in display units (CJK counts 2) + 2, clamped to
    [8, 60]; a column with a number format also gets it as column default style.
    """
    ws.freeze_panes = "A2"
    ncols = max([len(headers), *(len(r) for r in sample)], default=0)
    for col in range(ncols):
        texts = [headers[col] if col < len(headers) else ""]
        texts += [_plain_text(r[col]) for r in sample if col < len(r)]
        width = max(_display_width(t) for t in texts)
        dim = ws.column_dimensions[get_column_letter(col + 1)]
        dim.width = min(max(width + 2, 8), 60)
        if formats.get(col, "General") != "General":
            dim.number_format = formats[col]


def _display_width(text: str) -> int:
    """Width of the longest line, counting East Asian wide/full-width chars as 2."""
    ea = unicodedata.east_asian_width
    return max((sum(2 if ea(ch) in "WF" else 1 for ch in line)
                for line in str(text).splitlines() or [""]), default=0)


def _save(wb: Any) -> bytes:
    """Serialise a workbook to bytes."""
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Write CSV bytes that Excel opens correctly: UTF-8 with BOM, CRLF.

    Rules: every cell goes through :func:`escape_formula` (strings only);
    None → ''; numbers in plain notation; datetime → 'YYYY-MM-DD HH:MM:SS'.
    Note Excel still turns long all-digit strings into numbers when *opening*
    a CSV — prefer xlsx for data with credit codes.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([escape_formula(str(h)) for h in headers])
    for row in rows:
        writer.writerow([escape_formula(v) if isinstance(v, str) else _plain_text(v)
                         for v in row])
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8", errors="replace")


# ---- error report

ERROR_HEADER = "错误"
_ERR_ROW_FILL = PatternFill("solid", fgColor="FFE5E5")
_ERR_CELL_FILL = PatternFill("solid", fgColor="FFB3B3")
_ERR_FONT = Font(color="C00000")
_ERR_HEADER_FILL = PatternFill("solid", fgColor="F8CBAD")


def error_report_xlsx(table: Table, errors: Iterable[dict[str, Any]]) -> bytes:
    """The uploaded table back as .xlsx, with an extra '错误' column to fix in place.

    Each error is ``{"row": line number in the file (Table.line_numbers),
    "column": header text, 0-based index or None, "message": str}``.  All rows
    are written (clean rows too); a row's messages are joined with '；' as
    '列名：消息'; error rows are tinted and the offending cells darker.  Values
    are written verbatim as text (no quote prefix, never as formulas), so the
    fixed file re-imports unchanged.  An existing '错误' column (a re-uploaded
    report) is replaced.  Errors for rows not in the table (e.g. header
    problems) go to a second sheet '其他问题'.
    """
    keep = [i for i, h in enumerate(table.headers) if h != ERROR_HEADER]
    headers = [table.headers[i] for i in keep]
    by_line, cells_by_line, other = _group_errors(table, errors, keep)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("导入结果")
    _setup_sheet(ws, headers, [[r[i] for i in keep] for r in table.rows[:200]], {})
    ws.column_dimensions[get_column_letter(len(headers) + 1)].width = 60
    header_row = _header_cells(ws, headers) + [_header_cells(ws, [ERROR_HEADER])[0]]
    header_row[-1].fill = _ERR_HEADER_FILL
    ws.append(header_row)
    for row, line in zip(table.rows, table.line_numbers):
        values = [row[i] for i in keep]
        messages = by_line.get(line)
        if messages:
            ws.append(_error_row(ws, values, messages, cells_by_line.get(line, set())))
        else:
            ws.append([_verbatim(ws, v) for v in values])
    if other:
        extra = wb.create_sheet("其他问题")
        extra.column_dimensions["A"].width = 10
        extra.column_dimensions["B"].width = 80
        extra.append(_header_cells(extra, ["行号", ERROR_HEADER]))
        for line, message in other:
            extra.append([line, _verbatim(extra, message)])
    return _save(wb)


def _group_errors(table: Table, errors: Iterable[dict[str, Any]], keep: list[int]
                  ) -> tuple[dict[int, list[str]], dict[int, set[int]], list[tuple[Any, str]]]:
    """Split errors into per-line messages, per-line error cell positions, and the rest."""
    known = set(table.line_numbers)
    position = {table.headers[i]: n for n, i in enumerate(keep)}
    by_line: dict[int, list[str]] = {}
    cells: dict[int, set[int]] = {}
    other: list[tuple[Any, str]] = []
    for err in errors:
        line, column, message = err.get("row"), err.get("column"), str(err.get("message", ""))
        pos = _column_position(column, table.headers, keep, position)
        label = table.headers[keep[pos]] if pos is not None else column
        text = f"{label}：{message}" if label not in (None, "") else message
        if line not in known:
            other.append((line, text))
            continue
        messages = by_line.setdefault(line, [])
        if text not in messages:
            messages.append(text)
        if pos is not None:
            cells.setdefault(line, set()).add(pos)
    return by_line, cells, other


def _column_position(column: Any, headers: list[str], keep: list[int],
                     position: dict[str, int]) -> int | None:
    """Output position of an error's column given as header text or 0-based index."""
    if isinstance(column, int) and not isinstance(column, bool):
        return keep.index(column) if column in keep else None
    if isinstance(column, str):
        return position.get(column)
    return None


def _error_row(ws: Any, values: list[str], messages: list[str], bad: set[int]) -> list[Any]:
    """Cells of one rejected row: tinted, offending cells darker, messages in red."""
    cells = []
    for pos, value in enumerate(values):
        cell = _text_cell(ws, value)
        cell.fill = _ERR_CELL_FILL if pos in bad else _ERR_ROW_FILL
        cells.append(cell)
    note = _text_cell(ws, "；".join(messages))
    note.font = _ERR_FONT
    note.fill = _ERR_ROW_FILL
    return cells + [note]


def _text_cell(ws: Any, value: str) -> WriteOnlyCell:
    """A cell that stores ``value`` as a string even if it starts with '='."""
    cell = WriteOnlyCell(ws, value=_xlsx_text(value))
    if value:
        cell.data_type = "s"
    return cell


def _verbatim(ws: Any, value: str) -> Any:
    """Plain str when openpyxl would store it as text anyway, else a forced text cell."""
    if not value:
        return None
    if value.startswith("=") or value.startswith("#"):
        return _text_cell(ws, value)
    return _xlsx_text(value)
