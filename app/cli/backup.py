"""``hailong backup`` and ``hailong restore`` (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import _fail, cli, plural
from app.core.config import get_settings


@cli.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (replaced if there)")],
) -> None:
    """Write a consistent copy of the running database to FILE.

    SQLite: its online backup API; PostgreSQL: pg_dump's custom format (pg_dump on the PATH).
    Ballots keep arriving meanwhile; the copy is one moment of them."""
    from app.core.backup import KINDS, BackupError
    from app.core.backup import backup as write_backup

    try:
        kind = write_backup(get_settings().database_url, file)
    except BackupError as exc:
        raise _fail(exc.message) from exc
    size = file.stat().st_size
    typer.echo(f"backup written: {file} ({KINDS[kind]}, {size / 1e6:.1f} MB)")


@cli.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file `hailong backup` wrote")],
) -> None:
    """Restore FILE into the database of HAILONG_DATABASE_URL, which must be empty, then
    re-walk every ballot chain in it."""
    from app.core.backup import BackupError
    from app.core.backup import restore as read_backup
    from app.core.db import get_engine
    from app.core.migrate import is_current
    from app.integrity.verify import verify_db

    try:
        read_backup(get_settings().database_url, file)
    except BackupError as exc:
        raise _fail(exc.message) from exc
    with get_engine().connect() as conn:
        if not is_current(conn):
            typer.echo(f"restored {file}; its schema is older than this hailong: run `hailong "
                       "migrate`, then `hailong verify --db`")  # fmt: skip
            return
        report = verify_db(conn, None)
    if not report.ok:
        for finding in report.findings or []:
            typer.echo(str(finding))
        raise _fail(f"restored {file}, but its ballot chains do not verify")
    typer.echo(
        f"restored {file}: {plural(report.ballots, 'ballot')} in "
        f"{plural(report.chains, 'chain')} verified"
    )
