"""The kernel: app factory, database, auth and roles, audit, tabular import/export, scheduler, API base."""
