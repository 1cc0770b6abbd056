def test_english_switch_and_error_pages(app, make_user, login):
    client = login(make_user("viewer1", unit="scjgj", role="viewer"))
    assert "工作台" in client.get("/").get_data(as_text=True)
    assert "页面不存在" in client.get("/no/such/page").get_data(as_text=True)
    client.get("/lang/en")
    html = client.get("/").get_data(as_text=True)
    assert "Dashboard" in html and "工作台" not in html
    assert "Page not found" in client.get("/no/such/page").get_data(as_text=True)
    assert "Forbidden" in client.get("/admin/audit").get_data(as_text=True)
    client.get("/lang/zh")
    assert "没有权限" in client.get("/admin/audit").get_data(as_text=True)


def test_unknown_language_is_404(app):
    assert app.test_client().get("/lang/fr").status_code == 404


def test_no_internet_assets_in_templates():
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parents[2]
    for path in root.glob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"https?://", text), path
