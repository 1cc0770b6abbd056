"""Registry services in one import for callers (`from registry import service`).

The services live by seam: `registry.firms` (finding or registering a firm, firm changes, the
review list), `registry.firm_fields` (each field's rule), `registry.facts` (annual facts),
`registry.pools` (pools and memberships), `registry.merges` (merging duplicates). They are the
only writers of registry tables: plain values and an explicit actor, an audit entry per change,
never a commit. Rule breaches raise ServiceError(message, field=...) with a Chinese message.
"""
from registry.facts import FACT_FIELDS, fact_value, facts_of, upsert_fact
from registry.firm_fields import FIRM_FIELDS, capital_fields, resolve_industry
from registry.firms import (create_firm, draft_firm, find_firm, find_or_register_firm, firm_of_row, firms_by_uscc,
                            firms_to_review, insert_firms, known_firm, mark_firm_reviewed, not_in_registry,
                            set_listed, update_firm, upsert_firm, validate_code)
from registry.merges import merge_firms
from registry.pools import (SEED_POOLS, active_pools, create_pool, current_membership, enter_pool, exit_pool, member_counts_as_of,
                            member_rows_as_of, members_as_of, memberships_of, overlapping_membership, page_memberships, pool_by_key,
                            pool_count_as_of, pool_counts, seed_pools)

__all__ = [
    "FACT_FIELDS", "FIRM_FIELDS", "SEED_POOLS", "active_pools", "capital_fields", "create_firm", "create_pool", "current_membership",
    "draft_firm", "enter_pool", "exit_pool", "fact_value", "facts_of", "find_firm", "find_or_register_firm",
    "firm_of_row", "firms_by_uscc", "firms_to_review", "insert_firms", "known_firm", "mark_firm_reviewed",
    "member_counts_as_of", "member_rows_as_of", "members_as_of", "memberships_of", "merge_firms", "not_in_registry",
    "overlapping_membership", "page_memberships", "pool_by_key", "pool_count_as_of", "pool_counts", "resolve_industry", "seed_pools",
    "set_listed", "update_firm", "upsert_fact", "upsert_firm", "validate_code",
]
