"""Configuration from the environment; secrets never live in the repository."""
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))


def _instance_secret(instance: Path, env_name: str, filename: str) -> str:
    """A secret from the environment, or generated once into instance/<filename> (mode 600)."""
    if os.environ.get(env_name):
        return os.environ[env_name]
    path = instance / filename
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance / 'yinzhou.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _optional_int(env_name: str) -> int | None:
    raw = os.environ.get(env_name, "").strip()
    return int(raw) if raw else None


def load(overrides: dict | None = None) -> dict:
    """The app's settings: defaults, then the environment, then explicit overrides (tests)."""
    overrides = overrides or {}
    instance = Path(overrides.get("INSTANCE_PATH", INSTANCE))
    cfg = {
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": ";".join(
            str(p) for p in [*sorted(ROOT.glob("*/translations")), ROOT / "translations"]),
        "LANGUAGES": ("zh", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        "LOCKOUT_ATTEMPTS": 5,
        "LOCKOUT_MINUTES": 15,
        "LOCKOUT_ADDRESS_ATTEMPTS": 30,      # failures from one address, whatever the user names, before a pause
        # the audit chain's anchors: a file outside the database (best on another disk or machine)
        "AUDIT_ANCHOR_FILE": os.environ.get("AUDIT_ANCHOR_FILE", ""),
        "JOB_LEASE_MINUTES": int(os.environ.get("JOB_LEASE_MINUTES", "120")),  # a run older than this is stale
        "JOB_MAX_ATTEMPTS": 3,
        "JOB_RETRY_MINUTES": 10,             # first retry after 10 minutes, then 20, 40 …
        # web imports run as jobs (core.import_jobs): inline | thread | none (only the scheduler); "" = thread
        "IMPORT_JOB_RUNNER": os.environ.get("IMPORT_JOB_RUNNER", ""),
        "IMPORT_JOB_THREADS": int(os.environ.get("IMPORT_JOB_THREADS", "2")),   # per web process
        "IMPORT_JOB_MAX_RUNNING": int(os.environ.get("IMPORT_JOB_MAX_RUNNING", "4")),  # PostgreSQL; SQLite: 1
        "IMPORT_JOB_HEARTBEAT_SECONDS": 5,
        "IMPORT_JOB_STALE_SECONDS": 60,      # no heartbeat for this long: the runner died, the job is taken over
        "IMPORT_JOB_MAX_ATTEMPTS": 2,        # runs of one job before it is given up as failed
        "IMPORT_JOB_POLL_SECONDS": 10,       # the scheduler process looks for jobs nobody took
        # reporting completeness (goals.reporting): a period's value is due this many days after the period
        # ends; the _YEAR / _QUARTER values, when set, override it for annual / quarterly goals
        "REPORTING_DUE_DAYS": int(os.environ.get("REPORTING_DUE_DAYS", "31")),
        "REPORTING_DUE_DAYS_YEAR": _optional_int("REPORTING_DUE_DAYS_YEAR"),
        "REPORTING_DUE_DAYS_QUARTER": _optional_int("REPORTING_DUE_DAYS_QUARTER"),
        # a list export of more rows than this runs as a job (core.export_jobs); smaller ones download at once
        "EXPORT_DIRECT_MAX_ROWS": int(os.environ.get("EXPORT_DIRECT_MAX_ROWS", "2000")),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
    }
    if "SECRET_KEY" not in overrides:
        cfg["SECRET_KEY"] = _instance_secret(instance, "SECRET_KEY", "secret_key")
    if "PII_HASH_KEY" not in overrides:
        cfg["PII_HASH_KEY"] = _instance_secret(instance, "PII_HASH_KEY", "pii_hash_key")  # talent ID hashes
    cfg.update(overrides)
    return cfg
