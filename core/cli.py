"""Core commands: users, audit, seeding, backup and restore."""
import sys

import click
from flask.cli import AppGroup

from core import text as unsafe_text
from core.audit import service as audit
from core.auth import service as auth
from core.db import db
from core.errors import ServiceError
from core.seed import seed_demo_users, seed_units

users_cli = AppGroup("users", help="用户管理 / manage users")
audit_cli = AppGroup("audit", help="审计日志 / audit trail")


def _fail(message: str, code: int = 2):
    click.echo(message, err=True)
    sys.exit(code)


@users_cli.command("create")
@click.argument("name", callback=unsafe_text.click_line)
@click.option("--unit", required=True, help="unit code or Chinese name, e.g. kjj or 区科技局")
@click.option("--role", required=True, help="admin | manager | editor | viewer")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--display-name", default="", callback=unsafe_text.click_line)
def users_create(name, unit, role, password_stdin, display_name):
    """Create a user (password from a prompt, or from stdin with --password-stdin)."""
    if role not in ("admin", "manager", "editor", "viewer"):
        _fail(f"unknown role: {role} (admin, manager, editor, viewer)")
    if auth.get_unit(unit) is None:
        _fail(f"unknown unit: {unit}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        auth.create_user(name, password, unit=unit, role=role, display_name=display_name)
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    click.echo(f"created user {name} ({role}, {unit})")


@users_cli.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--must-change", is_flag=True, help="the user must choose a new password at next login")
def users_set_password(name, password_stdin, must_change):
    """Set NAME's password (ends the user's sessions and lifts login locks; audited)."""
    from core.auth.accounts import set_password
    user = _user_or_fail(name)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(user, password, actor=None, must_change=must_change)
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    click.echo(f"password of {name} set" + (" (to be changed at next login)" if must_change else ""))


def _user_or_fail(name):
    from sqlalchemy import select

    from core.auth.models import User
    user = db.session.scalars(select(User).where(User.username == name)).first()
    if user is None:
        _fail(f"unknown user: {name}")
    return user


@users_cli.command("token")
@click.argument("name")
def users_token(name):
    """Print a new API bearer token for NAME (only its hash is stored)."""
    user = _user_or_fail(name)
    token = auth.issue_token(user)
    db.session.commit()
    click.echo(token)


@audit_cli.command("verify")
@click.option("--anchor", "anchor_file", type=click.Path(dir_okay=False), default=None,
              help="anchor file written by `audit anchor`: prove that no entry was cut off since")
def audit_verify(anchor_file):
    """Walk the hash chain, check the head (and the anchors); report the first break (exit 1) or OK."""
    from core.audit.verify import REASONS, AnchorFileError, read_anchors
    try:
        anchors = read_anchors(anchor_file) if anchor_file else []
    except AnchorFileError as exc:
        _fail(str(exc))
    count, broken, reason = audit.verify(anchors)
    if reason:
        where = f"seq {broken.seq} (id {broken.id}, {broken.action})" if broken else "head"
        click.echo(f"BROKEN at {where}: {reason} ({REASONS[reason]}); {count} entries verified before it")
        sys.exit(1)
    pinned = f"; {len(anchors)} anchors match" if anchor_file else ""
    click.echo(f"OK: {count} entries verified{pinned}")


@audit_cli.command("anchor")
@click.option("--file", "anchor_file", type=click.Path(dir_okay=False), default=None,
              help="append to this file (default: AUDIT_ANCHOR_FILE or instance/audit-anchors.jsonl)")
def audit_anchor(anchor_file):
    """Append the chain's count and last hash to a file outside the database."""
    from core.audit.verify import write_anchor
    anchor, path = write_anchor(anchor_file)
    click.echo(f"anchored {anchor.seq} entries ({anchor.hash[:12]}…) to {path}")


@click.command("backup")
@click.option("--dir", "directory", default="backups", show_default=True, type=click.Path(file_okay=False),
              help="where the backup file is written")
def backup_cmd(directory):
    """Back up the database (SQLite or PostgreSQL) to a new file (mode 0600); prints its path."""
    from core.backup import BackupError, backup_database
    try:
        path = backup_database(db.engine.url, directory)
    except (BackupError, OSError) as exc:
        _fail(f"backup failed: {exc}", 1)
    click.echo(str(path))


@click.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="do not ask: the current database content is replaced")
def restore_cmd(backup_file, yes):
    """Replace the database's content with BACKUP_FILE, then verify the audit chain."""
    from core.backup import BackupError, restore_database
    if not yes:
        click.confirm(f"Replace the whole database with {backup_file}?", abort=True)
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    try:
        restore_database(url, backup_file)
    except (BackupError, OSError) as exc:
        _fail(f"restore failed: {exc}", 1)
    count, _, reason = audit.verify()
    if reason:
        _fail(f"restored, but the audit chain is broken ({reason}) after {count} entries", 1)
    click.echo(f"restored {backup_file}; audit chain OK ({count} entries)")


@click.command("seed-units")
def seed_units_cmd():
    """Load the plan's responsible units (idempotent)."""
    added = seed_units()
    db.session.commit()
    click.echo(f"units: {added} added")


@click.command("seed")
def seed_cmd():
    """Load all reference data: units, then each domain's (pools, plan goals, …). Idempotent."""
    from core.seed import run_seeders
    added = seed_units()
    reports = run_seeders()
    db.session.commit()
    click.echo(f"units: {added} added")
    for line in reports:
        if line:
            click.echo(line)


@click.command("seed-demo")
def seed_demo_cmd():
    """Create demo users that do not exist yet and print their passwords once."""
    seed_units()
    created = seed_demo_users()
    db.session.commit()
    if not created:
        click.echo("demo users already exist (passwords were printed when they were created)")
    for username, password, unit, role in created:
        click.echo(f"  {username:<12} {password:<16} {role:<8} {unit}")


def init_app(app) -> None:
    for cmd in (users_cli, audit_cli, seed_units_cmd, seed_cmd, seed_demo_cmd, backup_cmd, restore_cmd):
        app.cli.add_command(cmd)
