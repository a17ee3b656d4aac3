"""The list service end to end: the CLI's `subscribers serve` on loopback, real HTTP, real SMTP,
real SQLite, the unsubscribe URL taken from a message `newsletter send` delivered."""

from __future__ import annotations

import asyncio
import email
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from itsdangerous import URLSafeTimedSerializer
from service_helpers import (
    SECRET,
    CertificateAuthority,
    KeepingSmtp,
    Service,
    configure,
    free_port,
    link_in,
    notification,
    service_env,
)

from newsletter.cli import main
from newsletter.send.tokens import token
from newsletter.subscribers.confirmation import CONFIRM_SALT
from newsletter.subscribers.store import Store

ISSUE_MID = "<ishm-328.2021-11-11.0123456789abcdef01234567@enablingpeace.org>"


class World:
    """The running service, its mail server, content and store."""

    def __init__(self, service: Service, smtp: KeepingSmtp, content: Path, state: Path) -> None:
        self.service = service
        self.smtp = smtp
        self.content = content
        self.state = state
        self.url = service.url
        self.ca: CertificateAuthority
        self._client = 0

    def client(self) -> httpx.Client:
        """An HTTP client with its own address, as the trusted proxy (127.0.0.1) reports it."""
        self._client += 1
        forwarded = {"X-Forwarded-For": f"203.0.113.{self._client}"}
        return httpx.Client(base_url=self.url, headers=forwarded, timeout=10)

    def status(self, address: str) -> str | None:
        with Store.open(self.state) as store:
            return store.status(address)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    import shutil

    from conftest import CONTENT

    root = tmp_path_factory.mktemp("service")
    content = root / "content"
    shutil.copytree(CONTENT, content)
    ca = CertificateAuthority()
    (content / "sns-test.pem").write_bytes(ca.pem())
    port = free_port()
    configure(content, port)
    state = root / "state"
    with KeepingSmtp() as smtp:
        service = Service(content, state, port, service_env(smtp.port))
        try:
            found = World(service, smtp, content, state)
            found.ca = ca
            yield found
        finally:
            service.stop()


def subscribe(world: World, address: str, client: httpx.Client | None = None) -> httpx.Response:
    if client is None:
        with world.client() as own:
            return own.post("/subscribe", data={"email": address, "name": "A Reader"})
    return client.post("/subscribe", data={"email": address, "name": "A Reader"})


def confirmed(world: World, address: str) -> None:
    """Subscribe ``address`` through the form and open the link it receives."""
    assert subscribe(world, address).status_code == 200
    [message] = world.smtp.wait_for(address)
    link = link_in(message, world.url + "/confirm")
    assert httpx.get(link).status_code == 200


def test_double_opt_in(world: World) -> None:
    response = subscribe(world, "new.reader@example.org")
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    [message] = world.smtp.wait_for("new.reader@example.org")
    assert message["Subject"] == "Confirm your subscription to the ISHM"
    assert world.status("new.reader@example.org") == "pending"
    link = link_in(message, world.url + "/confirm")
    page = httpx.get(link)
    assert page.status_code == 200
    assert "You are subscribed" in page.text
    assert world.status("new.reader@example.org") == "active"


def test_the_answer_is_the_same_whatever_the_address(world: World) -> None:
    confirmed(world, "active.one@example.org")
    confirmed(world, "gone.one@example.org")
    with Store.open(world.state) as store:
        store.unsubscribe("gone.one@example.org", "editor")
    answers = [
        subscribe(world, a)
        for a in ("never.seen@example.org", "active.one@example.org", "gone.one@example.org")
    ]
    assert {r.status_code for r in answers} == {200}
    assert len({r.content for r in answers}) == 1
    assert len({r.headers["content-length"] for r in answers}) == 1
    assert all(h not in r.headers for r in answers for h in ("set-cookie", "location"))


def test_an_invalid_address_gets_a_form_error(world: World) -> None:
    response = subscribe(world, "not an address")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert "Enter an email address like name@example.org." in response.text
    assert 'value="not an address"' in response.text


def test_the_honeypot_drops_the_form_silently(world: World) -> None:
    with world.client() as client:
        trapped = client.post("/subscribe", data={"email": "bot@example.org", "website": "spam"})
    normal = subscribe(world, "person.after.bot@example.org")
    assert trapped.status_code == normal.status_code == 200
    assert trapped.content == normal.content
    world.smtp.wait_for("person.after.bot@example.org")
    time.sleep(0.3)
    assert world.status("bot@example.org") is None
    assert not world.smtp.wait_for("bot@example.org", timeout=0.1)


