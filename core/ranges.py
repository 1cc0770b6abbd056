"""Plausible ranges for numeric fields: one declaration per field, checked in the services.

Each domain lists its ranges as data next to its models (e.g. `registry.models.RANGES`); the
service checks a value with `Range.check`, so forms, imports and the API refuse the same values
with the same message, which names the field, the bounds and the unit ("面积应在 0 到 10,000,000
平方米之间"). The bounds also keep every value inside its column, so no database overflows
(PostgreSQL refuses, SQLite would store) and both databases give the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import LazyString, gettext as _
from wtforms.validators import NumberRange

from core.errors import ServiceError


@dataclass(frozen=True)
class Range:
    """low <= value <= high, in `unit`; `whole` for counts and years."""

    label: object            # a lazy_gettext string: the field as the user knows it
    low: Decimal | int
    high: Decimal | int
    unit: object = ""
    whole: bool = False

    def message(self) -> str:
        low, high = _number(self.low), _number(self.high)
        if not self.unit:
            return _("%(label)s应在 %(low)s 到 %(high)s 之间", label=self.label, low=low, high=high)
        return _("%(label)s应在 %(low)s 到 %(high)s %(unit)s之间", label=self.label, low=low, high=high,
                 unit=self.unit)

    def check(self, value, field: str):
        """`value` as Decimal (int when `whole`), None for empty; ServiceError(field=field) outside."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = to_number(value, field, self.label)
        if self.whole and number != number.to_integral_value():
            raise ServiceError(_("%(label)s应为整数", label=self.label), field=field)
        if not Decimal(self.low) <= number <= Decimal(self.high):
            raise ServiceError(self.message(), field=field)
        return int(number) if self.whole else number


    def validator(self) -> NumberRange:
        """The WTForms check of the same bounds with the same message (a form's early answer)."""
        return _FormRange(min=self.low, max=self.high, message=LazyString(self.message))


class _FormRange(NumberRange):
    """NumberRange that stays silent when the value did not parse (the parse error says it all)."""

    def __call__(self, form, field):
        if field.data is not None:
            super().__call__(form, field)


def to_number(value, field: str, label) -> Decimal:
    """A finite Decimal from a number or its text ("1,200" allowed); ServiceError otherwise."""
    try:
        number = Decimal(str(value).replace(",", "").strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ServiceError(_("%(label)s不是有效的数字：%(v)s", label=label, v=value), field=field) from None
    if not number.is_finite():
        raise ServiceError(_("%(label)s不是有效的数字：%(v)s", label=label, v=value), field=field)
    return number


def _number(value) -> str:
    value = Decimal(value)
    if value != value.to_integral_value():
        return f"{value:,f}"
    return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))     # years stay 2100
