"""Commands for where ratings come from: integrations, devices and dossiers."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import _fail, cli, plural
from app.core.config import get_settings
from app.core.db import session_scope
from app.core.errors import DomainError

if TYPE_CHECKING:
    from app.sources.links import Keys

integration_cli = typer.Typer(
    no_args_is_help=True, help="One-stop software allowed to register dossiers and mint links."
)
device_cli = typer.Typer(
    no_args_is_help=True, help="Counter screens, kiosks and lobby displays of an office."
)
dossiers_cli = typer.Typer(no_args_is_help=True, help="Dossiers and their rating links.")
cli.add_typer(integration_cli, name="integration")
cli.add_typer(device_cli, name="device")
cli.add_typer(dossiers_cli, name="dossiers")

CLI_USER = "cli"


def _keys() -> Keys:
    from app.sources.links import Keys

    settings = get_settings()
    return Keys.from_secret(settings.secret_key, settings.counter_qr_seconds, settings.form_minutes)


@integration_cli.command("add")
def integration_add(
    name: str,
    office: Annotated[str, typer.Option(help="Its scope: this office and the units below")],
    public_key: Annotated[
        Path | None, typer.Option(help="Ed25519 public key (PEM) for links it mints offline")
    ] = None,
) -> None:
    """Print a new integration token, alone on the last line (it is not shown again)."""
    from app.sources.service import add_integration

    key_text = public_key.read_text() if public_key else None
    try:
        with session_scope(write=True) as session:
            token, row = add_integration(session, name, office, public_key=key_text, by=CLI_USER)
            ident = row.id
    except (DomainError, OSError) as exc:
        raise _fail(getattr(exc, "message", str(exc))) from exc
    signing = " (may mint links offline)" if key_text else ""
    typer.echo(f"integration {ident} for {office}{signing}: keep the token secret", err=True)
    typer.echo(token)


@integration_cli.command("list")
def integration_list() -> None:
    """List integrations (never their tokens)."""
    from app.sources.service import integrations

    with session_scope() as session:
        for row, office in integrations(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            key = "ed25519" if row.public_key else "-"
            typer.echo(f"{row.id}\t{office.code}\t{row.prefix}…\t{state}\t{key}\t{row.name}")


@integration_cli.command("revoke")
def integration_revoke(integration_id: int) -> None:
    """Revoke an integration: its token and the links it minted offline stop working."""
    from app.sources.service import revoke_integration

    try:
        with session_scope(write=True) as session:
            revoke_integration(session, integration_id, by=CLI_USER)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"revoked integration {integration_id}")


@integration_cli.command("keygen")
def integration_keygen(
    private_key: Annotated[Path, typer.Option(help="Where to write the private key (PEM)")],
) -> None:
    """Make an Ed25519 key pair for trying offline links: writes the private key, prints the
    public key (PEM) for `integration add --public-key`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        private_key.write_bytes(pem)
        private_key.chmod(0o600)
    except OSError as exc:
        raise _fail(str(exc)) from exc
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    typer.echo(public.decode(), nl=False)


@integration_cli.command("sign")
def integration_sign(
    integration_id: int,
    private_key: Annotated[Path, typer.Option(help="The integration's Ed25519 key (PEM)")],
    office: Annotated[str, typer.Option(help="The office's code")],
    dossier: Annotated[str, typer.Option(help="The dossier code (mã hồ sơ)")],
    counter: Annotated[int | None, typer.Option()] = None,
    officer: Annotated[str | None, typer.Option(help="The officer's staff code")] = None,
    days: Annotated[int, typer.Option(help="Valid for this many days")] = 30,
) -> None:
    """Mint a rating link offline, as the one-stop software would; prints the URL."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from app.sources import tokens
    from app.sources.links import check_dossier_code, rating_url, today

    try:
        key = serialization.load_pem_private_key(private_key.read_bytes(), password=None)
        check_dossier_code(dossier)
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise _fail("the private key is not an Ed25519 key")
    claims = tokens.LinkClaims(
        kind=tokens.LINK_ED25519,
        issuer=integration_id,
        issued=today(),
        valid_days=days,
        counter=counter,
        office=office,
        dossier=dossier,
        officer=officer,
    )
    token = tokens.sign_ed25519(key, tokens.link_payload(claims))
    typer.echo(rating_url(get_settings().public_url, token))


@device_cli.command("add")
def device_add(
    name: str,
    office: Annotated[str, typer.Option(help="The office's code")],
    kind: Annotated[str, typer.Option(help="counter-screen, kiosk or display")],
    counter: Annotated[int | None, typer.Option(help="The counter (a counter screen's)")] = None,
) -> None:
    """Print the device's page and, on the last line, its token (not shown again)."""
    from app.sources.issuing import device_secret, device_url
    from app.sources.service import add_device

    try:
        with session_scope(write=True) as session:
            token, row = add_device(session, name, office, kind, counter, by=CLI_USER)
            ident, salt = row.id or 0, row.secret_salt
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"device {ident} ({kind}) for {office}: keep its address secret", err=True)
    url = device_url(get_settings().public_url, token, device_secret(_keys(), ident, salt))
    typer.echo(f"open on the device: {url}")
    if salt:
        typer.echo("(open it once: the device keeps its secret, after '#k=', and works offline)")
    if kind == "kiosk":
        typer.echo("(software of its own sends ratings to the API with the token below instead)")
    typer.echo(token)


@device_cli.command("list")
def device_list() -> None:
    """List devices (never their tokens)."""
    from app.sources.service import devices

    with session_scope() as session:
        for row, office in devices(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            counter = str(row.counter) if row.counter is not None else "-"
            typer.echo(
                f"{row.id}\t{office.code}\t{row.kind}\t{counter}\t{row.prefix}…\t{state}\t"
                f"{row.name}"
            )


@device_cli.command("revoke")
def device_revoke(device_id: int) -> None:
    """Revoke a device: its page and its token stop working."""
    from app.sources.service import revoke_device

    try:
        with session_scope(write=True) as session:
            revoke_device(session, device_id, by=CLI_USER)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"revoked device {device_id}")


@dossiers_cli.command("import")
def dossiers_import(
    file: Annotated[Path, typer.Argument(help="CSV with a dossier_code column; - for stdin")],
    office: Annotated[str, typer.Option(help="The office the dossiers belong to")],
) -> None:
    """Register dossiers from a CSV file (all or nothing) and print it back with a rating_url
    column, for an office without an integration."""
    from app.audit.service import record
    from app.sources.dossiers import import_csv

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {file}: {exc}") from exc
    settings = get_settings()
    try:
        with session_scope(write=True) as session:
            header, rows = import_csv(session, _keys(), settings.public_url, office, text)
            record(session, CLI_USER, "dossiers_import", f"{office}: {len(rows)}")
    except DomainError as exc:
        raise _fail(exc.message) from exc
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    typer.echo(f"registered {plural(len(rows), 'dossier')} for {office}", err=True)
