"""The enterprise registry (区经信局): firms by credit code, their annual facts, the cultivation pools.

Every other domain points at a registry firm; registry alone registers, edits and merges firms,
keeps who was in which pool when, and the yearly figures (revenue, output, R&D, patents) that the
plan's ratios are computed from. It declares itself to the app in `registry/domain.py`.

Services by seam, all re-exported by `registry.service`:
- `registry.firms`: the one rule for a firm named by credit code — `find_or_register_firm(uscc, name,
  actor=...)` (every domain's forms, imports and API), `firm_of_row` (the same check without writing),
  `known_firm` (links that never register), `not_in_registry()` (the one message); firm changes; the
  review list of firms that other units registered;
- `registry.firm_fields` (each firm field's rule), `registry.facts`, `registry.pools`, `registry.merges`.
`registry.queries.member_on(D)` is the one "member of a pool on date D" condition (`in_period` for any
[start, end) period). Plausible ranges of the numbers are data: `registry.models.RANGES`.
"""
