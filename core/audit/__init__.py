"""Hash-chained audit trail: every change to a domain record, field by field."""
