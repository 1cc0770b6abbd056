"""`flask --app wsgi reconcile POOL_KEY FILE --as-of YYYY-MM-DD [--name LIST] [--apply]`.

Prints one JSON object {matched, new, missing, conflicting, uncertain, duplicates, rows: [...]}
(with "applied": {...} after --apply, or "error": "..." when refused). Without --apply nothing is
written; with it the certain rows are applied in one batch (uncertain rows are never applied from
the CLI, and no pool member is exited: exits are ticked on the page). Exit 0 on success, 1 when refused.
"""
import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from core import text as unsafe_text
from core.db import db
from core.errors import ServiceError
from registry import service
from registry.reconcile import ListError, read_list, reconcile
from registry.reconcile_apply import apply_reconciliation


def _fail(message: str) -> None:
    click.echo(json.dumps({"error": message}, ensure_ascii=False))
    sys.exit(1)


@click.command("reconcile")
@click.argument("pool_key")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", required=True, help="the list's date, YYYY-MM-DD")
@click.option("--name", "list_name", default="", callback=unsafe_text.click_line, help="the list's name (reason of the entries); default: file name")
@click.option("--apply", "do_apply", is_flag=True, help="write the certain rows in one batch")
@click.option("--as-user", default=None, help="actor recorded in the audit trail (default: system)")
@with_appcontext
def reconcile_cmd(pool_key, file, as_of, list_name, do_apply, as_user):
    """核对官方名单与培育库 / reconcile an official list against a pool."""
    pool = service.pool_by_key(pool_key)
    if pool is None or pool.archived_at is not None:
        _fail(f"未知或已停用的培育库：{pool_key}")
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        _fail(f"日期格式应为 YYYY-MM-DD：{as_of}")
    path = Path(file)
    if not path.is_file():
        _fail(f"找不到文件：{file}")
    try:
        rows = read_list(path.read_bytes(), path.name) if path.suffix.lower() in (".xlsx", ".csv") \
            else read_list(pasted=path.read_text(encoding="utf-8-sig"))
    except (ListError, UnicodeDecodeError) as exc:
        _fail(getattr(exc, "message", "文件不是 UTF-8 文本"))
    rec = reconcile(pool, rows, day, list_name.strip() or path.stem)
    out = rec.summary()
    if do_apply:
        out["applied"] = _apply(rec, path.name, as_user)
    else:
        db.session.rollback()
    click.echo(json.dumps(out, ensure_ascii=False, default=str))


def _apply(rec, filename: str, as_user) -> dict:
    actor = None
    if as_user:
        from core.auth.models import User
        actor = db.session.scalars(select(User).where(User.username == as_user)).first()
        if actor is None:
            _fail(f"未知用户：{as_user}")
    try:
        done = apply_reconciliation(actor, rec, decisions={}, filename=filename, strict=False)
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    return done.as_dict()
