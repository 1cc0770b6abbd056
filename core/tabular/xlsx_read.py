"""xlsx reading: vet the zip container and its XML, then read the first visible sheet as text."""
from __future__ import annotations

import codecs
import datetime as dt
import io
import re
import warnings
import zipfile
from decimal import Decimal
from typing import Any

from core.tabular.errors import TableError, mb as _mb
from core.tabular.table import Collector, Table
from core.tabular.text import _STRIP, _date_text, _decimal_text, _float_text



def xml_hardened() -> bool:
    """True when openpyxl parses XML through defusedxml (entity/DTD attacks refused). (``XML_HARDENED``:
    openpyxl, which imports numpy, is loaded when an xlsx is read, not at start-up.)"""
    import openpyxl.xml
    return bool(openpyxl.xml.DEFUSEDXML)


def __getattr__(name: str):
    if name == "XML_HARDENED":
        return xml_hardened()
    raise AttributeError(name)

ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_SIZE = 1024 * 1024
ZIP_MAX_MEMBERS = 10_000


def _read_xlsx(data: bytes, max_rows: int, on_rows=None, narrow=None) -> Table:
    """Read the first visible worksheet of an .xlsx (see :func:`read_table`).

    Rules: the zip is vetted first (:func:`_check_xlsx_zip`); openpyxl runs
    read-only with cached formula values; cell values become text with
    :func:`_cell_text`.
    """
    import openpyxl
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
            out = Collector(max_rows, on_rows, narrow=narrow)
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
