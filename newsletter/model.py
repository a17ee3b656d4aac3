"""The content model: what editors write, validated into strict, typed objects.

Each field is declared once, with its type and a docstring-like description; the loader maps
pydantic's findings back to ``path:line`` (see ``loader.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)

from newsletter.counts import Count, parse_count
from newsletter.fields import SUBJECT_FIELDS, TITLE_FIELDS, check_template
from newsletter.governorates import GOVERNORATES, house_spelling

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_DATE_HELP = "expected a date like 2021-11-06"


def _iso_date(value: Any) -> dt.date:
    # The YAML layer has already refused dates with a time; a datetime here is a program error.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        # Python 3.11's fromisoformat also takes 20211104 and 2021-W44-4; editors mean neither.
        match = _ISO_DATE.match(value.strip())
        if not match:
            raise ValueError(f'{_DATE_HELP}; got "{value}"')
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise ValueError(f'"{value}" is not a real date: {exc}') from None
    raise ValueError(f"{_DATE_HELP}; got {describe(value)}")


def _governorate(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected the name of a governorate; got {describe(value)}")
    house = house_spelling(value)
    if house is None:
        names = ", ".join(GOVERNORATES)
        raise ValueError(f'"{value}" is not a governorate of Iraq; expected one of: {names}')
    return house


def _count(value: Any) -> Count:
    return parse_count(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text; got {describe(value)}")
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def describe(value: Any) -> str:
    """Name a value the way messages quote what was received."""
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return repr(value)


def _pattern(regex: str, expected: str) -> Any:
    compiled = re.compile(regex)

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected {expected}; got {describe(value)}")
        if not compiled.match(value):
            raise ValueError(f'expected {expected}; got "{value}"')
        return value

    return PlainValidator(check)


# Serialized as the editors write them, so that a dumped model validates again (the build's
# issue cache is JSON).
IsoDate = Annotated[dt.date, PlainValidator(_iso_date), PlainSerializer(dt.date.isoformat)]
Governorate = Annotated[str, PlainValidator(_governorate)]
CountField = Annotated[Count, PlainValidator(_count), PlainSerializer(str)]
Text = Annotated[str, BeforeValidator(_text)]
SubjectTemplate = Annotated[
    str, BeforeValidator(_text), AfterValidator(lambda v: check_template(v, SUBJECT_FIELDS))
]
TitleTemplate = Annotated[
    str, BeforeValidator(_text), AfterValidator(lambda v: check_template(v, TITLE_FIELDS))
]
Url = Annotated[str, _pattern(r"^(https?://|mailto:)\S+$", "a URL starting with https://")]
SiteUrl = Annotated[
    str, _pattern(r"^https?://\S+/$", "a URL starting with https:// and ending with /")
]
Slug = Annotated[str, _pattern(SLUG.pattern, "a lowercase name like politics or economy-energy")]
EmailAddress = Annotated[str, _pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address")]
Language = Annotated[str, _pattern(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$", "a language code like en")]


class Strict(BaseModel):
    """Base of every content model: unknown keys are errors; values never change after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LinkedText(Strict):
    """A line of text in which ``link_text`` links to ``url``."""

    url: Url
    text: Text
    link_text: Text

    @model_validator(mode="after")
    def _link_in_text(self) -> LinkedText:
        if self.link_text not in self.text:
            raise ValueError(f'link_text "{self.link_text}" does not occur in text')
        return self


class SocialLink(Strict):
    """A profile of the publisher elsewhere; ``link_text`` is linked where the footer uses it."""

    name: Text
    url: Url
    link_text: str | None = None


class Sender(Strict):
    """Who the email comes from."""

    name: Text
    address: EmailAddress


class DateFormats(Strict):
    """strftime formats: ``long`` for prose and captions, ``table`` for the IED table."""

    long: str = "%B %-d, %Y"
    table: str = "%m/%d/%y"


class HeaderStyle(Strict):
    """How periods and titles are written in every edition: ``November 4 – 11, 2021``."""

    dash: Annotated[str, Field(min_length=1, max_length=5)] = " – "  # between the two days
    repeat_month: bool = False  # "December 7 – December 13, 2018"
    case: Literal["as-written", "upper"] = "as-written"  # "upper": "NOVEMBER 4 – 11, 2021"
    number: bool = True  # show "ISHM 328" in titles, subject and masthead
    title: TitleTemplate = "{short_name} {number}: {period}"


class Cadence(Strict):
    """How issues follow each other: ``days`` long, sharing ``overlap`` days with the last."""

    days: Annotated[int, Field(gt=0, le=366, strict=True)] = 8
    overlap: Annotated[int, Field(ge=0, strict=True)] = 1

    @model_validator(mode="after")
    def _overlap_shorter(self) -> Cadence:
        if self.overlap >= self.days:
            raise ValueError(f"overlap ({self.overlap}) must be less than days ({self.days})")
        return self


class EmailSettings(Strict):
    """How the email edition is made: subject, PDF handling, unsubscribe, size budget."""

    subject: SubjectTemplate = "{short_name} {number}: {period}"
    pdf: Literal["attach", "link"] = "attach"
    unsubscribe_url: Url | None = None
    unsubscribe_mailto: EmailAddress | None = None
    max_html_kb: Annotated[int, Field(gt=0, strict=True)] = 90
    max_style_kb: Annotated[int, Field(gt=0, strict=True)] = 16


