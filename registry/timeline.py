"""The registry's own items on the firm timeline: registration, pool entries and exits."""
from flask import url_for
from flask_babel import gettext as _

from core.timeline import TimelineItem
from registry import service
from registry.models import Firm
from core.db import db


def registry_items(firm_id: int, user) -> list[TimelineItem]:
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        return []
    items = []
    if firm.registered_on:
        items.append(TimelineItem(on=firm.registered_on, domain="registry", title=_("企业成立（注册）")))
    for m in service.page_memberships(firm):
        url = url_for("registry.pool_detail", pool_id=m.pool_id)
        items.append(TimelineItem(on=m.entered_on, domain="registry",
                                  title=_("进入%(pool)s", pool=m.pool.name_zh), detail=m.reason, url=url))
        if m.exited_on:
            items.append(TimelineItem(on=m.exited_on, domain="registry",
                                      title=_("退出%(pool)s", pool=m.pool.name_zh), detail=m.exit_reason, url=url))
    return items
