"""Key lifetimes written the short way: `90d`, `12h`, `30m`, `45s`, `2w`."""

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
SHORT_DURATION = r"^[0-9]{1,9}[smhdw]$"
# A century: long enough for "never", short enough that no date overflows.
MAX_LIFETIME_SECONDS = 36_500 * 86_400


def short_duration_seconds(text: str) -> int:
    """`90d` in seconds; ValueError naming the accepted shape otherwise."""
    if re.fullmatch(SHORT_DURATION, text) is None:
        raise ValueError(f"{text!r} is not a duration like 90d, 12h, 30m or 45s")
    return int(text[:-1]) * _UNITS[text[-1]]
