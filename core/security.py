"""Security headers on every response, and odd request input refused before any view sees it.

The Content-Security-Policy allows only our own files (vendored ECharts and Bootstrap, static/js):
no inline script, no event handler attribute, nothing from another host. Inline styles stay allowed
because ECharts sets them on the elements it draws.
"""
from flask import jsonify, render_template, request
from flask_babel import gettext as _

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _odd(value: str) -> bool:
    """A NUL byte (no database stores it; PostgreSQL refuses it) or text that is not valid Unicode."""
    return "\x00" in value or "\ufffd" in value


def refuse_odd_input():
    """A query string or form value with a NUL byte or broken encoding gets a clear 400, never a 500."""
    values = [*request.args.items(multi=True)]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.items(multi=True)]
    if not any(_odd(key) or _odd(value) for key, value in values):
        return None
    message = _("请求中含有无法处理的字符（如空字符），请检查后重试")
    if request.path.startswith("/api/"):
        return jsonify({"message": message, "code": 400, "errors": {}}), 400
    return render_template("errors/error.html", code=400, title=_("请求有误"), message=message), 400


def init_app(app) -> None:
    app.before_request(refuse_odd_input)
    app.after_request(add_headers)
