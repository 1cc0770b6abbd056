"""Domain records in general: the entity registry, archive/restore, stale-form detection.

Domains declare their archivable models (`Domain.entities`), which core.domain registers here, so
core pages — history, archive, restore — work for every record without core importing the domains.
"""
from dataclasses import dataclass

from flask_babel import gettext as _

from core.audit import service as audit
from core.db import utcnow
from core.errors import ServiceError, StaleRecordError


@dataclass(frozen=True)
class Entity:
    type: str            # "registry.firm"
    model: type
    label_zh: str
    label_en: str
    detail_endpoint: str | None = None   # url_for(endpoint, **{id_arg: obj.id})
    id_arg: str = "id"
    manual_archive: bool = True           # False: archived only by the domain (e.g. import undo)

    @property
    def domain(self) -> str:
        return self.type.split(".", 1)[0]


ENTITIES: dict[str, Entity] = {}


def register_entity(entity: Entity) -> None:
    ENTITIES[entity.type] = entity


def entity_domain(view_args: dict) -> str | None:
    """The domain owning the `etype` URL argument's entity type (for a `{domain}` permission)."""
    entity = ENTITIES.get(view_args.get("etype", ""))
    return entity.domain if entity else None


def archive(obj, actor, *, note: str = "") -> None:
    """Archive (soft-delete) a record; audited as `<type>.archive`."""
    if obj.archived_at is not None:
        raise ServiceError(_("该记录已归档"))
    before = audit.changes_of(obj)
    obj.archived_at = utcnow()
    obj.archived_by_id = getattr(actor, "id", None)
    audit.record(actor, f"{audit.entity_type_of(obj)}.archive", obj, note=note,
                 changes=before or {"archived_at": [None, audit.plain(obj.archived_at)]})


def restore(obj, actor, *, note: str = "") -> None:
    """Bring an archived record back; audited as `<type>.restore`."""
    if obj.archived_at is None:
        raise ServiceError(_("该记录未归档，无需恢复"))
    old = audit.plain(obj.archived_at)
    obj.archived_at = None
    obj.archived_by_id = None
    audit.record(actor, f"{audit.entity_type_of(obj)}.restore", obj, note=note,
                 changes={"archived_at": [old, None]})


def check_version(obj, submitted) -> None:
    """Refuse a save based on an older version of `obj`, listing what changed since then."""
    try:
        submitted = int(submitted)
    except (TypeError, ValueError):
        raise ServiceError(_("表单缺少版本号，请刷新页面后重试")) from None
    if submitted == obj.version:
        return
    entries = audit.changes_since(obj, submitted)
    changes = [{"actor": e.actor_name, "at": e.at, "field": k, "old": v[0], "new": v[1]}
               for e in entries for k, v in (e.changes or {}).items()]
    raise StaleRecordError(
        _("保存失败：在您编辑期间，该记录已被他人修改（当前版本 %(cur)s，您的表单基于版本 %(old)s）。"
          "对方的修改已保留，请查看下列变更后重新编辑。", cur=obj.version, old=submitted),
        changes,
    )
