"""Running the Alembic migrations from code (the CLI and the tests build schemas this way)."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.core.config import PACKAGE_DIR


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    # No alembic.ini: an installed package has none, and the logging it would configure is the
    # app's own (the checkout's alembic.ini is for running `alembic` by hand).
    config = Config()
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.attributes["configure_logger"] = False
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


@lru_cache
def heads() -> frozenset[str]:
    """The migrations' heads: what this code expects the schema to be at."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_current(connection: Connection) -> bool:
    """Whether the database's schema is at the migrations' head."""
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads()) == heads()
