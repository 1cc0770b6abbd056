"""Incubation wiring: blueprint, entities, navigation, timeline provider, import kinds, metrics."""
from core.nav import register_nav
from core.records import Entity, register_entity
from core.timeline import register_provider
from incubation import metrics  # noqa: F401 - registers the incubation indicators
from incubation import spreadsheets
from incubation.models import Alliance, AllianceMember, Carrier, MakerCount, RDInstitution, Tenancy
from incubation.timeline import tenancy_items

ENTITIES = (
    Entity(type="incubation.carrier", model=Carrier, label_zh="孵化载体", label_en="Carrier",
           detail_endpoint="incubation.carrier_detail", id_arg="carrier_id"),
    Entity(type="incubation.tenancy", model=Tenancy, label_zh="入孵记录", label_en="Tenancy",
           detail_endpoint="incubation.tenancy_edit", id_arg="tenancy_id"),
    Entity(type="incubation.maker_count", model=MakerCount, label_zh="创客人数", label_en="Makers count"),
    Entity(type="incubation.institution", model=RDInstitution, label_zh="企业研发机构", label_en="R&D institution",
           detail_endpoint="incubation.institution_edit", id_arg="inst_id"),
    Entity(type="incubation.alliance", model=Alliance, label_zh="产业技术创新联盟", label_en="Innovation alliance",
           detail_endpoint="incubation.alliance_detail", id_arg="alliance_id"),
    Entity(type="incubation.alliance_member", model=AllianceMember, label_zh="联盟成员", label_en="Alliance member"),
)


def init_app(app) -> None:
    from incubation import rd_views  # noqa: F401 - adds the R&D/alliance routes to the blueprint
    from incubation.views import bp
    app.register_blueprint(bp)
    for entity in ENTITIES:
        register_entity(entity)
    register_nav("在孵企业", "incubation.summary", "incubation.view", order=30)
    register_provider(tenancy_items)
    spreadsheets.register()
