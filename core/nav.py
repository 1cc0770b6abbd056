"""The main menu: entries declared by the domains (`Domain.nav`); the base template shows the permitted ones.

Entries that declare the same `group` (a label) are shown as one dropdown of the bar, where the first
of them stands; a group with one permitted entry is shown as that entry. So the bar stays on one row
at 1366 px whatever the role and language (tests/browser/test_nav_browser.py).

Every page shows the menu, and drawing it (a permission check, a URL and a translated label per entry) was
a good part of a small page's time: `menu()` draws it once per role, unit, language and current page and
keeps the HTML (per app; permissions depend on the role and unit alone, the table is a constant).
"""
from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from core.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: object          # lazy_gettext string, e.g. _l("企业库")
    endpoint: str
    permission: str
    order: int = 50
    group: object = None   # lazy_gettext label of the dropdown the entry belongs to (None: its own entry)


@dataclass(frozen=True)
class NavGroup:
    label: object
    items: tuple[NavItem, ...]

    @property
    def key(self) -> str:
        return self.items[0].endpoint.split(".", 1)[0]


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


def entries(allowed) -> list[NavItem | NavGroup]:
    """The bar's entries: the permitted items (`allowed(permission)`), grouped by `group`."""
    out: list = []
    groups: dict[str, list[NavItem]] = {}
    for item in items():
        if not allowed(item.permission):
            continue
        if item.group is None:
            out.append(item)
            continue
        key = str(item.group)
        if key not in groups:
            groups[key] = []
            out.append(key)
        groups[key].append(item)
    return [e if isinstance(e, NavItem) else
            (groups[e][0] if len(groups[e]) == 1 else NavGroup(groups[e][0].group, tuple(groups[e])))
            for e in out]


def menu() -> Markup:
    """The current user's menu entries (templates/_nav_menu.html), the current page's marked active."""
    user = current_user._get_current_object()
    unit = user.unit
    key = (user.role, unit.code if unit else None, str(get_locale()), request.endpoint, request.script_root)
    menus = current_app.extensions.setdefault(_MENUS_KEY, {})
    html = menus.get(key)
    if html is None:
        html = Markup(render_template("_nav_menu.html", entries=entries(can), endpoint=request.endpoint))
        if len(menus) >= _MENUS_LIMIT:
            menus.clear()
        menus[key] = html
    return html
