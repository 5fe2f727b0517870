"""Commands about telling people: webhooks, the outbox of mails and webhook calls, and the
timed notices (overdue cases, alerts, the weekly digest) run by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import _catalog, _fail, cli, plural
from app.core.db import session_scope
from app.core.errors import DomainError

webhook_cli = typer.Typer(no_args_is_help=True, help="Webhooks for a province's own systems.")
outbox_cli = typer.Typer(no_args_is_help=True, help="Mails and webhook calls being delivered.")
notices_cli = typer.Typer(no_args_is_help=True, help="Overdue cases, alerts and the digest.")
cli.add_typer(webhook_cli, name="webhook")
cli.add_typer(outbox_cli, name="outbox")
cli.add_typer(notices_cli, name="notices")


@webhook_cli.command("add")
def webhook_add(
    url: str,
    office: Annotated[str, typer.Option(help="The office whose sub-tree's events it gets")],
    events: Annotated[
        str, typer.Option(help="Comma-separated: case.opened, case.answered, case.overdue, alert")
    ] = "case.opened,case.answered,case.overdue,alert",
) -> None:
    """Add a webhook; its signing secret is printed once, alone on stdout."""
    from app.offices.service import get_by_code
    from app.outbox.webhooks import add

    try:
        with session_scope(write=True) as session:
            hook, secret = add(session, get_by_code(session, office), url, events)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"webhook {hook.id} for {office} ({hook.events}): keep the secret", err=True)
    typer.echo(secret)


@webhook_cli.command("list")
def webhook_list() -> None:
    """The live webhooks (never their secrets)."""
    from app.outbox.webhooks import live

    with session_scope() as session:
        for hook in live(session):
            typer.echo(f"{hook.id}\t{hook.office_id}\t{hook.events}\t{hook.url}")


@webhook_cli.command("revoke")
def webhook_revoke(hook_id: int) -> None:
    """Stop calling a webhook (what is queued for it is given up)."""
    from app.outbox.webhooks import revoke

    try:
        with session_scope(write=True) as session:
            revoke(session, hook_id)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"revoked webhook {hook_id}")


@outbox_cli.command("list")
def outbox_list(
    state: Annotated[str, typer.Option(help="waiting, gave_up or delivered")] = "gave_up",
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Messages in a state, newest first, with their last error."""
    from app.outbox.admin import STATES, counts, lines

    if state not in STATES:
        raise _fail(f"--state: one of {', '.join(STATES)}", 2)
    with session_scope() as session:
        totals = counts(session)
        for line in lines(session, state, limit):  # type: ignore[arg-type]
            typer.echo(
                f"{line.id}\t{line.channel}\t{line.event_id}\t{line.recipient}\t"
                f"{line.attempts} tries\t{line.last_error or ''}"
            )
    typer.echo(", ".join(f"{n} {s}" for s, n in totals.items()), err=True)


@outbox_cli.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Message ids (none: every one)")] = None,
) -> None:
    """Send given-up messages again, from the start of the retry schedule."""
    from app.outbox.admin import retry

    try:
        with session_scope(write=True) as session:
            n = retry(session, ids or None, "cli")
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"{plural(n, 'message')} queued again")


@notices_cli.command("run")
def notices_run() -> None:
    """One round now: overdue cases, alerts, erasing old contacts, the digest when due, then
    delivering what the outbox holds (what every worker does every HAILONG_NOTICES_SECONDS)."""
    from app.core.config import get_settings
    from app.core.db import get_engine
    from app.notices.background import tick

    done = tick(get_engine(), _catalog(), get_settings())
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(done.items())) or "nothing to do")
