"""Casualty counts as editors write them, and honest arithmetic over them.

A count is exact (``3``, ``5,500``), a range (``2-3``), a lower bound (``at least 4`` or
``4+``), an upper bound (``up to 6``: the range 0-6), approximate (``roughly 5,500``) or
``unknown``. Every count is an interval ``[low, high]`` where ``high`` may be open, so a sum is
simply the sum of the ends and says exactly as much as the rows allow; a sum with an approximate
part is approximate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

COUNT_HELP = 'expected a whole number, a range like 2-3, "at least N" or "unknown"'

# ASCII digits only: \d also matches "²" (which int() refuses) and other scripts' digits. The
# monitor groups thousands with commas ("5,500").
NUMERAL = r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+"
_NUMBER = re.compile(rf"^({NUMERAL})$")
_RANGE = re.compile(rf"^({NUMERAL})\s*[-–]\s*({NUMERAL})$")
_AT_LEAST = re.compile(rf"^(?:at\s+least\s+({NUMERAL})|({NUMERAL})\s*\+)$", re.IGNORECASE)
_UP_TO = re.compile(rf"^up\s+to\s+({NUMERAL})$", re.IGNORECASE)
_ROUGHLY = re.compile(rf"^(?:roughly|about|around|approximately)\s+({NUMERAL})$", re.IGNORECASE)
MAX_COUNT_DIGITS = 9  # a billion casualties; also keeps int() far from its 4,300-digit limit


@dataclass(frozen=True)
class Count:
    """A casualty count: the interval ``[low, high]``; ``high`` is None when open-ended."""

    low: int
    high: int | None
    approximate: bool = False

    @property
    def exact(self) -> bool:
        """Whether the count is a single known number (not an approximate one)."""
        return self.high == self.low and not self.approximate

    @property
    def unknown(self) -> bool:
        """Whether nothing at all is known."""
        return self.low == 0 and self.high is None

    def __add__(self, other: Count) -> Count:
        high = None if self.high is None or other.high is None else self.high + other.high
        return Count(self.low + other.low, high, self.approximate or other.approximate)

    def __str__(self) -> str:
        # Written as the monitor writes them: "5,500", "up to 6", "roughly 5,500".
        if self.high is None:
            return "unknown" if self.low == 0 else f"at least {self.low:,}"
        if self.high == self.low:
            return f"roughly {self.low:,}" if self.approximate else f"{self.low:,}"
        if self.low == 0:
            return f"up to {self.high:,}"
        return f"{self.low:,}-{self.high:,}"

    def to_json(self) -> dict[str, int | None]:
        """Return the count as min and max columns (max is None when open-ended)."""
        return {"min": self.low, "max": self.high}


ZERO = Count(0, 0)


def parse_count(value: Any) -> Count:
    """Parse a count as written in YAML; raise ValueError with an editor-facing message."""
    if isinstance(value, bool):
        raise ValueError(f"{COUNT_HELP}; got {str(value).lower()}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a count cannot be negative; got {value}")
        if value >= 10**MAX_COUNT_DIGITS:
            raise ValueError(f"a count has at most {MAX_COUNT_DIGITS} digits; got {value}")
        return Count(value, value)
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "unknown":
            return Count(0, None)
        longest = max((len(run) for run in re.findall(r"[0-9]+", text.replace(",", ""))), default=0)
        if longest > MAX_COUNT_DIGITS:
            raise ValueError(
                f"a count has at most {MAX_COUNT_DIGITS} digits; got a number of {longest} digits"
            )
        if match := _NUMBER.match(text):
            return Count(_int(match[1]), _int(match[1]))
        if match := _RANGE.match(text):
            low, high = _int(match[1]), _int(match[2])
            if low > high:
                raise ValueError(f'a range goes from low to high, like {high}-{low}; got "{text}"')
            return Count(low, high)
        if match := _AT_LEAST.match(text):
            return Count(_int(match[1] or match[2]), None)
        if match := _UP_TO.match(text):
            return Count(0, _int(match[1]))
        if match := _ROUGHLY.match(text):
            return Count(_int(match[1]), _int(match[1]), approximate=True)
        raise ValueError(f'{COUNT_HELP}; got "{text}"')
    if value is None:
        raise ValueError(f"{COUNT_HELP}; got nothing")
    raise ValueError(f"{COUNT_HELP}; got {value!r}")


def _int(numeral: str) -> int:
    return int(numeral.replace(",", ""))


def total(counts: list[Count]) -> Count:
    """Sum counts; the result is open-ended when any part is."""
    result = ZERO
    for count in counts:
        result = result + count
    return result
