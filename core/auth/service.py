"""Users, passwords, lockout and API tokens. Services take plain values and never commit."""
import hashlib
import secrets
from datetime import timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import service as audit
from core.auth.models import ROLES, ApiToken, Unit, User
from core.db import db, utcnow
from core.errors import ServiceError

MIN_PASSWORD = 8


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


def unlock_user(user: User, actor) -> None:
    """Lift a login lockout (audited as core_users.unlock)."""
    user.locked_until, user.failed_logins = None, 0
    audit.record(actor, "core_users.unlock", user)


def set_active(user: User, actor, active: bool) -> None:
    """Enable or disable an account (audited); an administrator cannot disable their own."""
    if not active and user.id == getattr(actor, "id", None):
        raise ServiceError(_("不能停用自己的账号"))
    user.active = active
    audit.record(actor, "core_users.enable" if active else "core_users.disable", user)


def _check_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ServiceError(_("密码至少 %(n)s 位", n=MIN_PASSWORD), field="password")


def _aware(dt):
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def locked_until(user: User):
    until = _aware(user.locked_until)
    return until if until and until > utcnow() else None


def authenticate(username: str, password: str, *, attempts: int = 5, minutes: int = 15) -> User:
    """Check a login. Counts failures in the database; after `attempts` locks for `minutes`.

    Raises ServiceError with a message that does not reveal whether the user exists.
    """
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise ServiceError(_("用户名或密码错误"))
    if locked_until(user):
        raise ServiceError(_("登录失败次数过多，账号已锁定，请 %(m)s 分钟后再试", m=minutes))
    if not user.active or not check_password_hash(user.password_hash, password or ""):
        _count_failure(user, attempts, minutes)
        raise ServiceError(_("用户名或密码错误"))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    return user


def _count_failure(user: User, attempts: int, minutes: int) -> None:
    """Atomic increment (holds across gunicorn workers); lock when the limit is reached."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_logins=User.failed_logins + 1))
    db.session.refresh(user)
    if user.failed_logins >= attempts:
        user.locked_until = utcnow() + timedelta(minutes=minutes)
        user.failed_logins = 0


def change_password(user: User, old: str, new: str) -> None:
    if not check_password_hash(user.password_hash, old or ""):
        raise ServiceError(_("当前密码不正确"), field="old_password")
    _check_strength(new)
    if old == new:
        raise ServiceError(_("新密码不能与当前密码相同"), field="new_password")
    user.password_hash = hash_password(new)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """Create an API bearer token; only its hash is stored. Returns the clear token once."""
    token = "yz_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token)))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_digest(token),
                                                    ApiToken.revoked_at.is_(None))).first()
    if row is None or not row.user.active:
        return None
    return row.user