class PdfSettings(Strict):
    """How the PDF edition is laid out."""

    paper: Literal["A4", "letter"] = "A4"


class SmtpSettings(Strict):
    """Where delivery connects. The password never goes here: NEWSLETTER_SMTP_PASSWORD."""

    host: Text = "localhost"
    port: Annotated[int, Field(gt=0, lt=65536, strict=True)] = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    user: str | None = None


def _network(value: Any) -> str:
    import ipaddress

    if not isinstance(value, str):
        raise ValueError(f"expected an IP address or network like 10.0.0.0/8; got {value!r}")
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        pass
    raise ValueError(f'expected an IP address or network like 10.0.0.0/8; got "{value}"')


ServiceUrl = Annotated[str, _pattern(r"^https?://[^/\s]+(/\S*)?$", "a URL starting with https://")]
PositiveInt = Annotated[int, Field(gt=0, strict=True)]


class RateLimit(Strict):
    """At most ``requests`` subscribe forms per client in ``seconds``."""

    requests: PositiveInt = 5
    seconds: PositiveInt = 3600


class SesSettings(Strict):
    """Amazon SES bounces through SNS: the signing certificate is read from this file only."""

    certificate: Text  # PEM file, relative to the content folder
    certificate_url: str = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"  # a regex
    topic_arns: list[Text] = []  # when given, notifications from other topics are refused


class Subscriptions(Strict):
    """The list service (``newsletter subscribers serve``); its secret is in the environment."""

    base_url: ServiceUrl
    sender: Sender | None = None  # who confirmations come from; the publication's by default
    trusted_proxies: list[Annotated[str, PlainValidator(_network)]] = []
    rate_limit: RateLimit = RateLimit()
    confirm_hours: PositiveInt = 48
    ses: SesSettings | None = None


class Publication(Strict):
    """The publication: ``content/newsletter.yaml``."""

    title: Text
    short_name: Text
    publisher: Text
    language: Language = "en"
    direction: Literal["ltr", "rtl"] = "ltr"
    site_url: SiteUrl
    reference_guide: LinkedText
    subscribe: LinkedText
    social: list[SocialLink] = []
    footer: Text
    # The publisher's postal address, in every email's and edition's footer (CAN-SPAM).
    postal_address: Text | None = None
    sender: Sender
    date_formats: DateFormats = DateFormats()
    headers: HeaderStyle = HeaderStyle()
    period: Cadence | None = None  # None: as the last regular issues ran (see commands/new.py)
    email: EmailSettings = EmailSettings()
    pdf: PdfSettings = PdfSettings()
    smtp: SmtpSettings | None = None
    subscriptions: Subscriptions | None = None


class Period(Strict):
    """The days an issue covers, both inclusive."""

    start: IsoDate
    end: IsoDate


class Correction(Strict):
    """A correction to a published issue: when, what changed and why."""

    date: IsoDate
    change: Text
    reason: Text


class IssueMeta(Strict):
    """An issue's own file: ``content/issues/<id>/issue.yaml``."""

    # Required, but may be left empty (``number:``) for an issue published without one.
    number: Annotated[int, Field(gt=0, strict=True)] | None
    period: Period
    published: IsoDate | None = None
    sections: Annotated[list[Slug], Field(min_length=1)]
    corrections: list[Correction] = []


class Takeaway(Strict):
    """A section's entry in Key Takeaways."""

    headline: Text | None = None
    summary: Text


class Section(Strict):
    """One section of an issue: ``sections/<slug>.yaml``."""

    title: Text
    takeaway: Takeaway | None = None
    stories: list[Text] = []


IncidentType = Literal["IED", "VBIED", "suicide"]
IncidentId = Annotated[
    str,
    _pattern(SLUG.pattern, "an id of lowercase letters, digits and dashes like 328-20211106-hit"),
]


class Incident(Strict):
    """One row of the IED table; ``id`` pins the row's id (see ``incidents.py``)."""

    id: IncidentId | None = None
    date: IsoDate
    location: Text | None = None
    province: Governorate
    deaths: CountField
    injuries: CountField
    type: IncidentType = "IED"
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None


class IedTable(Strict):
    """The IED table: ``ied.yaml``."""

    title: Text = "IED Incidents and Resulting Casualties"
    note: Text
    map_note: Text | None = None
    incidents: list[Incident] = []


class SectionEntry(BaseModel):
    """A section placed in its issue: its slug (the file name and the web anchor) and content."""

    model_config = ConfigDict(frozen=True)

    slug: str
    section: Section


class Issue(BaseModel):
    """A whole issue, validated: its id (the period's end date) and every part."""

    model_config = ConfigDict(frozen=True)

    id: str
    meta: IssueMeta
    sections: tuple[SectionEntry, ...]
    ied: IedTable
    # (line, column) of each IED row in ied.yaml, for messages that name rows across issues.
    rows_at: tuple[tuple[int, int], ...] = ()

    @property
    def number(self) -> int | None:
        """The issue number, or None for an issue published without one."""
        return self.meta.number

    @property
    def ref(self) -> str:
        """The issue's number, or its id when it has none: in file names and stable ids."""
        return str(self.meta.number) if self.meta.number is not None else self.id

    @property
    def period(self) -> Period:
        """The days the issue covers."""
        return self.meta.period
