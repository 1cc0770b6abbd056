"""What finance plugs into the app (core.domain.Domain), registered by the composition root."""
from flask_babel import lazy_gettext as _l

from core.domain import Domain
from core.nav import NavItem
from core.records import Entity
from finance import api, criteria, metrics, spreadsheets
from finance.models import FinancingEvent, IpoCandidate, IpoStage, ListingCriterion
from finance.views import bp, timeline_items

ENTITIES = (
    Entity(type="finance.candidate", model=IpoCandidate, label_zh="拟上市企业", label_en="Pre-IPO candidate",
           detail_endpoint="finance.candidate_detail", id_arg="cid"),
    Entity(type="finance.stage", model=IpoStage, label_zh="上市进程阶段", label_en="IPO stage",
           manual_archive=False),
    Entity(type="finance.financing", model=FinancingEvent, label_zh="直接融资事件", label_en="Financing event",
           detail_endpoint="finance.financing_edit", id_arg="eid"),
    Entity(type="finance.criterion", model=ListingCriterion, label_zh="上市标准", label_en="Listing criterion",
           detail_endpoint="finance.criterion_edit", id_arg="crit_id"),
)

NAV = (
    NavItem(_l("拟上市企业"), "finance.board", "finance.view", order=40, group=_l("上市融资")),
    NavItem(_l("直接融资"), "finance.financing_list", "finance.view", order=41, group=_l("上市融资")),
    NavItem(_l("上市标准"), "finance.criteria_list", "finance.view", order=42, group=_l("上市融资")),
)

DOMAIN = Domain(
    name="finance", blueprint=bp, api=api.blp, entities=ENTITIES, nav=NAV, timeline=timeline_items,
    import_kinds=spreadsheets.KINDS, seeders=(criteria.seed_criteria,), metrics=metrics.METRICS,
)
