"""Tests for core.tabular: reading, header mapping, writing, safety guards."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core import tabular
from core.tabular import (
    EN_MESSAGES, ZH_MESSAGES, Column, TableError, error_report_xlsx, escape_formula,
    map_headers, normalize_header, read_table, unescape_formula, write_csv, write_xlsx,
)

HEADERS = ["企业名称", "统一社会信用代码", "注册资本"]
ZW = "\u200b\u200c\u200d\u2060\ufeff"


# --------------------------------------------------------------------------- helpers

def make_xlsx(rows, *, title="Sheet1", hidden_first=False) -> bytes:
    """An .xlsx written by openpyxl (normal mode); None cells are not written."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if hidden_first:
        ws.title = "隐藏"
        ws["A1"] = "hidden"
        ws.sheet_state = "hidden"
        ws = wb.create_sheet(title)
    else:
        ws.title = title
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                ws.cell(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def replace_member(xlsx: bytes, name: str, writer) -> bytes:
    """Copy an xlsx zip, letting ``writer(zipfile, name)`` produce member ``name``."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == name:
                writer(dst, name)
            else:
                dst.writestr(info.filename, src.read(info))
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", delimiter=",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def load(xlsx: bytes):
    return openpyxl.load_workbook(io.BytesIO(xlsx))


# --------------------------------------------------------------------------- CSV

def test_csv_utf8():
    data = "企业名称,统一社会信用代码,注册资本\n宁波甲公司,91330212MA2XXXXX1X,100\n".encode()
    t = read_table(data, "企业.csv")
    assert t.encoding == "utf-8" and t.delimiter == "," and t.file_format == "csv"
    assert t.headers == HEADERS
    assert t.rows == [["宁波甲公司", "91330212MA2XXXXX1X", "100"]]
    assert t.line_numbers == [2]


def test_csv_utf8_bom_is_removed_from_first_header():
    data = codecs.BOM_UTF8 + "企业名称,统一社会信用代码\n甲,0123\n".encode()
    t = read_table(data, "a.csv")
    assert t.encoding == "utf-8-sig"
    assert t.headers == ["企业名称", "统一社会信用代码"]
    assert t.rows == [["甲", "0123"]]  # leading zero kept: nothing is inferred


def test_csv_gbk():
    data = ("企业名称,统一社会信用代码,注册资本\r\n鄞州科技有限公司,913302127123456789,50.00\r\n"
            .encode("gbk"))
    t = read_table(data, "gbk.csv")
    assert t.encoding == "gb18030"
    assert t.headers == HEADERS
    assert t.rows == [["鄞州科技有限公司", "913302127123456789", "50.00"]]


def test_csv_gb18030_only_characters():
    name = "𠮷野家（宁波）有限公司"
    with pytest.raises(UnicodeEncodeError):
        name.encode("gbk")
    t = read_table(f"企业名称,备注\n{name},䶮\n".encode("gb18030"), "a.csv")
    assert t.encoding == "gb18030"
    assert t.rows == [[name, "䶮"]]


def test_csv_utf16_unicode_text_from_excel():
    t = read_table("企业名称\t注册资本\r\n甲\t1\r\n".encode("utf-16"), "导出.txt")
    assert t.encoding == "utf-16" and t.delimiter == "\t"
    assert t.rows == [["甲", "1"]]


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_csv_sniffs_tab_and_semicolon(delimiter):
    rows = [HEADERS, ["甲,乙", "9133", "1,000"]]
    t = read_table(csv_bytes(rows, delimiter=delimiter), "a.txt")
    assert t.delimiter == delimiter
    assert t.headers == HEADERS and t.rows == [["甲,乙", "9133", "1,000"]]


def test_csv_single_column_is_comma():
    t = read_table("企业名称\n甲\n".encode(), "a.csv")
    assert t.delimiter == "," and t.rows == [["甲"]]


def test_csv_cleaning_blank_rows_and_trailing_columns():
    text = ("\ufeff企业名称 ,\u3000注册资本\u3000,,\n"
            "\xa0甲公司\u200b, 100 ,,\n"
            ",,,\n"
            "   ,\u3000,,\n"
            "\"多行\n地址\",2,,\n")
    t = read_table(text.encode(), "a.csv")
    assert t.headers == ["企业名称", "注册资本"]
    assert t.rows == [["甲公司", "100"], ["多行\n地址", "2"]]
    assert t.line_numbers == [2, 5]  # Excel row numbers: blank rows 3-4 skipped


def test_csv_leading_blank_rows_and_ragged_rows():
    t = read_table(b"\n,,\nA,B\n1\n1,2,3\n", "a.csv")
    assert t.header_line == 3
    assert t.headers == ["A", "B", ""]
    assert t.rows == [["1", "", ""], ["1", "2", "3"]]
    assert t.line_numbers == [4, 5]


def test_csv_too_many_rows():
    data = csv_bytes([["a"]] + [[str(i)] for i in range(6)])
    assert len(read_table(data, "a.csv", max_rows=6).rows) == 6
    with pytest.raises(TableError) as exc:
        read_table(data, "a.csv", max_rows=5)
    assert exc.value.code == "too_many_rows" and "5" in exc.value.message


def test_csv_too_many_columns():
    data = (",".join(["h"] * (tabular.MAX_COLUMNS + 1))).encode()
    with pytest.raises(TableError) as exc:
        read_table(data, "a.csv")
    assert exc.value.code == "too_many_columns"


def test_csv_with_nul_is_binary():
    with pytest.raises(TableError) as exc:
        read_table(b"a,b\n1\x002,3\n", "a.csv")
    assert exc.value.code == "binary_content"


def test_empty_file():
    for data in (b"", b"\n , \n\n"):
        with pytest.raises(TableError) as exc:
            read_table(data, "a.csv")
        assert exc.value.code == "empty_file"


def test_strip_set_matches_str_isspace():
    spaces = {chr(i) for i in range(0x110000) if chr(i).isspace()}
    assert set(tabular._WHITESPACE) == spaces


# --------------------------------------------------------------------------- formats & limits

def test_xls_rejected_with_chinese_message():
    with pytest.raises(TableError) as exc:
        read_table(b"\xd0\xcf\x11\xe0", "名录.XLS")
    assert exc.value.code == "xls_not_supported"
    assert ".xlsx" in exc.value.message and "另存为" in exc.value.message
    assert "Save As" in exc.value.message_en


@pytest.mark.parametrize("name", ["a.pdf", "a", "a.xlsx.exe"])
def test_unknown_extension(name):
    with pytest.raises(TableError) as exc:
        read_table(b"a,b", name)
    assert exc.value.code == "unsupported_format"


def test_too_large():
    with pytest.raises(TableError) as exc:
        read_table(b"a" * 2048, "a.csv", max_bytes=1024)
    assert exc.value.code == "too_large"


def test_non_zip_xlsx():
    with pytest.raises(TableError) as exc:
        read_table("企业名称,代码\n".encode(), "a.xlsx")
    assert exc.value.code == "not_xlsx"
    assert "文件不是有效的 xlsx" in exc.value.message


def test_ole_file_named_xlsx_is_encrypted_or_xls():
    with pytest.raises(TableError) as exc:
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "a.xlsx")
    assert exc.value.code == "xlsx_encrypted"


def test_zip_without_workbook_is_corrupt():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(TableError) as exc:
        read_table(buf.getvalue(), "a.xlsx")
    assert exc.value.code == "xlsx_corrupt"


def test_every_code_has_both_messages():
    assert ZH_MESSAGES.keys() == EN_MESSAGES.keys()


# --------------------------------------------------------------------------- xlsx reading

def test_xlsx_values_become_text():
    rows = [
        HEADERS + ["成立日期", "人数", "时间", "是否"],
        ["甲公司", "91330212MA2H1234X5", 500, dt.datetime(2020, 5, 1), 12, dt.time(9, 30), True],
        ["乙公司", 9.13302e17, 12.5, dt.date(2021, 1, 31), 100.0, None, False],
        ["丙公司", "913302127123456789", 1234.5678, dt.datetime(2021, 1, 31, 8, 5, 9), 1e-7, None, None],
    ]
    t = read_table(make_xlsx(rows), "名录.xlsx")
    assert t.file_format == "xlsx" and t.sheet_name == "Sheet1" and t.encoding is None
    assert t.headers == rows[0]
    assert t.rows == [
        ["甲公司", "91330212MA2H1234X5", "500", "2020-05-01", "12", "09:30:00", "TRUE"],
        ["乙公司", "913302000000000000", "12.5", "2021-01-31", "100", "", "FALSE"],
        ["丙公司", "913302127123456789", "1234.5678", "2021-01-31 08:05:09", "0.0000001", "", ""],
    ]


def test_xlsx_blank_rows_keep_line_numbers_and_trailing_columns_drop():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业名称", "注册资本", None, "  "])
    ws.append(["甲", 1])
    ws.append([None, "\u3000"])      # blank after stripping
    ws.append(["乙", 2, None, " "])
    ws.cell(5, 1, "丙")
    ws.cell(5, 12).fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")  # styled, empty
    ws.cell(9, 2, 3)
    ws.cell(1, 5).value = None
    buf = io.BytesIO()
    wb.save(buf)
    t = read_table(buf.getvalue(), "a.xlsx")
    assert t.headers == ["企业名称", "注册资本"]
    assert t.rows == [["甲", "1"], ["乙", "2"], ["丙", ""], ["", "3"]]
    assert t.line_numbers == [2, 4, 5, 9]


def test_xlsx_first_visible_sheet_and_title_row_offset():
    data = make_xlsx([[None], ["企业名称"], ["甲"]], title="企业名录", hidden_first=True)
    t = read_table(data, "a.xlsx")
    assert t.sheet_name == "企业名录"
    assert t.header_line == 2 and t.line_numbers == [3]


def test_xlsx_too_many_rows():
    data = make_xlsx([["a"]] + [[i] for i in range(10)])
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx", max_rows=9)
    assert exc.value.code == "too_many_rows"


def test_xlsx_wrong_dimension_is_ignored():
    data = make_xlsx([["a", "b"], [1, 2], [3, 4]])
    data = replace_member(data, "xl/worksheets/sheet1.xml", lambda z, n: z.writestr(
        n, zipfile.ZipFile(io.BytesIO(data)).read(n).replace(b'ref="A1:B3"', b'ref="A1"')))
    assert read_table(data, "a.xlsx").rows == [["1", "2"], ["3", "4"]]


def test_defusedxml_active():
    assert tabular.XML_HARDENED is True


def test_cell_rule_constants_are_openpyxls():
    """core.tabular.write keeps copies (openpyxl is imported when a workbook is written, not at start-up)."""
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    from core.tabular import write
    assert write.ILLEGAL_CHARACTERS_RE.pattern == ILLEGAL_CHARACTERS_RE.pattern
    assert write.ERROR_CODES == tuple(ERROR_CODES)


def test_the_app_starts_without_pandas_numpy_or_openpyxl():
    """`flask import` and every request that writes no workbook never load them (~40 MB with numpy)."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    code = ("import sys; from composition import create_app; create_app({'TESTING': True, "
            "'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x', 'PII_HASH_KEY': 'x'}); "
            "print(sorted(m for m in ('pandas', 'numpy', 'openpyxl') if m in sys.modules))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _billion_laughs(z, name):
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    z.writestr(name, (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [' + ents + ']>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        '</sheetData></worksheet>'))


def test_xlsx_billion_laughs_refused():
    data = replace_member(make_xlsx([["a"], ["b"]]), "xl/worksheets/sheet1.xml", _billion_laughs)
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx")
    assert exc.value.code == "xml_unsafe" and "DOCTYPE" in exc.value.message


def test_xlsx_billion_laughs_refused_by_defusedxml_alone(monkeypatch):
    monkeypatch.setattr(tabular.xlsx_read, "_scan_xml_member", lambda zf, info: None)
    data = replace_member(make_xlsx([["a"], ["b"]]), "xl/worksheets/sheet1.xml", _billion_laughs)
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx")
    assert exc.value.code == "xml_unsafe"


def test_xlsx_utf16_xml_part_refused():
    def writer(z, name):
        z.writestr(name, '<?xml version="1.0" encoding="UTF-16"?><worksheet/>'.encode("utf-16"))
    data = replace_member(make_xlsx([["a"]]), "xl/worksheets/sheet1.xml", writer)
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx")
    assert exc.value.code == "xml_unsafe"


def test_xlsx_zip_bomb_total_size():
    def writer(z, name):
        with z.open(name, "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><worksheet>')
            chunk = b" " * (1 << 20)
            for _ in range(300):
                fh.write(chunk)
            fh.write(b"</worksheet>")
    data = replace_member(make_xlsx([["a"]]), "xl/worksheets/sheet1.xml", writer)
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx")
    assert exc.value.code == "zip_bomb"


def test_xlsx_zip_bomb_ratio():
    def writer(z, name):
        z.writestr(name, b"<worksheet>" + b" " * (5 << 20) + b"</worksheet>")
    data = replace_member(make_xlsx([["a"]]), "xl/worksheets/sheet1.xml", writer)
    with pytest.raises(TableError) as exc:
        read_table(data, "a.xlsx")
    assert exc.value.code == "zip_bomb"


# --------------------------------------------------------------------------- header mapping

COLUMNS = [
    Column("name", "企业名称", "Company name", ("单位名称", "企业全称"), required=True),
    Column("credit_code", "统一社会信用代码", "Credit code", ("信用代码", "USCC"), required=True),
    Column("capital", "注册资本", "Registered capital", ("注册资金",)),
    Column("founded", "成立日期", "Founded", required=True),
]


def test_map_headers_tolerant():
    headers = ["*企业名称", " 统一社会 信用代码 ", "注册资本（万元）", "备注", "", "\ufeffFounded"]
    m = map_headers(headers, COLUMNS)
    assert m.index == {"name": 0, "credit_code": 1, "capital": 2, "founded": 5}
    assert m.unknown == ["备注"] and m.missing == [] and m.duplicates == {} and m.ok


@pytest.mark.parametrize("header,key", [
    ("注册资本(万元)", "capital"), ("注册资金【万元】", "capital"), ("＊单位名称：", "name"),
    ("COMPANY NAME", "name"), ("company_name", "name"), ("ｕｓｃｃ", "credit_code"),
    ("Credit-Code", "credit_code"), ("企业名称*", "name"), ("credit_code", "credit_code"),
    ("注册资本 (万元) *", "capital"),
])
def test_map_headers_variants(header, key):
    assert map_headers([header], COLUMNS).index == {key: 0}


def test_map_headers_missing_duplicates_unknown():
    m = map_headers(["企业名称", "单位名称", "电话", "企业全称"], COLUMNS)
    assert m.index == {"name": 0}
    assert m.duplicates == {"name": [0, 1, 3]}
    assert m.unknown == ["电话"]
    assert m.missing == ["credit_code", "founded"]
    assert not m.ok
    assert m.pick(["甲", "乙", "x", "丙"]) == {"name": "甲"}


def test_map_headers_exact_note_beats_loose_and_ambiguity():
    cols = [Column("cap_cny", "注册资本(万元)"), Column("cap_usd", "注册资本(万美元)")]
    assert map_headers(["注册资本（万美元）", "注册资本(万元)"], cols).index == {"cap_usd": 0, "cap_cny": 1}
    assert map_headers(["注册资本"], cols).unknown == ["注册资本"]


def test_map_headers_conflicting_aliases_is_programming_error():
    with pytest.raises(ValueError):
        map_headers(["a"], [Column("a", "名称"), Column("b", "名称 ")])


def test_normalize_header():
    assert normalize_header("*注册资本（万元）") == "注册资本(万元)"
    assert normalize_header("*注册资本（万元）", drop_note=True) == "注册资本"
    assert normalize_header("(万元)", drop_note=True) == "(万元)"


# --------------------------------------------------------------------------- writing

def test_escape_formula():
    for raw in ("=1+1", "+86", "-x", "@SUM(A1)", "\tx", "\rx"):
        assert escape_formula(raw) == "'" + raw
        assert unescape_formula(escape_formula(raw)) == raw
    for value in (-5, -1.5, Decimal("-2"), None, "", "正常", "a=b", "'-"):
        assert escape_formula(value) == value
    assert unescape_formula("'abc") == "'abc"


def test_write_xlsx_round_trip():
    headers = ["企业名称", "统一社会信用代码", "注册资本", "成立日期", "备注"]
    rows = [
        ["=1+1", "913302127123456789", 100, dt.date(2020, 1, 2), "+86 574"],
        ["-x", "0123", Decimal("12.50"), dt.datetime(2021, 3, 4, 5, 6, 7), "@SUM(A1)"],
        ["甲\x01乙", 1234567890123456789, -3.5, None, float("nan")],
    ]
    data = write_xlsx(headers, rows, sheet_name="企业/名录")
    ws = load(data).active
    assert ws.title == "企业_名录"
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    assert [c.value for c in ws[2]] == ["=1+1", "913302127123456789", 100,
                                        dt.datetime(2020, 1, 2), "+86 574"]      # typed strings, as entered
    assert ws["A2"].data_type == "s" and ws["B2"].data_type == "s" and ws["E2"].data_type == "s"
    assert ws["C2"].data_type == "n" and ws["C3"].data_type == "n" and ws["C4"].value == -3.5
    assert ws["D2"].number_format == "yyyy-mm-dd" and ws["D2"].is_date
    assert ws["D3"].value == dt.datetime(2021, 3, 4, 5, 6, 7)
    assert ws["B4"].value == "1234567890123456789" and ws["B4"].data_type == "s"
    assert ws["A4"].value == "甲乙" and ws["E4"].value is None
    assert ws.column_dimensions["A"].width >= 10
    t = read_table(data, "x.xlsx")
    assert t.rows[0][0] == "=1+1" and t.rows[0][4] == "+86 574"
    assert t.rows[1] == ["-x", "0123", "12.5", "2021-03-04 05:06:07", "@SUM(A1)"]


def test_write_xlsx_column_types_and_generators():
    rows = ((f"企业{i}", 913302000000000000 + i, 0.5, dt.datetime(2024, 1, 1, 8, tzinfo=dt.timezone.utc))
            for i in range(500))
    data = write_xlsx(["名称", "代码", "比例", "时间"], rows,
                      column_types={1: "text", 2: "percent", 3: "date"})
    ws = load(data).active
    assert ws.max_row == 501
    assert ws["B2"].value == "913302000000000000" and ws["B2"].number_format == "@"
    assert ws.column_dimensions["B"].number_format == "@"
    assert ws["C2"].number_format == "0.00%" and ws["C2"].value == 0.5
    assert ws["D2"].value == dt.datetime(2024, 1, 1, 16)  # UTC → China time
    with pytest.raises(ValueError):
        write_xlsx(["a"], [], column_types={0: "currency"})


def test_write_csv_bom_and_escaping():
    data = write_csv(["企业名称", "注册资本", "日期"],
                     [["=HYPERLINK(\"x\")", -5, dt.date(2024, 1, 2)], ["甲,乙", 1.5e20, None]])
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "企业名称,注册资本,日期"
    assert "\r\n" in text
    t = read_table(data, "x.csv")
    assert t.rows == [["'=HYPERLINK(\"x\")", "-5", "2024-01-02"],
                      ["甲,乙", "150000000000000000000", ""]]


def test_error_report():
    t = read_table(
        "企业名称,统一社会信用代码,注册资本\n甲,=1+1,100\n\n乙,9133,abc\n丙,#N/A,1\n".encode(), "a.csv")
    errors = [
        {"row": 2, "column": "统一社会信用代码", "message": "格式不正确"},
        {"row": 2, "column": None, "message": "企业已存在"},
        {"row": 4, "column": 2, "message": "不是数字"},
        {"row": 1, "column": None, "message": "缺少列：成立日期"},
    ]
    data = error_report_xlsx(t, errors)
    wb = load(data)
    ws = wb.worksheets[0]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["企业名称", "统一社会信用代码", "注册资本", "错误"]
    assert values[1] == ["甲", "=1+1", "100", "统一社会信用代码：格式不正确；企业已存在"]
    assert values[2] == ["乙", "9133", "abc", "注册资本：不是数字"]
    assert values[3] == ["丙", "#N/A", "1", None]
    assert ws["B2"].data_type == "s"  # verbatim text, never a formula
    assert ws["B2"].fill.fgColor.rgb.endswith("FFB3B3") and ws["A2"].fill.fgColor.rgb.endswith("FFE5E5")
    assert ws["A4"].fill.fgColor.rgb in (None, "00000000")
    assert [[c.value for c in r] for r in wb["其他问题"].iter_rows()][1] == [1, "缺少列：成立日期"]
    # A fixed report re-imports unchanged and a second report replaces the 错误 column.
    again = read_table(data, "a.xlsx")
    assert again.rows[0][:3] == ["甲", "=1+1", "100"]
    second = load(error_report_xlsx(again, [{"row": 3, "column": "注册资本", "message": "x"}])).active
    assert [c.value for c in second[1]] == ["企业名称", "统一社会信用代码", "注册资本", "错误"]
    assert second["D2"].value is None and second["D3"].value == "注册资本：x"


# --------------------------------------------------------------------------- properties

_header_chars = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                              blacklist_characters=',;\t"\x00' + ZW)
_cell_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00" + ZW)


@st.composite
def _csv_tables(draw):
    ncols = draw(st.integers(2, 5))
    header = draw(st.lists(st.text(_header_chars, min_size=1, max_size=6), min_size=ncols, max_size=ncols))
    rows = draw(st.lists(st.lists(st.text(_cell_chars, max_size=8), min_size=ncols, max_size=ncols),
                         max_size=8))
    return header, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_csv_tables(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_csv_round_trip_property(table, encoding):
    header, rows = table
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    text = buf.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    if encoding == "gb18030":
        try:  # a GB18030 byte string that is also valid UTF-8 is read as UTF-8 by design
            assume(data.decode("utf-8") == text)
        except UnicodeDecodeError:
            pass
    t = read_table(data, "p.csv")
    expected = [[c.strip() for c in r] for r in rows if any(c.strip() for c in r)]
    assert t.headers == [h.strip() for h in header]
    assert t.rows == expected
    if encoding != "gb18030":
        assert t.encoding == encoding


_VALID_XLSX = make_xlsx([["企业名称", "代码"], ["甲", 9.13302e17], ["乙", dt.date(2020, 1, 1)]])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["r.csv", "r.xlsx", "r.txt"]))
def test_random_bytes_only_raise_table_error(data, name):
    try:
        read_table(data, name)
    except TableError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(_VALID_XLSX) - 1), st.binary(min_size=1, max_size=64))
