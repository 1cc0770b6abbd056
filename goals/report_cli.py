"""`flask --app wsgi towns` and `flask --app wsgi funnel`: the town breakdown and the cohort funnel as JSON.

    flask --app wsgi towns --as-of YYYY-MM-DD [--by town|park] [--goal KEY] [--lang en]
    flask --app wsgi towns CODE --as-of YYYY-MM-DD          # one town (9-digit code, name, or "none")
    flask --app wsgi funnel COHORT --as-of YYYY-MM-DD [--basis pool] [--carrier ID] [--carrier-type T]
                                                     [--town CODE] [--sector S]

Each prints one JSON object, the body of GET /api/v1/towns, /api/v1/towns/{code} and
/api/v1/funnel; a refusal prints {"error": "..."} and exits 1 (as `reconcile` does). Nothing is written.
"""
import json
import sys
from datetime import date

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from core import dates
from goals import funnel as fn
from goals import rollup as ru
from goals import towns
from incubation.models import CARRIER_TYPES
from registry import reference
from registry.models import PLAN_SECTORS


def _fail(message: str) -> None:
    click.echo(json.dumps({"error": message}, ensure_ascii=False))
    sys.exit(1)


def _print(body: dict) -> None:
    click.echo(json.dumps(body, ensure_ascii=False, default=str))


def _day(text: str | None) -> date:
    if not text:
        return dates.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(_("日期格式应为 YYYY-MM-DD：%(v)s", v=text))


def _town_code(text: str) -> tuple[str, str]:
    """(code, name) of a town given by code, name or "none"; refused when unknown."""
    if text == towns.UNMARKED:
        return towns.UNMARKED, "未标注"
    found = reference.town_by_name(text)
    if found is None:
        _fail(_("未知的街道/镇：%(v)s", v=text))
    return found


@click.command("towns")
@click.argument("town", required=False)
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD, default today")
@click.option("--by", type=click.Choice(("town", "park")), default="town", help="街道/镇 or 园区")
@click.option("--goal", default=None, help="one goal's key (default: every computed goal)")
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh")
@with_appcontext
def towns_cmd(town, as_of, by, goal, lang):
    """按街道/镇、园区分解各项指标 / every computed goal by town or park (JSON)."""
    day = _day(as_of)
    if town:
        code, name = _town_code(town)
        _print(towns.town_dict(towns.town_detail(code, day), name, lang))
        return
    goals = None
    if goal:
        found = ru.get_goal(goal)
        if found is None or found.kind != "computed" or not found.metric:
            _fail(_("目标不存在或不是系统计算的指标：%(v)s", v=goal))
        goals = [found]
    _print(towns.as_dict(towns.breakdown(day, by, goals), by, day, lang))


@click.command("funnel")
@click.argument("cohort", type=click.IntRange(1949, 2100))
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD, default today")
@click.option("--basis", type=click.Choice(fn.COHORT_BASES), default="incubation")
@click.option("--carrier", type=click.IntRange(1, 2**31 - 1), default=None, help="carrier id")
@click.option("--carrier-type", type=click.Choice(CARRIER_TYPES), default=None)
@click.option("--town", default=None, help="town code or name")
@click.option("--sector", type=click.Choice(PLAN_SECTORS), default=None)
@with_appcontext
def funnel_cmd(cohort, as_of, basis, carrier, carrier_type, town, sector):
    """孵化漏斗 / the cohort funnel 在孵 → 毕业 → 高成长 → 单项冠军 → 拟上市 → 上市 (JSON, with firm ids)."""
    day = _day(as_of)
    code = _town_code(town)[0] if town else None
    if code == towns.UNMARKED:
        _fail(_("未知的街道/镇：%(v)s", v=town))
    flt = fn.Filters(basis=basis, carrier_id=carrier, carrier_type=carrier_type, town_code=code, sector=sector)
    _print(fn.funnel(cohort, day, flt).as_dict())
