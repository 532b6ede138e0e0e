"""How long to wait before trying a channel again. Pure, no database."""

FIRST_RETRY_SECONDS = 1.0


def retry_delay(failures: int, cap_seconds: float) -> float:
    """Seconds before the next try after `failures` failed ones: 1, 2, 4, … capped at `cap_seconds`.

    The cap keeps a channel that comes back from waiting long: it hears everything within about
    one cap of recovering, however long it was down.
    """
    if failures < 1:
        return 0.0
    exponent = min(failures - 1, 62)  # 2**62 s is beyond any cap; avoids float overflow
    return min(cap_seconds, FIRST_RETRY_SECONDS * 2.0**exponent)
