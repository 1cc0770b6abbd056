"""What an administrator does to an account: unlock, disable/enable, reset or set the password.

Services take plain values and an explicit actor, write an audit entry and never commit.
"""
import secrets

from flask_babel import gettext as _
from sqlalchemy import delete

from core.audit import service as audit
from core.auth.models import LoginThrottle, User
from core.auth.service import SENSITIVE, _check_strength, end_sessions, hash_password, locked_until
from core.db import db
from core.errors import ServiceError

# no 0/O, 1/l/I: a one-time password is read off a screen and typed in
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 12


def unlock_user(user: User, *, actor) -> None:
    """Lift every login lock on `user`'s name (from any address)."""
    was_locked = locked_until(user) is not None
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
    audit.record(actor, "core.user.unlock", user, changes={"locked": [was_locked, False]})


def set_user_active(user: User, active: bool, *, actor) -> None:
    """Enable or disable `user`; disabling ends every session of the user. Nobody disables themselves."""
    if not active and getattr(actor, "id", None) == user.id:
        raise ServiceError(_("不能停用自己的账号"))
    if user.active == active:
        return
    user.active = active
    audit.record(actor, "core.user.enable" if active else "core.user.disable", user)
    if not active:
        end_sessions(user)


def reset_password(user: User, *, actor) -> str:
    """Give `user` a one-time password (returned once, stored only as a hash) to change at next login.

    Ends the user's sessions and lifts the login locks on the name.
    """
    password = "".join(secrets.choice(_ALPHABET) for _ in range(ONE_TIME_LENGTH))
    _set(user, password, must_change=True, actor=actor, action="core.user.password_reset")
    return password


def set_password(user: User, password: str, *, actor, must_change: bool = False) -> None:
    """Set `user`'s password (the CLI); `must_change` makes the user choose a new one at next login."""
    _check_strength(password)
    _set(user, password, must_change=must_change, actor=actor, action="core.user.password_set")


def _set(user: User, password: str, *, must_change: bool, actor, action: str) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    audit.record(actor, action, user, sensitive=SENSITIVE)      # before any statement flushes the changes
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
    end_sessions(user)
