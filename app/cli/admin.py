"""Commands that set things up: the database, the server, demo data, offices, surveys and QR
codes (accounts and tokens: ``accounts.py``)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer

from app.cli.common import (
    _catalog,
    _fail,
    _registered_catalog,
    cli,
    office_cli,
    plural,
    surveys_cli,
)
from app.core.config import get_settings
from app.core.db import session_scope
from app.core.errors import DomainError


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade head)."""
    from app.core.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is up to date")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: HAILONG_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: HAILONG_PORT")] = None,
    workers: Annotated[int | None, typer.Option(help="Default: HAILONG_WORKERS")] = None,
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    from app.core.log_format import logging_config
    from app.offices.qr import survey_url
    from app.offices.tree import load_tree

    settings = get_settings()
    catalog = _catalog()  # refuse to start on a broken survey file, before forking workers
    host, port = host or settings.host, port or settings.port
    base = f"http://{host}:{port}"
    questions = {key: len(survey.questions) for key, survey in catalog.surveys.items()}
    with session_scope() as session:
        example = load_tree(session).first_to_try(questions, catalog.default_key)
    typer.echo(f"hailong on {base}")
    if example:
        typer.echo(f"  citizen form:  {survey_url(base, example)}")
        typer.echo(f"  staff sign-in: {base}/login")
    typer.echo(f"  API docs:      {base}/docs")
    typer.echo(f"  health:        {base}/healthz")
    if (workers or settings.workers) > 1 and not settings.redis_url:
        typer.secho(
            "WARNING: several workers and no HAILONG_REDIS_URL: each worker counts the rating "
            "limits on its own. Set HAILONG_REDIS_URL (see the README).",
            fg="red",
            bold=True,
            err=True,
        )
    with metrics_files():
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers or settings.workers,
            # X-Forwarded-For and -Proto only from the proxies named in HAILONG_TRUSTED_PROXIES:
            # anyone else could claim any address and slip past the per-address limits.
            proxy_headers=bool(settings.trusted_proxies.strip()),
            forwarded_allow_ips=settings.trusted_proxies.strip() or None,
            log_config=logging_config(settings.log_format),
            access_log=False,  # the app writes its own, without addresses (app/web/logs.py)
            # On SIGTERM, requests in flight get this long to be answered (live streams end at
            # once, app/web/stopping.py); then they are cut and the ballots queued are stored.
            timeout_graceful_shutdown=30,
            # A new worker may take more than uvicorn's 5 s to import and start on a busy
            # machine; a rolling restart (SIGHUP) waits this long before giving up on it.
            timeout_worker_healthcheck=60,
        )


@contextmanager
def metrics_files() -> Iterator[None]:
    """Every worker writes its metrics to files in one folder that ``/metrics`` adds up
    (prometheus-client's multiprocess mode). The operator's ``PROMETHEUS_MULTIPROC_DIR`` is
    emptied first, as the library asks; without one, a folder of this run's own."""
    from app.core.metrics import MULTIPROCESS_DIR

    given = os.environ.get(MULTIPROCESS_DIR)
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="hailong-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(folder)
    try:
        yield
    finally:
        if not given:
            os.environ.pop(MULTIPROCESS_DIR, None)
            shutil.rmtree(folder, ignore_errors=True)


@cli.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Do nothing when offices already exist")] = False,
    ballots: Annotated[int, typer.Option(min=0, max=100_000)] = 400,
    seed: int = 2026,
) -> None:
    """Load a small demo province and a few hundred ballots (all marked as demo data)."""
    from app.demo.service import create_demo_accounts, has_data, load_demo
    from app.sources.issuing import device_url

    with session_scope(write=True) as session:
        catalog = _registered_catalog(session)
        if has_data(session):
            if if_empty:
                typer.echo("database already has offices: demo data not loaded")
                return
            raise _fail("the database already has offices; demo data goes into an empty one")
        demo_data = load_demo(session, catalog, ballots=ballots, seed=seed)
        accounts = create_demo_accounts(session)
    typer.echo(
        f"demo data loaded: {plural(demo_data.ballots, 'ballot')}, "
        f"{plural(demo_data.dossiers, 'dossier')}"
    )
    settings = get_settings()
    typer.echo(
        "demo counter screen (Bộ phận một cửa xã Thiệu Hóa, quầy 1; open it full-screen, scan its"
        " QR with a phone): "
        + device_url(settings.public_url, demo_data.screen_token, demo_data.screen_secret)
    )
    typer.echo("demo staff accounts (sign in at /login; the passwords are shown only now):")
    for username, role, password in accounts:
        typer.echo(f"  {username:<14} {role:<10} {password}")


@office_cli.command("add")
def office_add(
    code: str,
    name: str,
    parent: Annotated[str | None, typer.Option(help="Code of the parent office")] = None,
    kind: Annotated[str, typer.Option(help="province, department, commune, …")] = "one-stop",
    survey: Annotated[str | None, typer.Option(help="Survey key (default: inherited)")] = None,
    counters: Annotated[int, typer.Option(min=0, max=999, help="Numbered counters")] = 0,
) -> None:
    """Add one office."""
    from app.models import OfficeCreate
    from app.offices.service import create_office, set_counters

    try:
        with session_scope(write=True) as session:
            catalog = _registered_catalog(session)
            data = OfficeCreate.model_construct(
                code=code, name=name, parent=parent, kind=kind, survey_key=survey
            )
            office = create_office(session, data, catalog)
            if counters:
                set_counters(session, office, counters)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"added {code}: {name}")


