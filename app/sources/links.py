"""Rating links bound to a real transaction: a dossier's link (minted here or offline by the
one-stop software) and a counter screen's rotating QR. Verified from the token alone; the one
rating per dossier is kept by the ballot's idempotency key, derived from the dossier's keyed
hash, so two submissions of one link at once store one ballot."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from pydantic import SecretStr

from app.core.errors import DomainError
from app.core.locale import to_local
from app.models.types import utcnow
from app.sources import device_keys, tokens
from app.sources.service import Credential, ScreenClock
from app.sources.tokens import BadToken, CounterClaims, LinkClaims

DOSSIER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_/]{2,63}$")
STAFF_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_]{0,31}$")
LINK_DAYS = 30


class LinkRefused(DomainError):
    """This rating link cannot be used."""

    status_code = 400
    code = "link_invalid"
    message_vi = (
        "Đường dẫn đánh giá này không hợp lệ (có thể đã bị sửa hoặc chép thiếu). Xin Ông/Bà "
        "quét lại mã QR trên giấy tiếp nhận hồ sơ hoặc trên màn hình tại quầy."
    )


class LinkExpired(LinkRefused):
    """This rating link has expired."""

    status_code = 410
    code = "link_expired"
    message_vi = (
        "Đường dẫn đánh giá này đã hết hạn. Mỗi hồ sơ được đánh giá trong một thời gian nhất "
        "định sau khi trả kết quả."
    )


class CounterQrExpired(LinkRefused):
    """This counter QR has changed since; scan the one on the screen now."""

    status_code = 410
    code = "counter_qr_expired"
    message_vi = (
        "Mã QR này đã đổi. Xin Ông/Bà quét lại mã QR đang hiện trên màn hình tại quầy "
        "(mã đổi sau mỗi ít giây để chỉ người đang có mặt mới đánh giá được)."
    )


class LinkOutOfScope(LinkRefused):
    """The link was not issued for this office."""

    status_code = 403
    code = "link_wrong_office"


@dataclass(frozen=True)
class Keys:
    """One key per purpose, all derived from ``HAILONG_SECRET_KEY``: changing that secret
    voids every link and counter QR issued before, and starts dossier hashes afresh (a dossier
    rated before could be rated once more)."""

    link: bytes
    counter: bytes
    dossier: bytes
    device: bytes = b""  # makes each device's own secret (``device_keys.py``)
    counter_seconds: int = 30
    # How long a citizen may take over a form opened from a counter's QR: the code had to be
    # fresh when scanned, not when the answers are sent.
    form_seconds: int = 30 * 60

    @classmethod
    def from_secret(
        cls, secret: SecretStr, counter_seconds: int = 30, form_minutes: int = 30
    ) -> Keys:
        value = secret.get_secret_value()
        return cls(
            link=tokens.derive(value, "link/v1"),
            counter=tokens.derive(value, "counter/v1"),
            dossier=tokens.derive(value, "dossier/v1"),
            device=tokens.derive(value, "device/v1"),
            counter_seconds=counter_seconds,
            form_seconds=form_minutes * 60,
        )

    def dossier_hash(self, office_id: int, dossier_code: str) -> str:
        return tokens.keyed_hash(self.dossier, str(office_id), dossier_code)

    def device_secret(self, device_id: int, salt: str) -> bytes:
        return device_keys.device_secret(self.device, device_id, salt)


def check_dossier_code(code: str) -> str:
    if not DOSSIER_CODE.fullmatch(code):
        raise ValueError(
            "a dossier code is 3 to 64 letters, digits and . - _ / (starting with a letter "
            "or digit)"
        )
    return code


def today() -> date:
    return to_local(utcnow()).date()


def mint_link(
    keys: Keys,
    office_code: str,
    dossier_code: str,
    *,
    counter: int | None = None,
    officer: str | None = None,
    issued: date | None = None,
    valid_days: int = LINK_DAYS,
    issuer: int = 0,
) -> str:
    """A dossier's link, signed by hailong; ``issuer`` is the integration that registered the
    dossier (its revocation voids the link too)."""
    claims = LinkClaims(
        kind=tokens.LINK_HMAC,
        issuer=issuer,
        issued=issued or today(),
        valid_days=valid_days,
        counter=counter,
        office=office_code,
        dossier=dossier_code,
        officer=officer,
    )
    return tokens.sign_hmac(keys.link, tokens.link_payload(claims))


def link_days(issued: date, returned_at: datetime | None) -> int:
    """Valid for 30 days after it was issued or after the result was returned, if later."""
    start = max(issued, to_local(returned_at).date()) if returned_at else issued
    return (start - issued).days + LINK_DAYS


def counter_window(keys: Keys, at: float | None = None) -> int:
    return int((time.time() if at is None else at) // keys.counter_seconds)


def mint_counter(keys: Keys, office_code: str, counter: int, device: int, window: int) -> str:
    claims = CounterClaims(office=office_code, counter=counter, device=device, window=window)
    return tokens.sign_hmac(keys.counter, tokens.counter_payload(claims))


def mint_screen(keys: Keys, clock: ScreenClock, window: int) -> str:
    """What the screen itself draws for ``window`` (by its own clock): the same bytes as its
    script makes (``static/js/screen.js``)."""
    claims = CounterClaims(
        office=clock.office_code,
        counter=clock.counter,
        device=clock.device_id,
        window=window,
        kind=tokens.SCREEN,
    )
    secret = keys.device_secret(clock.device_id, clock.salt)
    return tokens.with_code(tokens.counter_payload(claims), device_keys.window_code(secret, window))


def rating_url(public_url: str, token: str) -> str:
    return f"{public_url}/r/{quote(token, safe='')}"


@dataclass(frozen=True)
class Verified:
    """What a valid token binds a ballot to."""

    office_code: str
    source: str  # "dossier" or "counter"
    counter: int | None
    dossier: str | None = None
    officer_code: str | None = None
    integration: Credential | None = None
    expires: date | None = None
    device: int | None = None


def counter_of(verified: Verified, office_code: str, counters: Collection[int]) -> int | None:
    """The counter a link names, which the office must have: a link naming another (a typing
    mistake in one-stop software, or a forged counter screen) is refused, never stored as a
    rating at no counter."""
    if verified.counter is not None and verified.counter not in counters:
        raise LinkRefused(f"Office {office_code} has no counter {verified.counter}")
    return verified.counter


def verify(
    token: str | tokens.Unverified,
    keys: Keys,
    integration: Callable[[int], Credential | None],
    *,
    screen: ScreenClock | None = None,
    on: date | None = None,
    now: float | None = None,
    served_at: float | None = None,
) -> Verified:
    """Check a token's signature and time; the caller checks that the office exists and, for
    an integration's link, lies in its sub-tree (``in_scope``). ``served_at``: when the form
    sending it was served (its signed time), if the form carried one: a counter's code is
    checked against that moment, so a citizen who takes a few minutes over the questions is
    not refused, while an old photo of the screen still is. ``screen``: the live screen a
    screen's own code names (``screen_of``), None if it is unknown or revoked. ``token`` as
    sent, or as ``read`` decoded it already."""
    issuer = None
    try:
        found = tokens.decode(token) if isinstance(token, str) else token
        if isinstance(found.claims, CounterClaims) and found.kind == tokens.SCREEN:
            _check_screen_code(keys, found, screen)
        elif isinstance(found.claims, CounterClaims):
            tokens.check_hmac(keys.counter, found)
        else:
            if found.kind == tokens.LINK_HMAC:  # our own signature first: no lookup for forgeries
                tokens.check_hmac(keys.link, found)
            # Looked up once: its key checks an offline link, its revocation voids either kind.
            issuer = integration(found.claims.issuer) if found.claims.issuer else None
            if found.claims.issuer and issuer is None:
                raise BadToken("the integration that issued it was revoked")
            if found.kind == tokens.LINK_ED25519:
                if issuer is None or issuer.public_key is None:
                    raise BadToken("no live integration with a public key")
                tokens.check_ed25519(issuer.public_key, found)
    except BadToken as exc:
        raise LinkRefused(f"Invalid rating link: {exc}") from exc
    claims = found.claims
    if isinstance(claims, CounterClaims):
        moment = time.time() if now is None else now
        if served_at is not None and 0 <= moment - served_at <= keys.form_seconds:
            moment = served_at
        if claims.kind == tokens.SCREEN and screen is not None:
            # The screen's own clock, as learnt while it was online; one window either side
            # for what drifted since.
            current = counter_window(keys, moment + (screen.offset_ms or 0) / 1000)
            fresh = current - 1 <= claims.window <= current + 1
        else:  # drawn by the server: this window and the one before
            current = counter_window(keys, moment)
            fresh = current - 1 <= claims.window <= current
        if not fresh:
            raise CounterQrExpired()
        return Verified(
            office_code=claims.office,
            source="counter",
            counter=claims.counter,
            device=claims.device,
        )
    on = on or today()
    if not claims.issued - timedelta(days=1) <= on <= claims.expires:
        raise LinkExpired(f"The link was valid until {claims.expires.isoformat()}")
    try:
        check_dossier_code(claims.dossier)
    except ValueError as exc:
        raise LinkRefused(f"Invalid rating link: {exc}") from exc
    return Verified(
        office_code=claims.office,
        source="dossier",
        counter=claims.counter,
        dossier=claims.dossier,
        officer_code=claims.officer,
        integration=issuer,
        expires=claims.expires,
    )


def _check_screen_code(keys: Keys, found: tokens.Unverified, screen: ScreenClock | None) -> None:
    claims = found.claims
    assert isinstance(claims, CounterClaims)
    if screen is None or screen.device_id != claims.device:
        raise BadToken("no live screen with a secret of its own")
    if (screen.office_code, screen.counter) != (claims.office, claims.counter):
        raise BadToken("the screen is set up for another counter")
    secret = keys.device_secret(screen.device_id, screen.salt)
    expected = device_keys.window_code(secret, claims.window)
    if not hmac.compare_digest(expected.to_bytes(4, "big"), found.mac):
        raise BadToken("the code does not match")


def read(token: str) -> tokens.Unverified:
    """A token decoded once, its signature and time not yet checked: what it names (office,
    issuer, screen) is looked up before ``verify``, which then checks everything."""
    try:
        return tokens.decode(token)
    except BadToken as exc:
        raise LinkRefused(f"Invalid rating link: {exc}") from exc


def screen_of(found: tokens.Unverified) -> int:
    """The screen that drew a token itself (0: none), so the caller can look its secret and
    clock up before ``verify``."""
    claims = found.claims
    return claims.device if isinstance(claims, CounterClaims) and found.kind == tokens.SCREEN else 0


def issuer_of(found: tokens.Unverified) -> int:
    """The integration that signed a link (0: none), so the caller can look its key up before
    ``verify``."""
    claims = found.claims
    return claims.issuer if isinstance(claims, LinkClaims) else 0


def in_scope(verified: Verified, office_path: tuple[int, ...]) -> None:
    """An integration's link names an office in the integration's sub-tree."""
    if verified.integration is not None and verified.integration.office_id not in office_path:
        raise LinkOutOfScope(f"Integration {verified.integration.id} may not rate this office")
