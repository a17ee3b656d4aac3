"""What the list service needs, loaded once at start: settings, secret, templates, certificate."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from newsletter.editions import templates_for
from newsletter.errors import ContentError, NewsletterError, Problem
from newsletter.model import Publication, Subscriptions
from newsletter.send.smtp import SmtpConfig, config_from
from newsletter.send.tokens import SECRET_VARIABLE
from newsletter.subscribers import ses
from newsletter.subscribers.proxies import Network, networks
from newsletter.theme import Theme, make_theme
from newsletter.validation import validate
from newsletter.yamlsource import read_yaml

MIN_SECRET = 16


@dataclass(frozen=True)
class ServiceSettings:
    """Everything ``create_app`` is given; nothing is read from the world after this."""

    publication: Publication
    subscriptions: Subscriptions
    secret: str
    theme: Theme
    smtp: SmtpConfig
    proxies: tuple[Network, ...]
    ses_key: rsa.RSAPublicKey | None = None
    ses_cert_url: re.Pattern[str] | None = None

    @property
    def base_url(self) -> str:
        """The service's public URL, without a trailing slash."""
        return self.subscriptions.base_url.rstrip("/")


def build_settings(
    publication: Publication,
    theme: Theme,
    secret: str,
    content_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServiceSettings:
    """Combine the publication's ``subscriptions:`` block with the secret and certificate."""
    subs = publication.subscriptions
    if subs is None:
        raise NewsletterError(
            "newsletter.yaml has no subscriptions: block; add one with at least base_url"
        )
    if len(secret) < MIN_SECRET:
        raise NewsletterError(
            f"set {SECRET_VARIABLE} ({MIN_SECRET} characters or more) to sign the links"
        )
    key = pattern = None
    if subs.ses is not None:
        path = Path(subs.ses.certificate)
        if not path.is_absolute() and content_dir is not None:
            path = content_dir / path
        try:
            key = ses.load_key(path.read_bytes())
        except OSError as exc:
            raise NewsletterError(f"cannot read the SES certificate {path}: {exc}") from None
        except (ValueError, ses.SnsError) as exc:
            raise NewsletterError(f"{path}: not a PEM RSA certificate: {exc}") from None
        try:
            pattern = re.compile(subs.ses.certificate_url)
        except re.error as exc:
            raise NewsletterError(f"subscriptions.ses.certificate_url: {exc}") from None
    env = os.environ if environ is None else environ
    return ServiceSettings(
        publication=publication,
        subscriptions=subs,
        secret=secret,
        theme=theme,
        smtp=config_from(publication.smtp, dict(env)),
        proxies=networks(subs.trusted_proxies),
        ses_key=key,
        ses_cert_url=pattern,
    )


def load_settings(content_dir: Path, environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Read ``newsletter.yaml`` (not the issues) and the environment."""
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    path = content_dir / "newsletter.yaml"
    if not path.is_file():
        raise NewsletterError(f"{path}: file is missing")
    doc, found = read_yaml(path)
    problems.extend(found)
    publication = validate(doc, Publication, problems) if doc is not None else None
    if problems or publication is None:
        raise ContentError(problems)
    theme = make_theme(templates_for(content_dir))
    return build_settings(publication, theme, env.get(SECRET_VARIABLE, ""), content_dir, env)
