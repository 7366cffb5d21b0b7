"""Reminder e-mails through SMTP, sent by a job once the reminders are committed.

`SMTP_URL` names the server (`smtp://user:password@host:port`, `smtps://` for TLS from the
first byte; STARTTLS is used when a plain server offers it). The standard library's smtplib
sends, in a worker thread so the job's event loop is never blocked; one connection carries a
run's messages. A reminder is marked sent in the job's transaction after the server took it,
so a worker killed in between sends that message again: e-mail is at least once.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from backend.notifications.models import Notification

SMTP_PORTS = {"smtp": 25, "smtps": 465}


class SmtpConfigurationError(ValueError):
    """SMTP_URL is not an smtp:// or smtps:// URL with a host."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def parse(cls, url: str, sender: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in SMTP_PORTS or not parts.hostname:
            raise SmtpConfigurationError("SMTP_URL must be smtp://[user:password@]host[:port]")
        try:
            port = parts.port or SMTP_PORTS[parts.scheme]
        except ValueError:
            raise SmtpConfigurationError("SMTP_URL names an invalid port") from None
        return cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme == "smtps",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
        )


def message(server: SmtpServer, recipient: str, notification: Notification) -> EmailMessage:
    """One reminder as an e-mail: what falls due, and when."""
    mail = EmailMessage()
    mail["From"] = server.sender
    mail["To"] = recipient
    mail["Subject"] = f"Reminder: {notification.title} {when(notification)}"
    mail.set_content(
        f"{notification.title} {when(notification)}.\n\n"
        "You receive this reminder because you are responsible for it in certready;"
        " choose which reminders you get in your notification preferences.\n"
    )
    return mail


def when(notification: Notification) -> str:
    if notification.lead_days < 0:
        return f"was due on {notification.due_on.isoformat()}"
    return f"is due on {notification.due_on.isoformat()}"


def send(server: SmtpServer, messages: list[EmailMessage]) -> None:
    """Deliver `messages` over one connection (blocking: run it in a thread)."""
    connection: smtplib.SMTP
    if server.tls:
        connection = smtplib.SMTP_SSL(
            server.host, server.port, timeout=30, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=30)
    with connection:
        connection.ehlo()
        if not server.tls and connection.has_extn("starttls"):
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if server.user is not None:
            connection.login(server.user, server.password or "")
        for each in messages:
            connection.send_message(each)
