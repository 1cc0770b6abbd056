"""The kernel: app factory, database, auth and roles, audit, the pages' one save path (saving.py), tabular
import/export, scheduler, API base."""
