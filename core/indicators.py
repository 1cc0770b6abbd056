"""Metrics the domains declare for goals/: each computable as of any date, with its records.

A domain lists `Indicator(name=..., compute=fn, records=fn, ...)` objects in its metrics module's
METRICS tuple and declares them in `Domain.metrics`; core.domain registers them here.
`compute(as_of: date) -> Decimal | int`; `records(as_of) -> list[dict]` (optional) returns the
records behind the number. A parametrised metric is named by a prefix ("sector_output:") and
receives the suffix as `param`: `compute(as_of, param)`.
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
    label_zh: str
    label_en: str
    domain: str
    records: Callable | None = None
    parametrised: bool = False
    places: Callable | None = None      # places(as_of, by[, param]) -> Parts | None (see Parts)


@dataclass(frozen=True)
class Parts:
    """A figure split by where its records are (goals' breakdown by street/town or park).

    `by` is "town" or "park": the firm's (or carrier's) town code or park; the key None is "not
    marked". mode "count"/"sum": `values` {place: part}, the parts add up to the figure. mode
    "ratio": `values` {place: (numerator sum, denominator sum)}, the place's figure being
    numerator / denominator × `scale`. Declared where one SQL aggregate is much faster than
    placing every record (measured in bench/towns_reconcile.py); goals/ checks the parts against
    the figure and falls back to the records when they disagree."""
    mode: str
    values: dict
    scale: Decimal = Decimal(1)


_INDICATORS: dict[str, Indicator] = {}


def register(ind: Indicator) -> None:
    """Make a declared indicator computable by name (core.domain.install)."""
    _INDICATORS[ind.name] = ind


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
    """The metric's value as of a date, computed again only after a commit wrote a table its SQL read
    (core.dataversion records them on the computation)."""
    found = get(metric)
    if found is None:
        return None
    ind, param = found
    return dataversion.cached(_key(metric, as_of),
                              lambda: ind.compute(as_of, param) if ind.parametrised else ind.compute(as_of))


def _key(metric: str, as_of: date) -> tuple:
    return ("indicator", metric, as_of)


def cached_value(metric: str, as_of: date) -> tuple[bool, Decimal | None]:
    """(True, value) when the metric's value as of the date is cached and still valid, else (False, None)."""
    return dataversion.lookup(_key(metric, as_of))


def records(metric: str, as_of: date) -> list[dict]:
    found = get(metric)
    if found is None or found[0].records is None:
        return []
    ind, param = found
    return ind.records(as_of, param) if ind.parametrised else ind.records(as_of)


def places(metric: str, as_of: date, by: str) -> Parts | None:
    """The metric's parts by town or park (Parts), or None when it declares none."""
    found = get(metric)
    if found is None or found[0].places is None:
        return None
    ind, param = found
    return ind.places(as_of, by, param) if ind.parametrised else ind.places(as_of, by)


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
        with dataversion.recording() as reads:
            value = fn()
        results[key] = (value, frozenset(reads))
    value, tables = results[key]
    dataversion.depends_on(tables)     # a second indicator reusing the result read those tables too
    return value
