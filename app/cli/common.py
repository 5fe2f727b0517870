"""The command-line app and what its commands share."""

from __future__ import annotations

import typer

from app.core.config import get_settings
from app.surveys.catalog import SurveyCatalog, SurveyFileError, load_catalog

cli = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="hailong: citizen satisfaction surveys for one-stop offices.",
)
office_cli = typer.Typer(no_args_is_help=True, help="Offices: the tree of units.")
surveys_cli = typer.Typer(no_args_is_help=True, help="Survey definitions in surveys/.")
user_cli = typer.Typer(no_args_is_help=True, help="Staff accounts.")
token_cli = typer.Typer(no_args_is_help=True, help="API bearer tokens.")
stats_cli = typer.Typer(no_args_is_help=True, help="The stored counts the figures are read from.")
cli.add_typer(office_cli, name="office")
cli.add_typer(user_cli, name="user")
cli.add_typer(token_cli, name="token")
cli.add_typer(surveys_cli, name="surveys")
cli.add_typer(stats_cli, name="stats")


def plural(n: int, word: str) -> str:
    """ "1 office", "2 offices": the CLI speaks English, and counts right."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fail(message: str, code: int = 1) -> typer.Exit:
    # One style for every message: "error: no office with code …".
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        message = message[0].lower() + message[1:]
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _catalog() -> SurveyCatalog:
    settings = get_settings()
    try:
        return load_catalog(settings.surveys_dir, settings.default_survey)
    except SurveyFileError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from exc


def _registered_catalog(session: object) -> SurveyCatalog:
    from app.surveys.service import register_catalog

    catalog = _catalog()
    register_catalog(session, catalog)  # type: ignore[arg-type]
    return catalog
