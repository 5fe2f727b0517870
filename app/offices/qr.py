"""QR codes that open an office's (and counter's) survey from an ordinary phone camera."""

from __future__ import annotations

import io
from typing import Literal
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

QRFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}


def survey_url(public_url: str, office_code: str, counter: int | None = None) -> str:
    url = f"{public_url}/s/{quote(office_code, safe='')}"
    return f"{url}?counter={counter}" if counter is not None else url


def qr_image(url: str, fmt: QRFormat = "png") -> bytes:
    # Level M survives a scuffed or badly lit printout; a border of 4 modules is the standard.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    if fmt == "svg":
        code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    else:
        code.make_image().save(buffer)
    return buffer.getvalue()
