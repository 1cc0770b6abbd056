"""Metrics registered by the domains for goals/: each computable as of any date, with its records.

`@indicator("maker_spaces", label_zh=..., unit=...)` on a function `fn(as_of: date) -> Decimal`;
optionally `records=fn(as_of) -> list[dict]` returning the records behind the number.
Parametrised metrics register a prefix ("sector_output:") and receive the suffix as `param`.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable

from core import dataversion


@dataclass(frozen=True)
class Indicator:
    name: str
    compute: Callable
    records: Callable | None
    label_zh: str
    label_en: str
    domain: str
    parametrised: bool = False


_INDICATORS: dict[str, Indicator] = {}


def indicator(name: str, *, label_zh: str, label_en: str, domain: str, records=None,
              parametrised: bool = False):
    def decorator(fn):
        _INDICATORS[name] = Indicator(name, fn, records, label_zh, label_en, domain, parametrised)
        return fn
    return decorator


def get(metric: str) -> tuple[Indicator, str | None] | None:
    """Look up `metric`, which may be `prefix:param` for a parametrised indicator."""
    if metric in _INDICATORS:
        return _INDICATORS[metric], None
    prefix, sep, param = metric.partition(":")
    ind = _INDICATORS.get(prefix + sep) or _INDICATORS.get(prefix)
    if ind is not None and ind.parametrised and param:
        return ind, param
    return None


def compute(metric: str, as_of: date) -> Decimal | None:
    """The metric's value as of a date, computed once per data version (core.dataversion)."""
    found = get(metric)
    if found is None:
        return None
    ind, param = found
    return dataversion.cached(("indicator", metric, as_of),
                              lambda: ind.compute(as_of, param) if ind.parametrised else ind.compute(as_of))


def records(metric: str, as_of: date) -> list[dict]:
    found = get(metric)
    if found is None or found[0].records is None:
        return []
    ind, param = found
    return ind.records(as_of, param) if ind.parametrised else ind.records(as_of)


def all_indicators() -> dict[str, Indicator]:
    return dict(_INDICATORS)


# ----------------------------------------------------------------------------- shared queries

_SHARED: ContextVar[dict | None] = ContextVar("indicator_shared_results", default=None)


@contextmanager
def shared_results():
    """Inside the block, indicators that ask `shared(key, fn)` for the same key get one result.

    The roll-up computes every goal in one block: e.g. the five ratios over the above-scale
    firms' facts read one aggregate query per population instead of three queries each. Outside
    a block nothing is kept (a later call sees later writes).
    """
    token = _SHARED.set({}) if _SHARED.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _SHARED.reset(token)


def shared(key, fn: Callable):
    """fn() once per key inside `shared_results()`; every time outside it."""
    results = _SHARED.get()
    if results is None:
        return fn()
    if key not in results:
        results[key] = fn()
    return results[key]
