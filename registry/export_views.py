"""Registry exports beside the firm list's own: the members of a pool on a date and the pool list (core.exports)."""
from flask import request
from flask_babel import get_locale, gettext as _
from flask_babel import lazy_gettext as _l

from core import dates
from core.exports import Col, xlsx_response
from core.permissions import get_in_scope_or_404, requires
from registry import service
from registry.models import Pool
from registry.views import _parse_day, bp, town_name

EXPORT = "registry.export"

MEMBER_COLS = (
    Col(_l("企业名称"), lambda m: m.firm.name), Col(_l("统一社会信用代码"), lambda m: m.firm.uscc, "text"),
    Col(_l("所属镇街"), lambda m: town_name(m.firm.town_code)),
    Col(_l("入库日期"), lambda m: m.entered_on, "date"), Col(_l("出库日期"), lambda m: m.exited_on, "date"),
    Col(_l("入库理由"), lambda m: m.reason))


def pool_name(pool: Pool) -> str:
    """The pool's name in the reader's language."""
    return pool.name_en if str(get_locale()) == "en" and pool.name_en else pool.name_zh


@bp.route("/pools/<int:pool_id>/export.xlsx")
@requires("registry.view")
def pool_export(pool_id):
    pool = get_in_scope_or_404(Pool, pool_id, "registry.view")
    on = _parse_day(request.args.get("on"), dates.today())
    return xlsx_response(MEMBER_COLS, service.members_as_of(pool, on), sheet=pool_name(pool),
                         filename=f"pool-{pool.id}-members-{on.isoformat()}", perm=EXPORT)


@bp.route("/pools/export.xlsx")
@requires("registry.view")
def pool_list_export():
    today = dates.today()
    counts = service.member_counts_as_of(today)
    cols = (Col(_l("名称"), pool_name), Col(_l("在库企业数"), lambda p: counts.get(p.id, 0), "int"))
    return xlsx_response(cols, service.active_pools(), sheet=_("培育库"), filename="pools", perm=EXPORT)