def test_each_client_is_rate_limited(world: World) -> None:
    with world.client() as client:
        codes = [subscribe(world, f"burst{i}@example.org", client).status_code for i in range(3)]
        limited = subscribe(world, "burst3@example.org", client)
    assert codes == [200, 200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 3600
    assert subscribe(world, "burst4@example.org").status_code == 200  # another client


def test_a_post_from_another_site_is_refused(world: World) -> None:
    with world.client() as client:
        response = client.post(
            "/subscribe",
            data={"email": "victim@example.org"},
            headers={"Origin": "https://evil.example"},
        )
        same = client.post(
            "/subscribe",
            data={"email": "friend@example.org"},
            headers={"Origin": "https://enablingpeace.org"},  # the archive's subscribe/ page
        )
    assert response.status_code == 403
    assert same.status_code == 200


def test_a_forged_or_expired_confirmation_link_is_refused(world: World) -> None:
    forged = URLSafeTimedSerializer("another-secret-entirely", salt=CONFIRM_SALT).dumps(
        "forged@example.org"
    )

    class Old(URLSafeTimedSerializer):
        def get_timestamp(self) -> int:
            return int(time.time()) - 49 * 3600

    expired = Old(SECRET, salt=CONFIRM_SALT).dumps("late@example.org")
    for candidate in (forged, expired, "garbage"):
        page = httpx.get(world.url + "/confirm", params={"token": candidate})
        assert page.status_code == 400
        assert f'href="{world.url}/subscribe"' in page.text
    assert world.status("forged@example.org") is None


def _send_issue(world: World, address: str, tmp_path: Path) -> email.message.EmailMessage:
    """Send the sample issue with `newsletter send`; return the message it received."""
    csv = tmp_path / "list.csv"
    csv.write_text(f"email,name\n{address},A Reader\n", encoding="utf-8")
    env = service_env(world.smtp.port)
    result = CliRunner().invoke(
        main,
        [
            "send",
            "328",
            "--content",
            str(world.content),
            "--subscribers",
            str(csv),
            "--state",
            str(tmp_path / "send-state"),
            "--yes",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    return world.smtp.wait_for(address, 2)[-1]  # after the confirmation


def test_one_click_from_the_list_unsubscribe_header(world: World, tmp_path: Path) -> None:
    address = "one.click@example.org"
    confirmed(world, address)
    message = _send_issue(world, address, tmp_path)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(message["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    assert url.startswith(world.url + "/unsubscribe?")
    # A mail scanner fetching the link changes nothing.
    page = httpx.get(url)
    assert page.status_code == 200
    assert "<button" in page.text
    assert world.status(address) == "active"
    done = httpx.post(
        url,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "set-cookie" not in done.headers and "location" not in done.headers
    assert world.status(address) == "unsubscribed"
    with Store.open(world.state) as store:
        assert store.history(address)[-1].how == "one-click"


def test_a_mail_providers_burst_of_one_clicks_is_all_recorded(world: World) -> None:
    # One provider posts for many readers from one address, past the subscribe form's limit
    # (3 an hour here): none is refused, and each is in the database before its 200.
    addresses = [f"burst.reader{i}@example.org" for i in range(40)]
    with Store.open(world.state) as store:
        store.subscribe_many([(a, "") for a in addresses], "import")
    database = world.state / "newsletter.sqlite"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": "198.51.100.25",
    }

    async def one_click(client: httpx.AsyncClient, address: str) -> str | None:
        url = f"{world.url}/unsubscribe?email={address}&token={token(SECRET, address)}"
        done = await client.post(url, content=b"List-Unsubscribe=One-Click", headers=headers)
        assert done.status_code == 200, done.text
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            found = db.execute("SELECT status FROM subscribers WHERE key = ?", (address,))
            return str(found.fetchone()[0])

    async def burst() -> list[str | None]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(one_click(client, a) for a in addresses))

    assert asyncio.run(burst()) == ["unsubscribed"] * len(addresses)
    with Store.open(world.state) as store:
        assert all(len(store.history(a)) == 2 for a in addresses)  # imported, unsubscribed


def test_the_footer_link_asks_with_one_button(world: World) -> None:
    address = "button.reader@example.org"
    confirmed(world, address)
    url = f"{world.url}/unsubscribe/?email={address}&token={token(SECRET, address)}"
    page = httpx.get(url)
    assert world.status(address) == "active"
    action = page.text.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    done = httpx.post(world.url + "/unsubscribe/" + action, data={"confirm": "yes"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert world.status(address) == "unsubscribed"
    with Store.open(world.state) as store:
        assert store.history(address)[-1].how == "link"


def test_a_forged_unsubscribe_link_changes_nothing(world: World) -> None:
    address = "stays@example.org"
    confirmed(world, address)
    genuine = token(SECRET, address)
    altered = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    attempts = [
        {"email": address, "token": altered},
        {"email": address, "token": token(SECRET, "someone.else@example.org")},
        {"email": address, "token": token("a-different-secret-entirely", address)},
        {"email": address, "token": ""},
    ]
    for params in attempts:
        for method in ("GET", "POST"):
            response = httpx.request(
                method,
                world.url + "/unsubscribe",
                params=params,
                content=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert response.status_code == 400, (method, params)
    assert world.status(address) == "active"


def _post_sns(world: World, message: dict[str, object]) -> httpx.Response:
    return httpx.post(
        world.url + "/webhooks/ses",
        content=json.dumps(message).encode(),
        headers={"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "x"},
    )


def test_ses_bounces_and_complaints_are_recorded(world: World) -> None:
    ca = world.ca
    for address in ("hard@example.org", "soft@example.org", "angry@example.org"):
        confirmed(world, address)
    hard = ca.sign(notification("Bounce", "hard@example.org", ISSUE_MID), "1")
    assert _post_sns(world, hard).status_code == 200
    assert world.status("hard@example.org") == "bounced"
    soft = ca.sign(
        notification("Bounce", "soft@example.org", ISSUE_MID, bounce_type="Transient"), "2"
    )
    assert _post_sns(world, soft).status_code == 200
    assert world.status("soft@example.org") == "active"  # one soft bounce is not enough
    angry = ca.sign(notification("Complaint", "angry@example.org", ISSUE_MID))
    assert _post_sns(world, angry).status_code == 200
    assert world.status("angry@example.org") == "complained"
    with Store.open(world.state) as store:
        assert store.history("hard@example.org")[-1].issue == "2021-11-11"
        assert store.history("angry@example.org")[-1].issue == "2021-11-11"


def test_forged_sns_messages_are_refused(world: World) -> None:
    ca = world.ca
    confirmed(world, "target@example.org")
    genuine = ca.sign(notification("Complaint", "target@example.org", ISSUE_MID))
    altered = {**genuine, "Message": genuine["Message"].replace("abuse", "other")}
    elsewhere = {**genuine, "SigningCertURL": "https://attacker.example/cert.pem"}
    other = CertificateAuthority().sign(notification("Complaint", "target@example.org", ISSUE_MID))
    topic = ca.sign(
        {
            **notification("Complaint", "target@example.org", ISSUE_MID),
            "TopicArn": "arn:aws:sns:eu-west-1:1:other",
        }
    )
    for message in (altered, elsewhere, other, topic, {"Type": "Notification"}):
        assert _post_sns(world, message).status_code == 400
    assert httpx.post(world.url + "/webhooks/ses", content=b"not json").status_code == 400
    assert world.status("target@example.org") == "active"


def test_sns_subscription_confirmation_is_logged_not_fetched(world: World) -> None:
    subscribe_url = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t"
    message = world.ca.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "t",
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-bounces",
            "Message": "You have chosen to subscribe to the topic.",
            "SubscribeURL": subscribe_url,
            "Timestamp": "2026-01-01T00:00:00.000Z",
        }
    )
    assert _post_sns(world, message).status_code == 200
    assert subscribe_url in world.service.log()


def test_health(world: World) -> None:
    response = httpx.get(world.url + "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "ok"}


def test_the_log_names_nobody(world: World) -> None:
    subscribe(world, "private.person@example.org")
    world.smtp.wait_for("private.person@example.org")
    log = world.service.log()
    assert "POST /subscribe 200" in log
    assert "@example.org" not in log and "private.person" not in log
    assert "203.0.113." not in log


def test_the_service_needs_its_secret(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from conftest import CONTENT

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    configure(content, 1)
    (content / "sns-test.pem").write_bytes(CertificateAuthority().pem())
    env = service_env(1)
    env.pop("NEWSLETTER_UNSUBSCRIBE_SECRET")
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", "subscribers", "serve", "--content", str(content)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "error: set NEWSLETTER_UNSUBSCRIBE_SECRET (16 characters or more) to sign the links"
    )


def test_confirmation_link_parameters(world: World) -> None:
    subscribe(world, "params@example.org")
    [message] = world.smtp.wait_for("params@example.org")
    link = urlsplit(link_in(message, world.url + "/confirm"))
    assert list(parse_qs(link.query)) == ["token"]
    assert "params@example.org" not in link.query  # signed, but not the address in clear


def test_the_archive_links_to_its_subscribe_page(tmp_path: Path) -> None:
    import shutil

    from conftest import CONTENT

    from newsletter.commands.build import build

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    configure(content, 8123)
    (content / "sns-test.pem").write_bytes(b"")  # the build does not read it
    build(content, tmp_path / "output")
    site = tmp_path / "output" / "site"
    page = (site / "subscribe" / "index.html").read_text(encoding="utf-8")
    assert 'action="http://127.0.0.1:8123/subscribe"' in page
    assert '<label for="email">Email address</label>' in page
    assert 'href="../style.css"' in page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="subscribe/index.html">Subscribe</a>' in index


def test_a_person_subscribes_in_chromium(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(world.url + "/subscribe")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    field = browser.find_element(By.ID, "email")
    label = browser.find_element(By.CSS_SELECTOR, 'label[for="email"]')
    assert label.text == "Email address"
    field.click()
    assert browser.switch_to.active_element == field
    field.send_keys("chromium.reader@example.org")
    browser.find_element(By.ID, "name").send_keys("Chromium Reader")
    browser.find_element(By.CSS_SELECTOR, "form.subscribe button").click()
    deadline = time.monotonic() + 10
    while "Check your inbox" not in browser.page_source and time.monotonic() < deadline:
        time.sleep(0.1)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Check your inbox"
    [message] = world.smtp.wait_for("chromium.reader@example.org")
    assert str(message["To"]) == "Chromium Reader <chromium.reader@example.org>"
    browser.get(link_in(message, world.url + "/confirm"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "You are subscribed"
    assert world.status("chromium.reader@example.org") == "active"
