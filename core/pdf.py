"""Printing a page to PDF on the server: the server's Chromium, driven by Playwright, prints HTML we render.

Why Chromium: the briefing's charts are drawn by ECharts in the browser, so only a browser prints them as
the user sees them; Playwright's `page.pdf()` adds the running header/footer with page numbers, which
Chromium's CSS paged media does not (no @page margin boxes). Nothing leaves the server: the page and its
static files are served to Chromium from memory and from the app's static folder, every other request is
refused.

`PDF_CHROMIUM` (config/env) names the browser; default `/usr/bin/chromium` when present, else Playwright's
own. Without Playwright or a browser `PdfUnavailable` is raised, with a message for people.
"""
from __future__ import annotations

import mimetypes
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

ORIGIN = "http://print.invalid"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


class PdfUnavailable(Exception):
    """No PDF renderer on this server (or it failed); the message says so in the user's language."""


def chromium_path() -> str | None:
    """The browser to print with: `PDF_CHROMIUM`, else Debian's chromium when installed, else Playwright's."""
    configured = current_app.config.get("PDF_CHROMIUM") or os.environ.get("PDF_CHROMIUM")
    if configured:
        return configured
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def html_to_pdf(html: str, *, path: str, footer: str, ready: str = "body", timeout_ms: int = 30000) -> bytes:
    """Print `html` (served as `path`, so its /static/ links resolve) as A4 landscape PDF.

    `footer` is plain text put on every page with "page n / N"; `ready` is a CSS selector to wait for (the
    page sets it when its charts are drawn). Raises PdfUnavailable when there is no renderer or it fails.
    """
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        raise PdfUnavailable(_("服务器未安装 PDF 生成组件（Playwright），请使用浏览器的“打印 → 另存为 PDF”。")) from exc
    static = Path(current_app.static_folder)
    args = (html, path, footer, ready, timeout_ms, static, chromium_path())
    try:
        # in a thread of its own: Playwright's sync API refuses to start where an asyncio loop runs
        # (an async server, or another sync Playwright in this thread)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(_render, sync_playwright, *args).result()
    except Error as exc:
        current_app.logger.warning("PDF rendering failed: %s", exc)
        raise PdfUnavailable(_("服务器无法生成 PDF（未找到可用的 Chromium 浏览器），请使用浏览器的“打印 → 另存为 PDF”。")) from exc


def _render(sync_playwright, html: str, path: str, footer: str, ready: str, timeout_ms: int, static: Path,
            chromium: str | None) -> bytes:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.route("**/*", lambda route: _serve(route, html, path, static))
            page.goto(ORIGIN + path, wait_until="load", timeout=timeout_ms)
            page.wait_for_selector(ready, state="attached", timeout=timeout_ms)
            return page.pdf(format="A4", landscape=True, print_background=True, display_header_footer=True,
                            header_template="<span></span>", footer_template=_footer(footer),
                            margin={"top": "12mm", "bottom": "14mm", "left": "10mm", "right": "10mm"})
        finally:
            browser.close()


def _serve(route, html: str, path: str, static: Path) -> None:
    """The page itself from memory, /static/ files from disk, nothing else (no network)."""
    url = route.request.url
    if not url.startswith(ORIGIN + "/"):
        return route.abort()
    local = url[len(ORIGIN):].split("?", 1)[0]
    if local == path:
        return route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
    if local.startswith("/static/"):
        file = (static / local[len("/static/"):]).resolve()
        if file.is_file() and static.resolve() in file.parents:
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return route.fulfill(status=200, content_type=kind, body=file.read_bytes())
    return route.fulfill(status=404, body="")


def _footer(text: str) -> str:
    """Chromium's footer template: the text and "n / N" (pageNumber/totalPages are filled in by Chromium)."""
    from markupsafe import escape
    return ('<div style="font-size:8px;width:100%;padding:0 10mm;display:flex;justify-content:space-between;'
            'color:#555;font-family:sans-serif">'
            f'<span>{escape(text)}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span>'
            '</span></div>')
