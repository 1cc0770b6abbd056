"""`flask --app wsgi import KIND FILE [--dry-run] [--skip-invalid] [--PARAM VALUE …]`.

Each kind's parameters (registry's `--pool`, `--year` …) come from its declaration (ImportKind.params).

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
    """The kind's command; its options beyond the fixed ones come from the kind's declared params."""
    kind = imports.kinds()[name]

    @with_appcontext
    def command(file, dry_run, skip_invalid, as_user, **params):
        actor = _actor(as_user)
        # the path, not the bytes: a CSV is read as a stream, chunk by chunk (core.imports)
        result = imports.import_and_commit(name, Path(file), Path(file).name, actor=actor,
                                           params={k: v for k, v in params.items() if v is not None},
                                           dry_run=dry_run, skip_invalid=skip_invalid, max_bytes=CLI_MAX_BYTES)
        click.echo(json.dumps(result.summary(), ensure_ascii=False))
        ok = result.written or (dry_run and not result.errors)
        sys.exit(0 if ok else 1)

    options = [
        click.Argument(["file"], type=click.Path(exists=True, dir_okay=False)),
        click.Option(["--dry-run"], is_flag=True, help="validate and count, write nothing"),
        click.Option(["--skip-invalid"], is_flag=True, help="write the valid rows, report the others"),
        *(click.Option([f"--{p.name}"], default=None, help=f"{p.label_zh} / {p.label_en}") for p in kind.params),
        click.Option(["--as-user"], default=None, help="actor recorded in the audit trail (default: system)"),
    ]
    return click.Command(name, callback=command, params=options, help=f"{kind.label_zh} / {kind.label_en}")


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


#: A file on the server is not an upload: the web's size limit does not apply (tabular's row limit does).
CLI_MAX_BYTES = 2 * 1024 ** 3


import_cli = ImportGroup("import", help="导入 xlsx/csv 文件 / import a spreadsheet")
