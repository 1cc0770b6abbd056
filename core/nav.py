"""The main menu: entries declared by the domains (`Domain.nav`); the base template shows the permitted ones.

Every page shows the menu, and drawing it (a permission check, a URL and a translated label per entry) was
a good part of a small page's time: `menu()` draws it once per role, unit, language and current page and
keeps the HTML (per app; permissions depend on the role and unit alone, the table is a constant).
"""
from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup


@dataclass(frozen=True)
class NavItem:
    label: object          # lazy_gettext string, e.g. _l("企业库")
    endpoint: str
    permission: str
    order: int = 50


_ITEMS: list[NavItem] = []
_SORTED: list[tuple[NavItem, ...]] = []       # items() sorted once (every page's menu asks for them)


def register(item: NavItem) -> None:
    """Add a declared entry (core.domain.install); an endpoint is listed once."""
    if not any(i.endpoint == item.endpoint for i in _ITEMS):
        _ITEMS.append(item)
        _SORTED.clear()


def items() -> tuple[NavItem, ...]:
    if not _SORTED:
        _SORTED.append(tuple(sorted(_ITEMS, key=lambda i: i.order)))
    return _SORTED[0]


_MENUS_KEY = "yz-nav-menus"
_MENUS_LIMIT = 4096


def menu() -> Markup:
    """The current user's menu entries (templates/_nav_menu.html), the current page's marked active."""
    user = current_user._get_current_object()
    unit = user.unit
    key = (user.role, unit.code if unit else None, str(get_locale()), request.endpoint, request.script_root)
    menus = current_app.extensions.setdefault(_MENUS_KEY, {})
    html = menus.get(key)
    if html is None:
        html = Markup(render_template("_nav_menu.html", items=items(), endpoint=request.endpoint))
        if len(menus) >= _MENUS_LIMIT:
            menus.clear()
        menus[key] = html
    return html
