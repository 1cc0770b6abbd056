"""The definition (口径) of a goal as prose for a manager: what is counted (data, per goal), and
from when and how its pace is judged (said here from the goal's nature, window and targets).

Shown on the goal page and in the 附件1 export; no field names, no developer notes."""
from flask_babel import gettext as _

from goals import pace

NATURE_LABELS = {
    "stock": "存量（统计日当天的数）", "cumulative": "累计增量（计数窗口内累计）",
    "annual_flow": "年度流量（每个自然年度内累计）", "level": "水平值（比重、比率、指数或年度数值）",
    "growth_rate": "增长率", "reduction": "下降幅度",
}


def nature_label(goal) -> str:
    return _(NATURE_LABELS.get(goal.nature, NATURE_LABELS["stock"]))


def window_text(goal) -> str:
    if goal.nature == "annual_flow":
        return _("按自然年度计：每年1月1日起重新累计，统计日的数值是当年1月1日至统计日的合计。")
    if goal.nature == "cumulative":
        start = pace.window_start(goal).isoformat()
        if goal.window_end:
            return _("计数窗口为 %(s)s 至 %(e)s：窗口开始前和结束后的记录都不计入；统计日晚于窗口结束时，按窗口结束日的数计。",
                     s=start, e=goal.window_end.isoformat())
        return _("自 %(s)s 起累计，此前的记录不计入。", s=start)
    if goal.nature == "stock":
        return _("按统计日当天的情况计数，可以按任何历史日期重新计算。")
    return _("按统计日可得的最近一期数值。")


def pace_text(goal, target) -> str:
    if target is None:
        return _("方案未给出目标值，状态显示为“未设目标”；目标可由责任单位或管理人员在目标设置页设定。")
    lower = _("数值越低越好，不高于目标值即为完成。") if target.comparator == "<=" else ""
    if goal.nature == "annual_flow":
        return _("当年应达进度 = 年度目标 × 当年已过天数的比例（例如6月30日应完成约一半）。") + lower
    start = pace.start_point(goal)
    if start is None:
        return _("方案未给出基期值，直接与目标值比较；设有当年年度目标的，与当年目标比较。") + lower
    value, day = start
    return _("应达进度值按直线计算：从 %(d)s 的 %(v)s 到 %(y)s 年末的目标值；设有中间年度目标的，逐年分段计算。",
             d=day.isoformat(), v=_plain(value), y=target.year) + lower


def paragraphs(goal, target, lang: str | None = None) -> list[str]:
    """The definition as paragraphs (the goal's own text first)."""
    own = goal.definition(lang or ("en" if _is_en() else "zh"))
    return [p for p in (own, window_text(goal), pace_text(goal, target)) if p]


def one_text(goal, target, lang: str | None = None) -> str:
    return " ".join(paragraphs(goal, target, lang))


def _plain(value) -> str:
    text = format(value.normalize(), "f")
    return text


def _is_en() -> bool:
    from flask_babel import get_locale
    return str(get_locale() or "zh").startswith("en")
