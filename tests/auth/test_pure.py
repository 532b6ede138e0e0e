"""The pure parts: tokens, lifetimes, the listening address, the failure throttle."""

import pytest

from watcher_server.auth import tokens
from watcher_server.auth.durations import short_duration_seconds
from watcher_server.auth.modes import auth_required, is_loopback, resolved_for_host
from watcher_server.auth.throttle import FailureThrottle
from watcher_server.settings import Settings


def test_tokens_are_recognisable_random_and_stored_as_a_digest() -> None:
    made = {tokens.generate() for _ in range(1000)}

    assert len(made) == 1000
    assert all(tokens.looks_like_token(token) and token.startswith("wat_") for token in made)
    token = made.pop()
    assert tokens.digest(token) == tokens.digest(token)
    assert token not in tokens.digest(token)
    assert len(tokens.digest(token)) == 64


@pytest.mark.parametrize(
    "text", ["", "wat_", "wat_short", "WAT_" + "a" * 43, "wat_" + "a" * 42 + "!", "a" * 47]
)
def test_what_is_not_a_token(text: str) -> None:
    assert not tokens.looks_like_token(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("45s", 45), ("30m", 1800), ("12h", 43_200), ("90d", 7_776_000)]
)
def test_short_durations(text: str, seconds: int) -> None:
    assert short_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["90", "d", "1.5h", "-3d", "3 days", "3D"])
def test_what_is_not_a_short_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like 90d"):
        short_duration_seconds(text)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("watcher.internal", False),
    ],
)
def test_only_a_loopback_address_leaves_keys_off_by_default(host: str, loopback: bool) -> None:
    resolved = resolved_for_host(Settings(_env_file=None), host)

    assert is_loopback(host) is loopback
    assert auth_required(resolved) is not loopback


def test_an_explicit_mode_wins_over_the_address() -> None:
    assert not auth_required(resolved_for_host(Settings(_env_file=None, watcher_auth="off"), "::"))
    required = Settings(_env_file=None, watcher_auth="required")
    assert auth_required(resolved_for_host(required, "127.0.0.1"))
    assert not auth_required(Settings(_env_file=None))  # an app built without `serve`


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_past_the_limit_an_address_waits_for_its_window_to_end() -> None:
    clock = Monotonic()
    throttle = FailureThrottle(3, monotonic=clock)
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1") == 0
        throttle.failed("10.0.0.1")

    clock.now += 20.5
    assert throttle.retry_after("10.0.0.1") == 40
    assert throttle.retry_after("10.0.0.2") == 0
    clock.now += 40
    assert throttle.retry_after("10.0.0.1") == 0


def test_the_throttle_forgets_the_oldest_address_first() -> None:
    throttle = FailureThrottle(1, max_clients=100, monotonic=Monotonic())
    for number in range(150):
        throttle.failed(f"10.0.{number // 256}.{number % 256}")

    assert throttle.retry_after("10.0.0.0") == 0  # forgotten
    assert throttle.retry_after("10.0.0.149") == 60
    assert len(throttle._failures) == 100
