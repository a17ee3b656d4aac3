"""Per-recipient messages: the parts encoded once must equal the whole part encoded each time."""

from __future__ import annotations

import binascii
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.mail import GREETING_HTML, GREETING_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, fill
from newsletter.send.personalise import Body
from newsletter.send.smtp import dot_stuffed

# Lines of the shapes an email part has: prose, long lines, trailing blanks, leading dots,
# non-ASCII, and the placeholders alone, inline and in the inlined greeting paragraph.
_LINE = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120),
    st.sampled_from(
        [
            "",
            " ",
            ".",
            "..dot",
            "a" * 75 + " ",
            "x" * 200,
            "بغداد — Baghdad",
            f'<a href="{UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a>',
            f"Unsubscribe: {UNSUBSCRIBE_PLACEHOLDER} {UNSUBSCRIBE_PLACEHOLDER}",
            GREETING_HTML,
            f'<p class="greeting" style="margin:0">{GREETING_PLACEHOLDER}</p>',
            '<p class="greeting"\n style="x">' + GREETING_PLACEHOLDER + "</p>",
            GREETING_PLACEHOLDER,
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(_LINE, max_size=30),
    end=st.sampled_from(["", "\n", "\r\n"]),
    crlf=st.booleans(),
    greeting=st.sampled_from(["", "Dear Amal,", "Dear <Müller> & co,", "x" * 90]),
    url=st.sampled_from(["https://l.example.org/u?e=a%40b&t=x.y", "mailto:u@example.org"]),
)
def test_parts_encoded_once_equal_the_whole_part(
    lines: list[str], end: str, crlf: bool, greeting: str, url: str
) -> None:
    body = ("\r\n" if crlf else "\n").join(lines) + end
    encoded = Body(body).encode(greeting, url)
    expected = fill(body, greeting, url).replace("\r\n", "\n")
    assert binascii.a2b_qp(encoded.replace(b"\r\n", b"\n")) == expected.encode("utf-8")
    lines_out = encoded.split(b"\r\n")
    # 76 as RFC 2045 asks, but for binascii's own "=20" at a line's end, which can reach 78.
    assert all(len(line) <= 78 and not line.endswith((b" ", b"\t")) for line in lines_out)
    assert b"\n" not in encoded.replace(b"\r\n", b"")  # CRLF only
    assert encoded.endswith(b"\r\n") == expected.endswith("\n")  # the boundary line stays its own


def test_only_the_placeholders_are_encoded_per_recipient() -> None:
    html = "<html><body>" + "<p>story</p>" * 5000 + GREETING_HTML + "<a href='"
    html += UNSUBSCRIBE_PLACEHOLDER + "'>x</a></body></html>\n"  # one long line, as MJML's
    body = Body(html)
    holes = [part for part in body.parts if isinstance(part, str)]
    assert holes == [GREETING_HTML, UNSUBSCRIBE_PLACEHOLDER]
    encoded = body.encode("Dear Amal,", "https://x.example/u?a=1&b=2")
    decoded = binascii.a2b_qp(encoded.replace(b"\r\n", b"\n")).decode("utf-8")
    assert decoded == fill(html, "Dear Amal,", "https://x.example/u?a=1&b=2")
    assert "href='https://x.example/u?a=1&amp;b=2'" in decoded


@given(
    st.binary(max_size=200)
    | st.lists(st.sampled_from([b".", b"\r\n", b"\n", b"\r", b"a"])).map(b"".join)
)
def test_dot_stuffing_equals_the_line_pattern(message: bytes) -> None:
    assert dot_stuffed(message) == re.sub(rb"(?m)^\.", b"..", message)
