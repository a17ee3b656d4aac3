"""The list service as a user runs it: a subprocess of the CLI on a free loopback port, an
aiosmtpd server that keeps whole messages, a self-signed SNS certificate."""

from __future__ import annotations

import base64
import datetime as dt
import email
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from smtp_server import Handler, Mailbox, SmtpServer, _free_port

from newsletter.subscribers.ses import string_to_sign

SECRET = "a-test-secret-of-enough-length"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"


class KeepingHandler(Handler):
    """Also keeps each message whole, to read its links."""

    def __init__(self, box: Mailbox, kept: list[tuple[str, bytes]]) -> None:
        super().__init__(box)
        self.kept = kept

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        for rcpt in envelope.rcpt_tos:
            self.kept.append((rcpt, bytes(envelope.content)))
        return answer


class KeepingSmtp(SmtpServer):
    """An SmtpServer whose messages can be read back."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[tuple[str, bytes]] = []
        self.controller.handler = KeepingHandler(self.box, self.kept)

    def wait_for(self, rcpt: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages to ``rcpt`` once there are ``count`` (bounded wait)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for r, m in list(self.kept) if r == rcpt]
            if len(found) >= count or time.monotonic() > deadline:
                return [email.message_from_bytes(m, policy=default) for m in found]  # type: ignore[misc]
            time.sleep(0.05)


def link_in(message: EmailMessage, pattern: str) -> str:
    """The first URL in the message's text that matches ``pattern``."""
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(pattern + r"\S*", body.get_content())
    assert found, body.get_content()
    return found[0]


class CertificateAuthority:
    """A self-signed certificate standing in for SNS's, and a signer of SNS messages."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )

    def pem(self) -> bytes:
        """The certificate as PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: dict[str, Any], version: str = "2") -> dict[str, Any]:
        """The message with SignatureVersion, SigningCertURL and Signature set."""
        signed = {**message, "SignatureVersion": version, "SigningCertURL": CERT_URL}
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
        raw = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
        signed["Signature"] = base64.b64encode(raw).decode("ascii")
        return signed


def notification(kind: str, recipient: str, message_id: str, **detail: Any) -> dict[str, Any]:
    """An SNS Notification carrying an SES bounce or complaint, unsigned."""
    mail = {
        "messageId": "0100018c-ses-own-id",
        "headers": [{"name": "Message-ID", "value": message_id}],
        "commonHeaders": {"messageId": message_id},
    }
    if kind == "Bounce":
        body = {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": detail.get("bounce_type", "Permanent"),
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {"emailAddress": recipient, "diagnosticCode": "smtp; 550 5.1.1 unknown"}
                ],
            },
            "mail": mail,
        }
    else:
        body = {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": recipient}],
                "complaintFeedbackType": "abuse",
            },
            "mail": mail,
        }
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": json.dumps(body),
        "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


class Service:
    """``newsletter -v subscribers serve`` in a subprocess; its log goes to a file."""

    def __init__(self, content: Path, state: Path, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = state.parent / "service.log"
        command = [
            sys.executable,
            "-m",
            "newsletter",
            "-v",
            "subscribers",
            "serve",
            "--content",
            str(content),
            "--state",
            str(state),
            "--port",
            str(port),
        ]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(self.log())
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the service did not start:\n" + self.log())
            time.sleep(0.1)

    def log(self) -> str:
        """What the service logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop it (SIGTERM, then kill after a bounded wait)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def service_env(smtp_port: int) -> dict[str, str]:
    """The environment of a service that mails through the test server."""
    env = os.environ.copy()
    env.update(
        NEWSLETTER_SMTP_HOST="127.0.0.1",
        NEWSLETTER_SMTP_PORT=str(smtp_port),
        NEWSLETTER_SMTP_SECURITY="none",
        NEWSLETTER_UNSUBSCRIBE_SECRET=SECRET,
    )
    env.pop("NEWSLETTER_DATABASE_URL", None)
    return env


def configure(content: Path, port: int, extra: str = "") -> None:
    """Add a subscriptions: block (service on ``port``) to the project's newsletter.yaml."""
    settings = content / "newsletter.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + f"""subscriptions:
  base_url: http://127.0.0.1:{port}
  trusted_proxies: [127.0.0.1]
  rate_limit:
    requests: 3
    seconds: 3600
  ses:
    certificate: sns-test.pem
    topic_arns: [{TOPIC}]
{extra}""",
        encoding="utf-8",
    )


free_port: Callable[[], int] = _free_port