@office_cli.command("update")
def office_update(
    code: str,
    name: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    survey: Annotated[str | None, typer.Option(help="Survey key for new ballots")] = None,
    inherit_survey: Annotated[
        bool, typer.Option(help="Use the nearest ancestor's survey (or the default)")
    ] = False,
    parent: Annotated[str | None, typer.Option(help="Move under this office")] = None,
    counters: Annotated[int | None, typer.Option(min=0, max=999, help="Counters 1..N")] = None,
    count: Annotated[
        str | None,
        typer.Option(
            help="Ballot sources its figures count: open,counter,dossier,kiosk (any of them), "
            "or inherit"
        ),
    ] = None,
    staff_network: Annotated[
        str | None,
        typer.Option(
            "--staff-network",
            help="Its staff's networks, e.g. 10.1.2.0/24,192.168.5.0/24 (or inherit): a "
            "citizen's rating from there is flagged",
        ),
    ] = None,
    hours: Annotated[
        str | None,
        typer.Option(
            help='Opening hours, e.g. "T2-T6 07:30-11:30,13:30-17:00; T7 07:30-11:30" (or '
            "inherit): a rating on the premises outside them is flagged"
        ),
    ] = None,
    case_days: Annotated[
        str | None,
        typer.Option(help="Working days a case has before it is overdue (or inherit)"),
    ] = None,
    alert: Annotated[
        str | None,
        typer.Option(
            help='When dissatisfied ballots alert: "50%% 60m 4" (half of at least 4 ballots in '
            "60 minutes), off, or inherit"
        ),
    ] = None,
    public: Annotated[
        str | None,
        typer.Option(help="Publish its results at /cong-khai: on, off, or inherit"),
    ] = None,
) -> None:
    """Change an office's name, kind, survey, parent, counters (ballots keep theirs), which
    ballot sources count in its figures, its staff networks, its opening hours, its cases'
    working days, its alert rule or whether its results are public (these six hold for its
    sub-tree, unless a unit below sets its own)."""
    from app.audit.service import record
    from app.offices.service import update_office

    if survey and inherit_survey:
        raise _fail("--survey and --inherit-survey exclude each other", 2)
    try:
        with session_scope(write=True) as session:
            office = update_office(
                session,
                code,
                _registered_catalog(session),
                name=name,
                kind=kind,
                survey_key=survey,
                inherit_survey=inherit_survey,
                parent=parent,
                counters=counters,
                count_sources=count,
                staff_networks=staff_network,
                opening_hours=hours,
                case_days=case_days,
                alert_rule=alert,
                public=public,
            )
            for action, value in (
                ("count_policy", count),
                ("staff_networks", staff_network),
                ("opening_hours", hours),
                ("case_days", case_days),
                ("alert_rule", alert),
                ("public", public),
            ):
                if value is not None:
                    record(session, "cli", action, f"{code}: {value}"[:200], office_id=office.id)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"updated {code}")


@office_cli.command("import")
def office_import(
    file: Path,
    update: Annotated[
        bool, typer.Option("--update", help="Change offices whose code exists, instead of refusing")
    ] = False,
) -> None:
    """Import offices from a UTF-8 CSV with header code,name,parent,kind,survey (all or
    nothing). With --update, `hailong office list` output imports back."""
    from app.offices.service import import_csv

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: {exc}") from exc
    try:
        with session_scope(write=True) as session:
            result = import_csv(session, text, _registered_catalog(session), update=update)
    except DomainError as exc:
        typer.echo(f"error: {file}: nothing imported", err=True)
        for line in exc.message.splitlines():
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(1) from exc
    done = f"imported {plural(result.created, 'office')} from {file}"
    typer.echo(done + (f"; updated {plural(result.updated, 'office')}" if result.updated else ""))


@office_cli.command("list")
def office_list() -> None:
    """List offices as CSV (the import format)."""
    import csv

    from app.offices.service import list_offices, to_public

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["code", "name", "parent", "kind", "survey"])
    with session_scope() as session:
        for office in list_offices(session):
            pub = to_public(session, office)
            writer.writerow([pub.code, pub.name, pub.parent or "", pub.kind, pub.survey_key or ""])


@surveys_cli.command("check")
def surveys_check() -> None:
    """Validate every survey file; a broken one is named with the field at fault."""
    catalog = _catalog()
    for survey in catalog.surveys.values():
        typer.echo(f"ok  {survey.ref:<22} {len(survey.questions):>2} questions  {survey.title_vi}")


@cli.command()
def qr(
    office: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write")],
    counter: Annotated[int | None, typer.Option(min=1, max=999)] = None,
    fmt: Annotated[Literal["png", "svg"], typer.Option("--format")] = "png",
) -> None:
    """Write the QR code that opens OFFICE's survey (and COUNTER's, if given)."""
    from app.offices import qr as qr_codes
    from app.offices.service import get_by_code, require_counter

    try:
        with session_scope() as session:
            found = get_by_code(session, office)
            require_counter(session, found, counter)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    url = qr_codes.survey_url(get_settings().public_url, found.code, counter)
    output.write_bytes(qr_codes.qr_image(url, fmt))
    typer.echo(f"{output}: {url}")
