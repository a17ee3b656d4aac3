"""SMTP delivery over one reused connection: reconnects when dropped, retries 4xx, records 5xx."""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from typing import Literal

from newsletter.errors import NewsletterError

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "ssl"]


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to connect. The password comes only from the environment."""

    host: str = "localhost"
    port: int = 25
    security: Security = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"user={self.user!r}, password={'***' if self.password else None})"
        )


def config_from(settings: object | None, environ: dict[str, str] | None = None) -> SmtpConfig:
    """SMTP settings: ``newsletter.yaml``'s ``smtp:`` block, overridden by the environment."""
    env = os.environ if environ is None else environ
    base = {
        "host": getattr(settings, "host", "localhost"),
        "port": getattr(settings, "port", 25),
        "security": getattr(settings, "security", "none"),
        "user": getattr(settings, "user", None),
    }
    security = env.get("NEWSLETTER_SMTP_SECURITY", base["security"])
    if security not in ("none", "starttls", "ssl"):
        raise NewsletterError(
            f'NEWSLETTER_SMTP_SECURITY must be none, starttls or ssl; got "{security}"'
        )
    port = env.get("NEWSLETTER_SMTP_PORT", str(base["port"]))
    if not port.isdigit():
        raise NewsletterError(f'NEWSLETTER_SMTP_PORT must be a number; got "{port}"')
    return SmtpConfig(
        host=env.get("NEWSLETTER_SMTP_HOST", str(base["host"])),
        port=int(port),
        security=security,  # type: ignore[arg-type]
        user=env.get("NEWSLETTER_SMTP_USER", base["user"]),  # type: ignore[arg-type]
        password=env.get("NEWSLETTER_SMTP_PASSWORD"),
    )


class Temporary(Exception):
    """The server may accept this message later (4xx, dropped connection)."""


class Permanent(Exception):
    """The server refused this message for good (5xx)."""


class Mailer:
    """One connection, reused for every message, reopened when the server drops it."""

    def __init__(self, config: SmtpConfig, rate: float = 0.0) -> None:
        self.config = config
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._smtp: smtplib.SMTP | None = None
        self._last = 0.0

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if cfg.user:
                smtp.login(cfg.user, cfg.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise NewsletterError(f"SMTP login refused for {cfg.user}: {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise Temporary(f"cannot connect to {cfg.host}:{cfg.port}: {exc}") from None
        return smtp

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        """Hand one message to the server; raise Temporary or Permanent when it is not taken."""
        if self.interval:
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if self._smtp is None:
            self._smtp = self._connect()
        self._last = time.monotonic()
        try:
            self._smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients[recipient]
            self._classify(code, text)
        except smtplib.SMTPResponseException as exc:
            if isinstance(exc, smtplib.SMTPServerDisconnected):
                self._drop()
                raise Temporary(f"connection lost: {exc}") from None
            self._reset()
            self._classify(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise Temporary(f"connection lost: {exc}") from None

    @staticmethod
    def _classify(code: int, text: bytes | str) -> None:
        detail = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
        if 400 <= code < 500:
            raise Temporary(detail)
        raise Permanent(detail)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye to the server."""
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None
