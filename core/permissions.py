"""The one permission mechanism: `<domain>.<action>` strings granted to roles, scoped by unit.

Pages, forms, exports and the API all go through `can()` — via `@requires(...)` on views,
`get_in_scope_or_404()` for a record, and `can()` in templates. No view compares role names.
"""
from functools import lru_cache, wraps

from flask import abort, g
from flask_login import current_user

from core.db import db
from core.export_jobs import export_domain
from core.imports import kind_domain
from core.records import entity_domain

# Which units own (may write) each domain, by unit code.
DOMAIN_UNITS: dict[str, frozenset[str]] = {
    "registry": frozenset({"jxj"}),
    "incubation": frozenset({"kjj"}),
    "finance": frozenset({"jrb"}),
    "talent": frozenset({"rsj", "rcb"}),
}

# The one table. "*" = everything; "*.view" = view in every domain; "@own.X" = X in the
# domains the user's unit owns (see DOMAIN_UNITS).
ROLE_GRANTS: dict[str, frozenset[str]] = {
    "admin": frozenset({"*"}),
    "manager": frozenset({"account.self", "*.view", "*.export", "goals.approve", "goals.target", "goals.close",
                          "goals.comment_read", "talent.aggregate"}),
    "editor": frozenset({"account.self", "*.view", "*.export", "@own.edit", "@own.import",
                         "@own.personal", "goals.report", "goals.comment", "goals.comment_read", "goals.target",
                         "talent.aggregate"}),
    "viewer": frozenset({"account.self", "*.view", "@own.personal", "goals.comment_read", "talent.aggregate"}),
}

# Permissions that only the admin role holds whatever the unit (no wildcard reaches them).
ADMIN_ONLY = frozenset({"admin.users", "admin.reference", "registry.admin", "goals.admin",
                        "goals.reopen", "audit.verify", "finance.admin"})

# Grants a role holds over every unit's records (not only its own): a manager sets any goal's
# targets and reads every goal's 分析与建议 (goals.comment_read); an editor or viewer only those of
# the goals its unit is responsible for.
UNSCOPED: dict[str, frozenset[str]] = {"manager": frozenset({"goals.target", "goals.comment_read"})}

# unit_scope(): the grant reaches every unit's records
ALL_UNITS = "*"

# Permissions every signed-in user holds: not "writes" in the permission-matrix sense.
EVERYONE = frozenset({"account.self"})

PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "core.health", "core.set_language"})


def _grant_matches(grant: str, perm: str, unit_code: str | None) -> bool:
    domain, _, action = perm.partition(".")
    if grant == "*":
        return True
    if perm in ADMIN_ONLY:
        return False
    if grant.startswith("*."):
        return action == grant[2:]
    if grant.startswith("@own."):
        return action == grant[5:] and unit_code in DOMAIN_UNITS.get(domain, ())
    return grant == perm


@lru_cache(maxsize=4096)
def role_holds(role: str, unit_code: str | None, perm: str) -> bool:
    """Whether `role` in the unit `unit_code` holds `perm` (no record scope): the grant table read once
    per (role, unit, permission) and process — the tables above are constants. A page asks it dozens of
    times (the menu, buttons, the timeline's providers)."""
    return any(_grant_matches(gr, perm, unit_code) for gr in ROLE_GRANTS.get(role, frozenset()))


def can(perm: str, obj=None, user=None) -> bool:
    """True when `user` (default: the current user) holds `perm`, and `obj` is in its scope.

    A record in scope: for writes, the record's owning units (its `owner_unit_codes()` if it has
    one) must include the user's unit, unless the role's grant is not unit-scoped.
    """
    if user is None:
        user = current_user._get_current_object()     # the proxy resolved once, not per attribute
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    unit = user.unit
    unit_code = unit.code if unit else None
    if not role_holds(user.role, unit_code, perm):
        return False
    return obj is None or _in_scope(user, perm, obj, unit_code)


def _unscoped(user, perm: str) -> bool:
    return (user.role == "admin" or perm.endswith((".view", ".export", ".aggregate", ".approve"))
            or perm in UNSCOPED.get(user.role, ()))


def unit_scope(perm: str, user=None) -> str | None:
    """Whose records `perm` reaches for `user` (default: the current user): ALL_UNITS, the code of
    the user's own unit, or None when the user does not hold `perm`. For what is computed once for
    many records (a list, a cached page part): filter by it and key the cache with it."""
    user = user if user is not None else current_user
    if not can(perm, user=user):
        return None
    if _unscoped(user, perm):
        return ALL_UNITS
    return user.unit.code if user.unit else None


def _in_scope(user, perm: str, obj, unit_code: str | None) -> bool:
    if _unscoped(user, perm):
        return True
    owners = obj.owner_unit_codes() if hasattr(obj, "owner_unit_codes") else None
    return owners is None or unit_code in owners


def requires(perm: str):
    """View decorator: login required, then `perm` (may contain `{domain}` resolved per request)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from core.extensions import login_manager
                return login_manager.unauthorized()
            needed = perm.format(domain=_owning_domain(kwargs)) if "{" in perm else perm
            if not can(needed):
                abort(403)
            g.required_permission = needed
            return view(*args, **kwargs)

        wrapped.required_permission = perm
        return wrapped

    return decorator


def _owning_domain(view_args: dict) -> str:
    """`{domain}` of a generic page: the domain of its `etype` (record), `kind` (import) or `export`
    (export job); else 404."""
    domain = entity_domain(view_args) or kind_domain(view_args) or export_domain(view_args)
    if domain is None:
        abort(404)
    return domain


def get_in_scope_or_404(model, ident, perm: str):
    """Load `model` by primary key; 404 when absent, 403 when out of the user's scope for `perm`."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    if not can(perm, obj):
        abort(403)
    return obj


def ensure(perm: str, obj=None) -> None:
    """Abort 403 unless the current user holds `perm` (on `obj`)."""
    if not can(perm, obj):
        abort(403)