def test_mutated_xlsx_only_raises_table_error(offset, junk):
    data = _VALID_XLSX[:offset] + junk + _VALID_XLSX[offset + len(junk):]
    try:
        read_table(data, "m.xlsx")
    except TableError:
        pass


def test_xlsx_numbers_rendered_as_stored():
    data = make_xlsx([["a", "b", "c"], [1.5, 2.5, 3.5]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    sheet = (sheet.replace(b"<v>1.5</v>", b"<v>9.13302127123457E+17</v>")
             .replace(b"<v>2.5</v>", b"<v>0.30000000000000004</v>")
             .replace(b"<v>3.5</v>", b"<v>-1.0E-3</v>"))
    data = replace_member(data, "xl/worksheets/sheet1.xml", lambda z, n: z.writestr(n, sheet))
    assert read_table(data, "a.xlsx").rows == [["913302127123457000", "0.30000000000000004", "-0.001"]]


def test_engine_reads_back_our_own_formula_escaping():
    """An exported '-' capital is written as "'-"; the import engine must read it as '-'."""
    from core.tabular import escape_formula, unescape_formula
    for raw in ("-", "=1+1", "+86 574", "@x"):
        assert unescape_formula(escape_formula(raw)) == raw
    assert unescape_formula("'plain") == "'plain"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "甲", ",", '"', "\r", "\n", "\r\n", "\u2028", "\x0c", " "]), max_size=40))
def test_csv_lines_split_like_stringio(parts):
    """The CSV reader's line splitter (no copy of the text) yields what io.StringIO(newline="") does."""
    from core.tabular.csv_read import _lines
    text = "".join(parts)
    assert list(_lines(text)) == list(io.StringIO(text, newline=""))
