"""The kernel every domain builds on; it imports no domain.

App factory and the `Domain` declaration each domain fills in (core.domain), database, auth and
roles with the one permission mechanism, audit trail, records (archive, restore, stale-form check),
tabular import/export and the import engine, scheduler, API base, and the small shared rules:
today in Asia/Shanghai (core.dates) and the safe `next` redirect (core.redirects).
"""
