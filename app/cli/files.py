"""Commands about the results: exporting them, and verifying files and the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import text as sa_text

from app.cli.common import _catalog, _fail, cli, plural, stats_cli
from app.core.db import session_scope
from app.core.errors import DomainError


@cli.command()
def export(
    what: Annotated[str, typer.Argument(help="ballots, summary or audit")],
    output: Annotated[Path, typer.Option("-o", "--output")],
    office: Annotated[
        str | None, typer.Option(help="The office; its whole sub-tree is exported")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or jsonl")] = "csv",
    start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD, inclusive")] = None,
    survey: Annotated[str | None, typer.Option(help="Survey key")] = None,
) -> None:
    """Export ballots (FILE and FILE.manifest.json), the summary or the audit log.

    ballots: one row per ballot of the office's sub-tree (csv, xlsx or jsonl). summary: the
    figures per office and criterion (csv or xlsx). audit: the audit log (csv or xlsx; --office
    narrows it to a sub-tree)."""
    from datetime import date

    from app.audit import service as audit
    from app.offices.service import get_by_code
    from app.stats.periods import period_of, today

    if what not in ("ballots", "summary", "audit"):
        raise _fail(f"{what!r}: export 'ballots', 'summary' or 'audit'", 2)
    if what != "ballots" and fmt not in ("csv", "xlsx"):
        raise _fail(f"the {what} is exported as csv or xlsx", 2)
    if what != "audit" and not office:
        raise _fail("--office: which office's sub-tree to export", 2)
    try:
        first = date.fromisoformat(start) if start else period_of("year", today()).start
        last = date.fromisoformat(end) if end else today()
    except ValueError as exc:
        raise _fail(f"--from/--to: {exc}", 2) from exc
    try:
        # Logged in a short writing transaction of its own; the export itself only reads, so a
        # long export never holds SQLite's write lock while citizens submit.
        with session_scope(write=True) as session:
            office_id = get_by_code(session, office).id if office else None
            target = f"{what} {office or '*'} {first}..{last} ({fmt})"
            audit.record(session, "cli", "export", target, office_id=office_id)
        with session_scope() as session:
            if what == "audit":
                typer.echo(_export_audit(session, office_id, first, last, fmt, output))
            elif what == "summary":
                typer.echo(_export_summary(session, office or "", first, last, survey, fmt, output))
            else:
                typer.echo(_export_ballots(session, office or "", first, last, survey, fmt, output))
    except DomainError as exc:
        raise _fail(exc.message) from exc


def _export_ballots(
    session: Any, office: str, first: Any, last: Any, survey: str | None, fmt: str, output: Path
) -> str:
    from app.exports import ballot_export, files
    from app.stats.periods import date_range

    export = ballot_export.prepare(
        session, _catalog(), office, date_range(first, last), survey, officers=True, flags=True
    )
    manifest = files.write(session.connection(), export, fmt, output, "cli")
    surveys = "survey" if len(export.surveys) == 1 else "surveys"
    return (
        f"{output}: {plural(export.rows, 'ballot')} of {surveys} {', '.join(export.surveys)},"
        f" {first}..{last}; manifest {manifest}"
    )


def _export_summary(
    session: Any, office: str, first: Any, last: Any, survey: str | None, fmt: str, output: Path
) -> str:
    from app.exports.summary import SUMMARY_FORMATS, summary_rows
    from app.stats.periods import date_range

    rows = summary_rows(session, _catalog(), office, date_range(first, last), survey)
    with output.open("wb") as out:
        for chunk in SUMMARY_FORMATS[fmt](rows):
            out.write(chunk)
    what = "every survey sharing the criteria" if not survey else f"survey {survey}"
    return f"{output}: figures per office and criterion, {what}, {first}..{last}"


def _export_audit(
    session: Any, office_id: int | None, first: Any, last: Any, fmt: str, output: Path
) -> str:
    from app.audit import service as audit
    from app.exports.audit_log import log_file
    from app.offices.tree import load_tree

    tree = load_tree(session)
    scope = set(tree.subtree(office_id)) if office_id else None
    query = audit.AuditQuery(start=first, end=last)
    with output.open("wb") as out:
        for chunk in log_file(audit.every(session.connection(), scope, query), tree, fmt):
            out.write(chunk)
    return f"{output}: audit log {first}..{last}"


@cli.command()
def verify(
    file: Annotated[Path | None, typer.Argument(help="An export file (with its manifest)")] = None,
    db: Annotated[
        bool, typer.Option("--db", help="Re-walk the ballot chains in the database")
    ] = False,
    office: Annotated[str | None, typer.Option(help="Only this office's chain")] = None,
) -> None:
    """Check that no ballot was edited, deleted or inserted behind the app's back."""
    from app.core.db import get_engine
    from app.integrity.verify import verify_db

    if file is not None:
        from app.exports.files import verify_file

        with get_engine().connect() as conn:
            problems = verify_file(conn, file)
        for problem in problems:
            typer.echo(problem)
        if problems:
            typer.echo(f"FAILED: {file} does not verify")
            raise typer.Exit(1)
        typer.echo(f"ok: {file} matches its manifest and the database")
        return
    if not db:
        raise _fail("say what to verify: FILE or --db", 2)
    with get_engine().connect() as conn:
        if (
            office is not None
            and conn.execute(sa_text("SELECT 1 FROM office WHERE code = :c"), {"c": office}).first()
            is None
        ):
            raise _fail(f"no office with code {office!r}")
        report = verify_db(conn, office)
    for finding in report.findings or []:
        typer.echo(str(finding))
    if not report.ok:
        found = plural(len(report.findings or []), "problem")
        typer.echo(f"FAILED: {found} in {plural(report.chains, 'chain')}")
        raise typer.Exit(1)
    typer.echo(
        f"ok: {plural(report.ballots, 'ballot')} in {plural(report.chains, 'chain')} verified"
    )


@stats_cli.command("rebuild")
def stats_rebuild() -> None:
    """Recount every stored count (rollups, ballot moments, dossiers) from the raw rows.

    Needed after changing surveys/criteria/ (which surveys are compared on which criteria);
    harmless at any time. Holds the write lock while it runs: citizens' ballots wait."""
    from app.stats import dossier_rollup
    from app.stats.recount import rebuild
    from app.stats.rollups import ALL_TABLES

    catalog = _catalog()
    with session_scope(write=True) as session:
        conn = session.connection()
        counted = rebuild(conn, tables=ALL_TABLES, criteria=catalog.criteria, subtrees=True)
        reported = dossier_rollup.recount(conn)
    typer.echo(f"recounted {plural(counted, 'ballot')} and {plural(reported, 'dossier')}")
