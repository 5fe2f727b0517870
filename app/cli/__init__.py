"""The ``hailong`` command (also ``python -m app``)."""

from __future__ import annotations

import typer

from app.cli import accounts, admin, backup, files, notices, signals, sources, transparency  # noqa: F401  (their commands register on `cli`)
from app.cli.common import cli
from app.core.config import get_settings

__all__ = ["cli", "main"]


def main() -> None:
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as exc:  # a configuration mistake, not a crash: say which setting
        for error in exc.errors():
            loc = "_".join(str(part) for part in error["loc"]).upper()
            typer.echo(
                f"error: {'HAILONG_' + loc if loc else 'settings'}: {error['msg']}", err=True
            )
        raise SystemExit(2) from exc
    cli()
