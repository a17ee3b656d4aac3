"""Amazon SES notifications delivered by SNS: signature check and bounce/complaint events.

The signing certificate is read from a local file the operator installed; the message's
``SigningCertURL`` is only checked against an allowed pattern, never fetched, so a forged
message cannot point the service at a certificate of its choosing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# The fields signed, in this order, per message type (AWS: "Verifying the signatures of
# Amazon SNS messages"); Subject only when present.
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED_FIELDS["UnsubscribeConfirmation"] = SIGNED_FIELDS["SubscriptionConfirmation"]
HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

# Our Message-IDs: <ishm-328.2021-11-11[.recipient-hash]@domain> (mail/message.py).
_ISSUE_IN_ID = re.compile(r"^<?[^<>@]*?-\d+\.(\d{4}-\d{2}-\d{2})(?:\.[0-9a-f]+)?@")


class SnsError(Exception):
    """The message is malformed, forged or not for us."""


def load_key(pem: bytes) -> rsa.RSAPublicKey:
    """The RSA public key of a PEM certificate."""
    key = x509.load_pem_x509_certificate(pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsError("the SNS signing certificate does not hold an RSA key")
    return key


def string_to_sign(message: dict[str, Any]) -> bytes:
    """The canonical string SNS signs: ``name\\nvalue\\n`` for each signed field present."""
    fields = SIGNED_FIELDS.get(str(message.get("Type")))
    if fields is None:
        raise SnsError(f"unknown message type {message.get('Type')!r}")
    parts = []
    for name in fields:
        if name not in message:
            if name == "Subject":
                continue
            raise SnsError(f"missing {name}")
        value = message[name]
        if not isinstance(value, str):
            raise SnsError(f"{name} is not text")
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


def verify(
    message: dict[str, Any], key: rsa.RSAPublicKey, cert_url: re.Pattern[str], topics: list[str]
) -> None:
    """Raise SnsError unless the message is signed by ``key`` and comes from an allowed topic."""
    algorithm = HASHES.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        raise SnsError(f"unsupported SignatureVersion {message.get('SignatureVersion')!r}")
    url = message.get("SigningCertURL")
    if not isinstance(url, str) or not cert_url.match(url):
        raise SnsError("SigningCertURL is not an allowed certificate location")
    if topics and message.get("TopicArn") not in topics:
        raise SnsError("the message comes from a topic that is not configured")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError):
        raise SnsError("Signature is not base64") from None
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsError("the signature does not match") from None


@dataclass(frozen=True)
class Event:
    """One recipient's bounce or complaint."""

    kind: str  # "bounce" or "complaint"
    email: str
    hard: bool
    detail: str
    issue: str | None


def issue_of(mail: dict[str, Any]) -> str | None:
    """The issue a message belongs to, from its Message-ID header."""
    common = mail.get("commonHeaders")
    candidates: list[Any] = [common.get("messageId") if isinstance(common, dict) else None]
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
            candidates.append(header.get("value"))
    for value in candidates:
        if isinstance(value, str) and (found := _ISSUE_IN_ID.match(value.strip())):
            return found[1]
    return None


def events(notification: str) -> list[Event]:
    """The bounces and complaints in an SES notification (SNS ``Message``); others: none."""
    try:
        data = json.loads(notification)
    except ValueError:
        raise SnsError("the notification is not JSON") from None
    if not isinstance(data, dict):
        raise SnsError("the notification is not a JSON object")
    kind = data.get("notificationType") or data.get("eventType")
    issue = issue_of(data["mail"] if isinstance(data.get("mail"), dict) else {})
    found: list[Event] = []
    if kind == "Bounce":
        bounce: dict[str, Any] = data["bounce"] if isinstance(data.get("bounce"), dict) else {}
        hard = bounce.get("bounceType") == "Permanent"
        subtype = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')}"
        for person in _people(bounce.get("bouncedRecipients")):
            detail = f"{subtype}: {person.get('diagnosticCode') or person.get('status') or ''}"
            found.append(Event("bounce", person["emailAddress"], hard, detail.strip(), issue))
    elif kind == "Complaint":
        complaint: dict[str, Any] = (
            data["complaint"] if isinstance(data.get("complaint"), dict) else {}
        )
        detail = str(complaint.get("complaintFeedbackType") or "complaint")
        for person in _people(complaint.get("complainedRecipients")):
            found.append(Event("complaint", person["emailAddress"], True, detail, issue))
    return found


def _people(value: Any) -> list[dict[str, Any]]:
    """The recipients listed, skipping entries without an address."""
    if not isinstance(value, list):
        return []
    return [p for p in value if isinstance(p, dict) and isinstance(p.get("emailAddress"), str)]
