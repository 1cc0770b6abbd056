"""The firm's 360° timeline: domains declare a provider (`Domain.timeline`); the registry asks this module.

A provider is `fn(firm_id: int, user) -> list[TimelineItem]`; it applies its own
permission rules (e.g. talent masks names for users without `talent.personal`).
"""
from dataclasses import dataclass, field
from datetime import date

_PROVIDERS: list = []


@dataclass(frozen=True)
class TimelineItem:
    on: date | None
    domain: str
    title: str
    detail: str = ""
    url: str | None = None
    extra: dict = field(default_factory=dict)


def register_provider(fn) -> None:
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)


def items_for(firm_id: int, user) -> list[TimelineItem]:
    """All providers' items for one firm, newest first (undated items last)."""
    items = [item for provider in _PROVIDERS for item in provider(firm_id, user)]
    return sorted(items, key=lambda i: (i.on is not None, i.on or date.min), reverse=True)
