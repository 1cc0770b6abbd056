"""One rule for following a `next` parameter: only a path on this site, never another host.

Browsers treat `//host/…`, `/\\host/…` and paths with tabs or line breaks in them (which they
strip) as links to another site; a `next` like that is an open redirect, so it falls back.
"""
from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a same-site relative path ("/registry/…"), else `fallback`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
