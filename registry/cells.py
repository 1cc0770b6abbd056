"""Registry's cells for the row-reading kit (core.tabular.cells): the credit code and the known firm.

Sibling domains read a firm column with these, so "which firm does this row mean" has one
answer in every import. :func:`lookup_firm` and :func:`firm_for_row` are the only places an
import looks a firm up or registers one: to change the firm rule, change them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import ServiceError
from core.tabular import Column
from core.tabular.cells import Row
from registry import service
from registry import uscc as uscc_mod
from registry.models import Firm

USCC_ALIASES = ("信用代码", "社会信用代码", "统一信用代码", "USCC", "credit_code", "Unified social credit code")
FIRM_NAME_ALIASES = ("企业", "公司名称", "名称")


_CODE_REQUIRED = _l("请填写统一社会信用代码")


def uscc_column(*aliases: str) -> Column:
    """The credit-code column (required), with the usual spellings plus ``aliases``."""
    return Column("uscc", "统一社会信用代码", "Credit code", aliases=(*USCC_ALIASES, *aliases), required=True)


def firm_name_column(*aliases: str) -> Column:
    return Column("firm_name", "企业名称", "Firm name", aliases=(*FIRM_NAME_ALIASES, *aliases))


def credit_code(row: Row, key: str = "uscc", message: str | None = None) -> str | None:
    """The normalised credit code of the row (GB 32100 check), or None with the problem recorded."""
    return row.cell(key, uscc_mod.validate, required=True,
                    message=_CODE_REQUIRED if message is None else message)


def lookup_firm(code: str) -> Firm | None:
    """The registry firm with this credit code (merged records followed), or None."""
    return service.find_firm(code)


def known_firm(row: Row, code: str | None, *, name_key: str | None = "firm_name",
               key: str = "uscc") -> Firm | None:
    """The firm the row's credit code names, by the registry's one firm rule (registry.firms).

    An archived firm is a problem of the code column. An unknown code is a problem unless
    ``name_key`` is given and that cell holds a name: the firm is then registered when the row is
    applied (:func:`firm_for_row`) and None is returned. ``name_key=None``: the firm must already be
    in the registry.
    """
    if code is None:
        return None
    try:
        if name_key is None:
            return service.known_firm(code, field=key)
        return service.firm_of_row(code, row.raw(name_key))
    except ServiceError as exc:
        row.problem(name_key if name_key and exc.field == "firm_name" else key, exc.message)
        return None


def firm_for_row(actor, code: str, name: str | None, batch_id: int | None = None) -> Firm:
    """When a row is applied: the firm, registered first when unknown and named (ServiceError else)."""
    return service.find_or_register_firm(code, name, actor=actor, batch_id=batch_id)
