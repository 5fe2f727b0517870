"""Commands for the stuffing detectors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from app.cli.common import _fail, cli, plural
from app.core.db import session_scope
from app.core.errors import DomainError

signals_cli = typer.Typer(no_args_is_help=True, help="Detectors that flag suspicious ratings.")
cli.add_typer(signals_cli, name="signals")


@signals_cli.command("scan")
def signals_scan(
    office: Annotated[
        str | None, typer.Option(help="Only this office and the units below it")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this day (YYYY-MM-DD); default: yesterday")
    ] = None,
) -> None:
    """Run the windowed rules (burst, same-device, same-address, uniform-streak,
    over-dossiers) now. Flags are only added, never removed; a ballot is never changed."""
    from app.offices.service import get_by_code
    from app.offices.tree import load_tree
    from app.signals.rules import RULES
    from app.signals.scan import scan

    try:
        start = date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise _fail(f"--since: a day as YYYY-MM-DD, not {since!r}", 2) from exc
    now = datetime.now(UTC)
    moment = (
        datetime(start.year, start.month, start.day, tzinfo=UTC) - timedelta(hours=7)
        if start
        else now - timedelta(days=1)
    )
    try:
        with session_scope(write=True) as session:
            offices = None
            if office:
                root = get_by_code(session, office)
                offices = sorted(load_tree(session).subtree(root.id or 0))
            raised = scan(session.connection(), since=moment, until=now, office_ids=offices)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    for rule in RULES:
        if raised.get(rule):
            typer.echo(f"{rule}: {plural(raised[rule], 'new flag')}")
    typer.echo(f"scanned; {plural(sum(raised.values()), 'new flag')} in all")
