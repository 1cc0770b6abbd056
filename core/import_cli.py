"""`flask --app wsgi import KIND FILE [--dry-run] [--skip-invalid] [--pool K] [--year Y]`.

Prints exactly one JSON object; exit 0 when written (or a clean dry run), 1 when refused.
"""
import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from core import imports
from core.db import db


class ImportGroup(click.Group):
    """One subcommand per registered import kind, discovered at run time."""

    def list_commands(self, ctx):
        return sorted(imports.kinds())

    def get_command(self, ctx, name):
        if name not in imports.kinds():
            return None
        return _make_command(name)


def _make_command(name: str) -> click.Command:
    kind = imports.kinds()[name]

    @click.command(name, help=f"{kind.label_zh} / {kind.label_en}")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="validate and count, write nothing")
    @click.option("--skip-invalid", is_flag=True, help="write the valid rows, report the others")
    @click.option("--pool", default=None, help="pool key (pool-members)")
    @click.option("--year", default=None, help="year (facts)")
    @click.option("--as-user", default=None, help="actor recorded in the audit trail (default: system)")
    @with_appcontext
    def command(file, dry_run, skip_invalid, pool, year, as_user):
        actor = _actor(as_user)
        params = {k: v for k, v in (("pool", pool), ("year", year)) if v is not None}
        data = Path(file).read_bytes()
        result = imports.import_and_commit(name, data, Path(file).name, actor=actor, params=params,
                                           dry_run=dry_run, skip_invalid=skip_invalid)
        click.echo(json.dumps(result.summary(), ensure_ascii=False))
        ok = result.written or (dry_run and not result.errors)
        sys.exit(0 if ok else 1)

    return command


def _actor(username):
    if not username:
        return None
    from core.auth.models import User
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        click.echo(json.dumps({"created": 0, "updated": 0, "unchanged": 0, "rejected": 0,
                               "errors": [{"row": None, "column": None, "message": f"unknown user {username}"}]}))
        sys.exit(2)
    return user


import_cli = ImportGroup("import", help="导入 xlsx/csv 文件 / import a spreadsheet")
