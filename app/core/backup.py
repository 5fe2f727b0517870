"""Backups of a running deployment, and restores into an empty database (docs/operations.md).

A backup is one consistent snapshot, taken while ballots keep arriving: SQLite's online backup
API copies every page inside one read transaction; ``pg_dump`` reads in one repeatable-read
snapshot and writes its custom format, which ``pg_restore`` restores. Either file is written
beside its destination and renamed over it only when whole and checked, and a restore runs in
one transaction: a failure leaves no half-written file and no half-restored database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
NOT_EMPTY = (
    "the database is not empty: restore into a new, empty database (before `hailong migrate`)"
)


class BackupError(Exception):
    """Why a backup or a restore did not happen; nothing was written."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgresql"
    url: URL

    @classmethod
    def of(cls, database_url: str) -> Database:
        url = make_url(database_url)
        kind = url.get_backend_name()
        if kind not in KINDS:
            raise BackupError(f"backups know SQLite and PostgreSQL, not {kind!r}")
        if kind == "sqlite" and url.database in (None, "", ":memory:"):
            raise BackupError("an in-memory SQLite database has nothing to back up")
        return cls(kind, url)

    @property
    def path(self) -> Path:
        return Path(str(self.url.database))

    def libpq(self) -> tuple[str, dict[str, str]]:
        """The connection string for PostgreSQL's own programs, and the environment that
        carries the password (never on a command line, where ``ps`` would show it)."""
        env = dict(os.environ)
        if self.url.password is not None:
            env["PGPASSWORD"] = str(self.url.password)
        conninfo = self.url.set(drivername="postgresql", password=None)
        return conninfo.render_as_string(hide_password=False), env


def backup(database_url: str, output: Path) -> str:
    """Write a consistent copy of the database to ``output``; its kind ("sqlite" or
    "postgresql")."""
    database = Database.of(database_url)
    output = output.expanduser().absolute()
    if output.is_dir():
        raise BackupError(f"{output} is a directory: name the backup file")
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} does not exist")
    if not os.access(output.parent, os.W_OK):
        raise BackupError(f"{output.parent} cannot be written")
    if database.kind == "postgresql":
        pg_dump = _program("pg_dump")  # before anything is written
    try:
        handle, name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    except OSError as exc:
        raise BackupError(f"{output.parent} cannot be written: {exc.strerror}") from exc
    os.close(handle)
    partial = Path(name)
    try:
        if database.kind == "sqlite":
            _sqlite_backup(database.path, partial)
        else:
            conninfo, env = database.libpq()
            _check_run(
                [pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                 f"--file={partial}", f"--dbname={conninfo}"],
                env, "pg_dump",
            )  # fmt: skip
            _check_run([_program("pg_restore"), "--list", str(partial)], env, "pg_restore")
        _fsync(partial)
        os.replace(partial, output)
    except (OSError, sqlite3.Error) as exc:  # a full disk, a vanished folder
        raise BackupError(f"the backup could not be written to {output}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return database.kind


def restore(database_url: str, file: Path) -> str:
    """Restore the backup ``file`` into the (empty) database; its kind."""
    database = Database.of(database_url)
    kind = backup_kind(file)
    if kind != database.kind:
        raise BackupError(
            f"{file} is a {KINDS[kind]} backup and HAILONG_DATABASE_URL names a "
            f"{KINDS[database.kind]} database"
        )
    if database.kind == "sqlite":
        try:
            _sqlite_restore(file, database.path)
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(
                f"the database at {database.path} could not be written: {exc}"
            ) from exc
        return kind
    conninfo, env = database.libpq()
    pg_restore = _program("pg_restore")
    _check_run([pg_restore, "--list", str(file)], env, "pg_restore", unreadable=file)
    if _postgres_tables(database.url):
        raise BackupError(NOT_EMPTY)
    _check_run(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={conninfo}", str(file)],
        env, "pg_restore",
    )  # fmt: skip
    return kind


def backup_kind(file: Path) -> str:
    """ "sqlite" or "postgresql", from the file's first bytes; a clear error for anything else."""
    try:
        with file.open("rb") as stream:
            head = stream.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"{file} cannot be read: {exc.strerror}") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{file} is not a hailong backup (neither SQLite nor pg_dump's format)")


def _sqlite_backup(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # all pages in one step: one read transaction, one snapshot
        # One self-contained file: no -wal beside it to forget when it is copied away.
        dst.execute("PRAGMA journal_mode=DELETE")
        _sqlite_check(dst, partial)
    finally:
        dst.close()
        src.close()


def _sqlite_restore(file: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        _sqlite_check(src, file)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            tables = dst.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            if tables.fetchone()[0]:
                raise BackupError(NOT_EMPTY)
            src.backup(dst)  # the destination's own transaction: whole or not at all
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def _sqlite_check(conn: sqlite3.Connection, file: Path) -> None:
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is not a readable SQLite database: {exc}") from exc
    if not ok:
        raise BackupError(f"{file} is damaged (SQLite's quick_check fails)")
    if not {"alembic_version", "ballot"} <= names:
        raise BackupError(f"{file} is an SQLite database but not a hailong backup")


def _postgres_tables(url: URL) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                    )
                ).scalar_one()
            )
    except OperationalError as exc:
        raise BackupError(f"the database cannot be reached: {exc.orig}") from exc
    finally:
        engine.dispose()


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on the PATH: install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client), of the server's major version or newer"
        )
    return found


def _check_run(
    command: list[str], env: dict[str, str], name: str, *, unreadable: Path | None = None
) -> str:
    # PostgreSQL's own programs, found on the PATH by name; the arguments are ours.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        if unreadable is not None:
            raise BackupError(f"{unreadable} is not a readable pg_dump backup")
        said = done.stderr.strip().splitlines()
        raise BackupError(f"{name} failed: {said[-1] if said else f'exit {done.returncode}'}")
    return done.stdout


def _fsync(path: Path) -> None:
    with path.open("rb") as stream:
        os.fsync(stream.fileno())
