"""Talent wiring: blueprint, entities, navigation, timeline provider, import kinds, metrics."""
from core.nav import register_nav
from core.records import Entity, register_entity
from core.timeline import register_provider
from talent import metrics  # noqa: F401 - registers the talent indicators
from talent import spreadsheets
from talent.models import Person, Recognition, Team, TeamMember
from talent.timeline import talent_items

ENTITIES = (
    Entity(type="talent.person", model=Person, label_zh="人才", label_en="Talent",
           detail_endpoint="talent.person_detail", id_arg="person_id"),
    Entity(type="talent.recognition", model=Recognition, label_zh="人才认定", label_en="Talent recognition"),
    Entity(type="talent.team", model=Team, label_zh="领军人才团队", label_en="Leading-talent team",
           detail_endpoint="talent.team_detail", id_arg="team_id"),
    Entity(type="talent.team_member", model=TeamMember, label_zh="团队成员", label_en="Team member"),
)


def init_app(app) -> None:
    from talent.views import bp
    app.register_blueprint(bp)
    for entity in ENTITIES:
        register_entity(entity)
    register_nav("人才", "talent.summary", "talent.view", order=40)
    register_provider(talent_items)
    spreadsheets.register()
