"""Finance wiring: blueprint, entities, navigation, timeline provider, import kinds, seeders, metrics."""
from core.nav import register_nav
from core.records import Entity, register_entity
from core.seed import register_seeder
from core.timeline import register_provider
from finance import criteria, spreadsheets
from finance import metrics  # noqa: F401 - registers the finance indicators
from finance.models import FinancingEvent, IpoCandidate, IpoStage, ListingCriterion

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


def init_app(app) -> None:
    from finance.views import bp, timeline_items
    app.register_blueprint(bp)
    for entity in ENTITIES:
        register_entity(entity)
    register_nav("拟上市企业", "finance.board", "finance.view", order=40)
    register_nav("直接融资", "finance.financing_list", "finance.view", order=41)
    register_nav("上市标准", "finance.criteria_list", "finance.view", order=42)
    register_provider(timeline_items)
    register_seeder(criteria.seed_criteria)
    spreadsheets.register()
