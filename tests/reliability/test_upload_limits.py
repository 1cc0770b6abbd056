"""Hostile uploads through the web import (`/imports/firms/preview`): too large (413 page in Chinese),
an xlsx zip bomb, XML entity declarations anywhere in the package (billion laughs, external entities) —
each refused with a clear Chinese message, never a 500, and nothing written."""
import io
import zipfile

import pytest
from sqlalchemy import func, select

from core.db import db
from core.imports import ImportBatch
from core.tabular import write_xlsx
from registry.models import Firm

PREVIEW = "/imports/firms/preview"
ZIP_MSG = "文件解压后体积异常"
XML_MSG = "文件包含不安全的 XML 内容"


@pytest.fixture
def editor_client(make_user, login):
    return login(make_user("jxj_editor", unit="jxj", role="editor"))


def _upload(client, data: bytes, filename: str = "firms.xlsx"):
    """Upload, then follow to the preview job's page (the tests run jobs inline: its result is there)."""
    return client.post(PREVIEW, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data",
                       follow_redirects=True)


def _nothing_written():
    assert db.session.scalar(select(func.count(Firm.id))) == 0
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def _good_xlsx() -> bytes:
    return write_xlsx(("统一社会信用代码", "企业名称"), [("91330212MA2AXXXX0X", "宁波测试有限公司")])


def _rebuild(xlsx: bytes, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """Copy an xlsx package, replacing some parts (deflated) and adding others."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def _sheet_part(xlsx: bytes) -> str:
    return next(n for n in zipfile.ZipFile(io.BytesIO(xlsx)).namelist() if n.startswith("xl/worksheets/"))


def test_a_well_formed_upload_is_previewed(editor_client):
    """The control case: the same route accepts a normal file (so the refusals below are real)."""
    resp = _upload(editor_client, _good_xlsx())
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert ZIP_MSG not in page and XML_MSG not in page
    _nothing_written()   # a preview writes nothing


def test_upload_over_max_content_length_is_a_chinese_413_page(app, editor_client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit and limit <= 50 * 1024 * 1024
    resp = _upload(editor_client, b"0" * (limit + 1024), "big.csv")
    assert resp.status_code == 413
    assert resp.mimetype == "text/html"
    assert "上传的文件太大" in resp.get_data(as_text=True)
    _nothing_written()


def test_upload_over_a_lowered_limit_is_refused_too(app, editor_client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    resp = _upload(editor_client, _good_xlsx() + b"\0" * (100 * 1024), "firms.xlsx")
    assert resp.status_code == 413
    assert "上传的文件太大" in resp.get_data(as_text=True)


def test_xlsx_zip_bomb_is_refused(editor_client):
    good = _good_xlsx()
    part = _sheet_part(good)
    body = zipfile.ZipFile(io.BytesIO(good)).read(part)
    padding = b" " * (30 * 1024 * 1024)          # 30 MB of blanks deflate to ~30 KB: ratio ~1000
    bomb = _rebuild(good, {part: body.replace(b"<sheetData>", padding + b"<sheetData>", 1)
                           if b"<sheetData>" in body else body + padding})
    assert len(bomb) < 200 * 1024
    resp = _upload(editor_client, bomb)
    assert resp.status_code in (200, 400)
    assert ZIP_MSG in resp.get_data(as_text=True)
    _nothing_written()


def test_declared_huge_expansion_is_refused(editor_client):
    """Many moderately compressible members whose declared total exceeds the limit."""
    good = _good_xlsx()
    extra = {f"xl/media/pad{i}.bin": b"\0" * (12 * 1024 * 1024) for i in range(18)}   # 216 MB declared
    resp = _upload(editor_client, _rebuild(good, {}, extra))
    assert resp.status_code in (200, 400)
    assert ZIP_MSG in resp.get_data(as_text=True)
    _nothing_written()


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("which", ["sheet", "sharedStrings", "workbook", "content_types"])
@pytest.mark.parametrize("declaration", [BILLION_LAUGHS, EXTERNAL], ids=["billion_laughs", "external_entity"])
def test_xml_entity_declarations_are_refused(editor_client, which, declaration):
    good = _good_xlsx()
    names = zipfile.ZipFile(io.BytesIO(good)).namelist()
    part = {"sheet": _sheet_part(good), "workbook": "xl/workbook.xml", "content_types": "[Content_Types].xml",
            "sharedStrings": "xl/sharedStrings.xml"}[which]
    src = zipfile.ZipFile(io.BytesIO(good))
    if part in names:
        body = src.read(part)
        # swap the XML declaration for one carrying a DTD, keep the document
        if body.startswith(b"<?xml"):
            body = body[body.index(b"?>") + 2:]
        poisoned = _rebuild(good, {part: declaration + body})
    else:   # write_xlsx uses inline strings: add a shared-strings part carrying the DTD
        poisoned = _rebuild(good, {}, {part: declaration + b'<sst xmlns="http://schemas.openxmlformats.org/'
                                                            b'spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>'})
    resp = _upload(editor_client, poisoned)
    assert resp.status_code in (200, 400)
    page = resp.get_data(as_text=True)
    assert XML_MSG in page
    assert "root:" not in page
    _nothing_written()


def test_dtd_hidden_in_utf16_part_is_refused(editor_client):
    good = _good_xlsx()
    part = _sheet_part(good)
    body = zipfile.ZipFile(io.BytesIO(good)).read(part)
    text = body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    utf16 = "\ufeff".encode("utf-16-le") + EXTERNAL.decode().encode("utf-16-le") + text.encode("utf-16-le")
    resp = _upload(editor_client, _rebuild(good, {part: utf16}))
    assert resp.status_code in (200, 400)
    assert XML_MSG in resp.get_data(as_text=True)
    _nothing_written()


def test_commit_of_a_refused_file_writes_nothing(editor_client):
    """Even going straight to commit with the stashed token of a refused file writes nothing."""
    import re
    good = _good_xlsx()
    part = _sheet_part(good)
    body = zipfile.ZipFile(io.BytesIO(good)).read(part)
    if body.startswith(b"<?xml"):
        body = body[body.index(b"?>") + 2:]
    resp = _upload(editor_client, _rebuild(good, {part: BILLION_LAUGHS + body}))
    assert XML_MSG in resp.get_data(as_text=True)
    match = re.search(r'name="token"[^>]*value="([^"]+)"', resp.get_data(as_text=True))
    if match:
        resp = editor_client.post("/imports/firms/commit", data={"token": match.group(1)})
        assert resp.status_code in (302, 303, 400)
    _nothing_written()
