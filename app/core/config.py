"""All configuration, read once from the environment (prefix ``HAILONG_``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.errors import DomainError
from app.core.hours import DEFAULT_HOURS, parse_hours
from app.core.smtp import parse_smtp_url
from app.core.text import is_email
from app.core.thresholds import parse_alert_rule

# Everything the app reads at run time ships inside the package (migrations, the built-in
# surveys, templates, static files), so an installed wheel finds it wherever it was installed.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
BUILTIN_SURVEYS = PACKAGE_DIR / "surveys" / "builtin"
DEV_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HAILONG_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    # Relative to the directory hailong runs in: a checkout keeps its data in its own var/.
    database_url: str = "sqlite:///var/hailong.db"
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    surveys_dir: Path = BUILTIN_SURVEYS
    default_survey: str = "cong-chuc"
    # A ballot is a few hundred bytes; anything near this limit is not a ballot.
    max_body_bytes: int = Field(default=16_384, ge=1024)
    db_pool_size: int = Field(default=10, ge=1)
    # Threads per worker for pages and API reads (at most the pool's 3 × db_pool_size).
    threads: int = Field(default=8, ge=1, le=64)
    # Ballot writer threads per worker process. One on PostgreSQL too: a batch holds its
    # offices' chain heads and the rollup rows of every ancestor (in a province or a nation,
    # the same top rows) until it commits, so a second writer's batches wait their turn, and
    # are smaller; one writer took 11-15 % more ballots a second (docs/benchmarks.md).
    ballot_writers: int = Field(default=1, ge=1, le=16)
    # Figures backed by fewer ballots than this are flagged as not yet reliable.
    min_responses: int = Field(default=30, ge=1)
    # A live dashboard's event stream is renewed this often (the browser reconnects by itself).
    live_stream_seconds: float = Field(default=300.0, gt=0)
    # Live streams (dashboards, lobby displays, counter screens) one worker keeps open; beyond,
    # a 503 with Retry-After that the browser retries (spread over a few seconds).
    max_streams: int = Field(default=5000, ge=1)
    # A counter screen's QR changes this often; a photo of it works for two windows at most.
    counter_qr_seconds: int = Field(default=30, ge=10, le=600)
    # How long a citizen may take over a form opened from a counter's QR.
    form_minutes: int = Field(default=30, ge=1, le=240)
    # A kiosk's form left half-answered: after this many seconds without a touch it asks
    # whether the person is still there, and clears the form ``kiosk_prompt_seconds`` later.
    kiosk_idle_seconds: int = Field(default=60, ge=3, le=3600)
    kiosk_prompt_seconds: int = Field(default=15, ge=2, le=120)
    # A rating a kiosk queued while offline is taken up to this many days after it was cast.
    late_ballot_days: int = Field(default=7, ge=1, le=60)
    # Shared state for several workers or hosts (rate limits); optional for one process.
    redis_url: str | None = None
    redis_prefix: str = "hailong"  # keys' prefix, so one Redis can serve several deployments
    # Seconds a rating waits on Redis at most (connecting, then answering) before it is counted
    # in this process instead.
    redis_timeout: float = Field(default=0.25, gt=0, le=5)
    # Proxies whose X-Forwarded-For is believed ("10.0.0.5,10.1.0.0/16"); from anyone else
    # the header is ignored and the connection's own address is the client's.
    trusted_proxies: str = ""
    # Ratings one device (its cookie) or one address may send to one office; beyond: 429.
    # An office's guest Wi-Fi puts many honest citizens behind one address, hence the margin.
    limit_device: str = "10 per 10 minutes; 30 per day"
    limit_address: str = "120 per 10 minutes; 2000 per day"
    # Opening hours of every unit that sets none and has no ancestor that does.
    opening_hours: str = DEFAULT_HOURS
    # The windowed detectors run this often (0: only `hailong signals scan`).
    signals_scan_seconds: float = Field(default=300.0, ge=0)
    # Mail about cases and alerts (none is sent without it), and who it comes from.
    smtp_url: str | None = None
    mail_from: str = "hailong@hailong.local"
    # How often each worker delivers due mails and webhooks and runs the timed notices
    # (overdue cases, alerts, the weekly digest, erasing old contacts); 0: only the CLI does.
    notices_seconds: float = Field(default=15.0, ge=0)
    # When a run of dissatisfied ballots alerts: "50% 60m 4" (at least half of at least 4
    # ballots in 60 minutes not satisfied) or "off"; each office may set its own.
    alert_rule: str = "50% 60m 4"
    # The public log's signing key (``hailong log keygen``); None: the log grows, unsigned.
    log_key_file: Path | None = None
    # How often one worker gives waiting ballots their place in the public log and signs a
    # checkpoint of it (a ballot is covered within about this time); 0: only the CLI does.
    log_seconds: float = Field(default=20.0, ge=0)
    # Witnesses asked to cosign each checkpoint: a JSON list of "URL KEY" (the witness's
    # submission prefix and its cosignature key, as `hailong witness keygen` printed it).
    log_witnesses: list[str] = []
    # Who may read /metrics without an admin's API token: addresses or networks, as the
    # client's address is resolved (after HAILONG_TRUSTED_PROXIES).
    metrics_networks: str = "127.0.0.1/32,::1/128"
    # How log lines are written: "text" for people, "json" (one object per line) for a
    # log collector.
    log_format: Literal["text", "json"] = "text"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("HAILONG_PUBLIC_URL must be an absolute http(s) URL")
        return value

    @field_validator("limit_device", "limit_address")
    @classmethod
    def _limits(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(
                f"not a rate limit like '10 per 10 minutes; 30 per day': {exc}"
            ) from exc
        return value

    @field_validator("trusted_proxies", "metrics_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        from app.core.networks import parse_networks

        return _checked(parse_networks, value)

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_smtp_url(value)
        return value.strip()

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        if not is_email(value.strip()):
            raise ValueError("HAILONG_MAIL_FROM must be an e-mail address")
        return value.strip()

    @field_validator("alert_rule")
    @classmethod
    def _alert(cls, value: str) -> str:
        return _checked(parse_alert_rule, value)

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        return _checked(parse_hours, value)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.env != "development" and (secret == DEV_SECRET or len(secret) < 32):
            raise ValueError(
                "HAILONG_SECRET_KEY must be a random value of at least 32 characters outside "
                "development: `python -c 'import secrets; print(secrets.token_urlsafe())'`"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _checked(parse: Callable[[str], object], value: str) -> str:
    """``value`` if ``parse`` takes it; its complaint as a settings error otherwise (the
    parsers raise the domain's InvalidInput, which pydantic would not report as one)."""
    try:
        parse(value)
    except DomainError as exc:
        raise ValueError(exc.message) from exc
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
