"""Navigation per domain: domains register menu entries; the base template shows the permitted ones."""
from dataclasses import dataclass

from flask_babel import lazy_gettext


@dataclass(frozen=True)
class NavItem:
    label: object          # lazy string
    endpoint: str
    permission: str
    order: int = 50


_ITEMS: list[NavItem] = []


def register_nav(label_zh: str, endpoint: str, permission: str, order: int = 50) -> None:
    if not any(i.endpoint == endpoint for i in _ITEMS):
        _ITEMS.append(NavItem(lazy_gettext(label_zh), endpoint, permission, order))


def items() -> list[NavItem]:
    return sorted(_ITEMS, key=lambda i: i.order)
