"""The main menu: entries declared by the domains (`Domain.nav`); the base template shows the permitted ones."""
from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: object          # lazy_gettext string, e.g. _l("企业库")
    endpoint: str
    permission: str
    order: int = 50


_ITEMS: list[NavItem] = []


def register(item: NavItem) -> None:
    """Add a declared entry (core.domain.install); an endpoint is listed once."""
    if not any(i.endpoint == item.endpoint for i in _ITEMS):
        _ITEMS.append(item)


def items() -> list[NavItem]:
    return sorted(_ITEMS, key=lambda i: i.order)
