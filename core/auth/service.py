"""Users, passwords, lockout and API tokens. Services take plain values and never commit."""
import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import service as audit
from core.auth.models import ROLES, ApiToken, LoginThrottle, Unit, User
from core.dates import as_utc
from core.db import db, utcnow
from core.errors import ServiceError

MIN_PASSWORD = 8
SENSITIVE = frozenset({"password_hash"})


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def get_unit(code_or_name: str) -> Unit | None:
    stmt = select(Unit).where((Unit.code == code_or_name) | (Unit.name_zh == code_or_name))
    return db.session.scalars(stmt).first()


def create_user(username: str, password: str, *, unit: str, role: str, display_name: str = "") -> User:
    """Create a user. Raises ServiceError(field=...) for an unknown unit/role or a weak password."""
    if role not in ROLES:
        raise ServiceError(_("未知角色：%(r)s（可选：%(all)s）", r=role, all=", ".join(ROLES)), field="role")
    unit_obj = get_unit(unit)
    if unit_obj is None:
        raise ServiceError(_("未知单位：%(u)s", u=unit), field="unit")
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise ServiceError(_("用户名已存在：%(u)s", u=username), field="username")
    _check_strength(password)
    user = User(username=username, password_hash=hash_password(password), role=role,
                unit=unit_obj, display_name=display_name or username)
    db.session.add(user)
    db.session.flush()
    return user


def _check_strength(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ServiceError(_("密码至少 %(n)s 位", n=MIN_PASSWORD), field=field)


def locked_until(user: User):
    """When the last lock on `user`'s name (from any address) ends, or None."""
    stmt = select(LoginThrottle.locked_until).where(LoginThrottle.username == user.username,
                                                    LoginThrottle.locked_until.is_not(None))
    ends = [as_utc(t) for t in db.session.scalars(stmt)]
    live = [t for t in ends if t > utcnow()]
    return max(live) if live else None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check unknown names against, so that they take as long as known ones."""
    return hash_password(secrets.token_hex(16))


def authenticate(username: str, password: str, *, address: str = "", attempts: int = 5, minutes: int = 15,
                 address_attempts: int = 30) -> User:
    """Check a login from `address`.

    Failures are counted per (name, address) — `attempts` lock that pair for `minutes`, so nobody
    can lock a colleague out from elsewhere — and per address, whatever the names (`address_attempts`
    pause the address). Unknown names are counted and checked against a dummy hash alike. Raises
    ServiceError with a message that does not reveal whether the user exists.
    """
    keys = _throttle_keys(username, address)
    locked = _locked_keys(keys)
    if keys[0] in locked:
        raise ServiceError(_("该地址登录失败次数过多，请 %(m)s 分钟后再试", m=minutes))
    if keys[1] in locked:
        raise ServiceError(_("登录失败次数过多，账号已锁定，请 %(m)s 分钟后再试", m=minutes))
    user = db.session.scalars(select(User).where(User.username == username)).first()
    matches = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if user is None or not matches or not user.active:
        _count_failure(keys[0], "", address_attempts, minutes)
        _count_failure(keys[1], username, attempts, minutes)
        raise ServiceError(_("用户名或密码错误"))
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[1]))
    user.last_login_at = utcnow()
    return user


def _throttle_keys(username: str, address: str) -> tuple[str, str]:
    address = (address or "unknown")[:64]
    return f"addr:{address}", f"user:{username[:64].lower()}|{address}"


def _locked_keys(keys) -> set[str]:
    stmt = select(LoginThrottle.key, LoginThrottle.locked_until).where(LoginThrottle.key.in_(keys))
    now = utcnow()
    return {key for key, until in db.session.execute(stmt) if until is not None and as_utc(until) > now}


def _count_failure(key: str, username: str, limit: int, minutes: int) -> None:
    """Atomic increment (holds across gunicorn workers) within a window of `minutes`; lock at `limit`."""
    now = utcnow()
    window = now - timedelta(minutes=minutes)
    bump = (update(LoginThrottle).where(LoginThrottle.key == key).values(
        failures=case((LoginThrottle.window_start < window, 1), else_=LoginThrottle.failures + 1),
        window_start=case((LoginThrottle.window_start < window, now), else_=LoginThrottle.window_start)))
    if db.session.execute(bump).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(LoginThrottle(key=key, username=username, failures=1, window_start=now))
        except IntegrityError:       # another worker inserted it first
            db.session.execute(bump)
    row = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one()
    db.session.refresh(row)
    if row.failures >= limit:
        row.locked_until, row.failures, row.window_start = now + timedelta(minutes=minutes), 0, now


def end_sessions(user: User) -> None:
    """Every session cookie issued to `user` so far stops working (logout, password, deactivation)."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.refresh(user)


def change_password(user: User, old: str, new: str) -> None:
    """The user's own change; ends the user's other sessions (the caller signs the current one in again)."""
    if not check_password_hash(user.password_hash, old or ""):
        raise ServiceError(_("当前密码不正确"), field="old_password")
    _check_strength(new, field="new_password")
    if old == new:
        raise ServiceError(_("新密码不能与当前密码相同"), field="new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    audit.record(user, "core.user.password_change", user, sensitive=SENSITIVE)
    end_sessions(user)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """Create an API bearer token; only its hash is stored. Returns the clear token once."""
    token = "yz_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token)))
    db.session.flush()
    return token


@lru_cache(maxsize=1)
def _token_user_stmt():
    """The token's row and its user in one statement, built once: every API request runs it, and a
    statement built anew costs its construction and cache key each time (py-spy: ~6 % of the API's
    time under load)."""
    return (select(ApiToken).options(joinedload(ApiToken.user))
            .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None)))


def user_for_token(token: str) -> User | None:
    row = db.session.scalars(_token_user_stmt(), {"digest": _token_digest(token)}).first()  # one statement per API request
    if row is None or not row.user.active:
        return None
    return row.user
