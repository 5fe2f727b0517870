"""Commands about staff accounts and their API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from app.cli.common import _fail, token_cli, user_cli
from app.core.db import session_scope
from app.core.errors import DomainError


@user_cli.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, officer or inspector")],
    office: Annotated[str | None, typer.Option(help="Office (and sub-tree) of the account")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
    head: Annotated[
        bool, typer.Option(help="An officer who heads the unit: sees per-officer figures")
    ] = False,
    email: Annotated[
        str | None, typer.Option(help="Where mail about cases and alerts goes")
    ] = None,
    digest: Annotated[bool, typer.Option(help="Mail the weekly digest (needs --email)")] = False,
) -> None:
    """Add a staff account (the password is asked for, or read from stdin)."""
    from app.auth.service import create_user, set_mail
    from app.models import UserCreate

    if head and role != "officer":
        raise _fail("--head is for officer accounts (admins and inspectors see them anyway)", 2)
    password = _read_password(password_stdin)
    try:
        with session_scope(write=True) as session:
            data = UserCreate.model_construct(
                username=username, role=role, office=office, password=password
            )
            user = create_user(session, data)
            user.is_head = head
            session.add(user)
            if email is not None or digest:
                set_mail(session, user, email, digest, by="cli")
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"added {user.username} ({user.role})", err=True)


@user_cli.command("update")
def user_update(
    username: str,
    email: Annotated[
        str | None, typer.Option(help='Where mail about cases and alerts goes ("" for none)')
    ] = None,
    digest: Annotated[
        bool | None, typer.Option("--digest/--no-digest", help="Mail the weekly digest")
    ] = None,
) -> None:
    """Change an account's e-mail address or its weekly digest (written in the audit log)."""
    from app.auth.service import get_user, set_mail

    if email is None and digest is None:
        raise _fail("nothing to change: give --email or --digest/--no-digest", 2)
    try:
        with session_scope(write=True) as session:
            user = set_mail(session, get_user(session, username), email, digest, by="cli")
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"updated {user.username}: {user.email or 'no e-mail'}, digest {user.digest}")


@user_cli.command("password")
def user_password(
    username: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
) -> None:
    """Set a new password for an account (demo passwords are printed only once); its open
    sessions are signed out, and the change is written in the audit log."""
    from app.auth.service import set_password

    password = _read_password(password_stdin)
    try:
        with session_scope(write=True) as session:
            user = set_password(session, username, password, by="cli")
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"new password set for {user.username}", err=True)


def _read_password(from_stdin: bool) -> str:
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise _fail("no terminal to ask for the password: use --password-stdin", 2)
    password = getpass.getpass("Mật khẩu / password: ")
    if getpass.getpass("Nhập lại / again: ") != password:
        raise _fail("the two passwords differ")
    return password


@token_cli.command("create")
def token_create(
    username: str, name: Annotated[str, typer.Option(help="What the token is for")] = ""
) -> None:
    """Print a new API token for USERNAME, alone on stdout (it is not shown again)."""
    from app.auth.service import create_token

    try:
        with session_scope(write=True) as session:
            token, row = create_token(session, username, name)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"token {row.id} for {username} ({row.prefix}…): keep it secret", err=True)
    typer.echo(token)


@token_cli.command("list")
def token_list(username: str) -> None:
    """List USERNAME's tokens (never the tokens themselves)."""
    from app.auth.service import tokens_of

    try:
        with session_scope() as session:
            for row in tokens_of(session, username):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                typer.echo(f"{row.id}\t{row.prefix}…\t{state}\t{row.name}")
    except DomainError as exc:
        raise _fail(exc.message) from exc


@token_cli.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id (see `hailong token list`)."""
    from app.auth.service import revoke_token

    try:
        with session_scope(write=True) as session:
            revoke_token(session, token_id)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"revoked token {token_id}")
