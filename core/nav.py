"""The main menu: entries declared by the domains (`Domain.nav`); the base template shows the permitted ones.

Entries that declare the same `group` (a label) are shown as one dropdown of the bar, where the first
of them stands; a group with one permitted entry is shown as that entry. So the bar stays on one row
at 1366 px whatever the role and language (tests/browser/test_nav_browser.py).
"""
from dataclasses import dataclass


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


def register(item: NavItem) -> None:
    """Add a declared entry (core.domain.install); an endpoint is listed once."""
    if not any(i.endpoint == item.endpoint for i in _ITEMS):
        _ITEMS.append(item)


def items() -> list[NavItem]:
    return sorted(_ITEMS, key=lambda i: i.order)


def menu(allowed) -> list[NavItem | NavGroup]:
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
