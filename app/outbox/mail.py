"""Sending one mail over SMTP: Vietnamese subject and body, plain text with an HTML twin."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from app.core.smtp import SmtpTarget

TIMEOUT = 15.0


def build(
    event_id: str, sender: str, to: str, subject: str, text: str, html: str | None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    # The same event to the same address always has the same Message-ID: a mail delivered
    # twice (a sender killed after sending, before recording it) is one message to the reader's
    # mail system.
    digest = hashlib.sha256(f"{event_id}\n{to}".encode()).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1]
    message["Message-ID"] = f"<{digest}@{domain}>"
    message["X-Hailong-Event"] = event_id
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(target: SmtpTarget, message: EmailMessage) -> None:
    """Deliver ``message``; raises on any refusal (the sender records it and tries later)."""
    client: smtplib.SMTP
    if target.tls:
        client = smtplib.SMTP_SSL(
            target.host, target.port, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT)
    with client:
        if target.starttls:
            client.starttls(context=ssl.create_default_context())
        if target.username:
            client.login(target.username, target.password or "")
        refused = client.send_message(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
