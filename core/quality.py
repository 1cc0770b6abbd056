"""A data-quality finding: what a domain's check reports about one firm on one day.

Checks are declared by the domain that owns the data (`Domain.quality_checks`, e.g. registry's
overridden credit codes, incubation's over-long tenancies) as `fn(today) -> list[Finding]`;
goals/ runs them nightly and keeps the findings for the admins' data-quality page.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str               # "code_override", "long_tenancy", "missing_facts", …
    firm_id: int | None
    firm_name: str
    uscc: str
    detail: str = ""

    @classmethod
    def of_firm(cls, kind: str, firm, detail: str = "") -> "Finding":
        """A finding about a registry firm (anything with id, name and uscc; None for no firm)."""
        if firm is None:
            return cls(kind, None, "", "", detail)
        return cls(kind, firm.id, firm.name, firm.uscc, detail)
