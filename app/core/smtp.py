"""Where mail goes: ``HAILONG_SMTP_URL`` read once, refused at start-up when it is not an SMTP
address, so a typo never waits for the first case to surface."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False  # smtp://…?starttls=1: upgrade after EHLO

    def __repr__(self) -> str:  # never the password in a log line or a traceback
        return f"SmtpTarget({self.host}:{self.port}, tls={self.tls}, starttls={self.starttls})"


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://[user[:password]@]host[:port][?starttls=1]`` or ``smtps://…``; ValueError
    naming ``HAILONG_SMTP_URL`` otherwise."""
    problem = (
        "HAILONG_SMTP_URL must look like smtp://host:25, "
        "smtp://user:pass@host:587?starttls=1 or smtps://host:465"
    )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{problem}: {exc}") from exc
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(problem)
    options = parse_qs(parts.query)
    unknown = set(options) - {"starttls"}
    if unknown or parts.path not in ("", "/"):
        raise ValueError(f"{problem} (unknown part: {', '.join(sorted(unknown)) or parts.path})")
    starttls = options.get("starttls", ["0"])[-1] in ("1", "true", "yes")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
        starttls=starttls and not tls,
    )
