"""Guessing is slowed: past the limit of wrong keys, an address is answered 429."""

import httpx

from tests.auth.conftest import ADMIN_TOKEN, bearer
from watcher_server.app import create_app
from watcher_server.settings import Settings


async def test_repeated_failures_from_one_address_get_429_with_retry_after(
    auth_settings: Settings,
) -> None:
    app = create_app(auth_settings.model_copy(update={"watcher_auth_failures_per_minute": 3}))

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://watcher.test")

    async with (
        app.router.lifespan_context(app),  # adds the bootstrap admin key
        client("203.0.113.7") as guesser,
        client("203.0.113.8") as other,
    ):
        keyless = [(await guesser.get("/pipeline")).status_code for _ in range(5)]
        guesses = [
            (await guesser.get("/pipeline", headers=bearer(f"wat_{n:043d}"))).status_code
            for n in range(4)
        ]
        slowed = await guesser.get("/pipeline", headers=bearer(ADMIN_TOKEN))
        elsewhere = await other.get("/pipeline", headers=bearer(ADMIN_TOKEN))
        console = await guesser.get("/ui")

    assert keyless == [401] * 5  # sending no key is no guess
    assert guesses == [401, 401, 401, 429]
    assert slowed.status_code == 429  # even with a good key: no more tries from there
    assert slowed.json()["code"] == "TOO_MANY_REQUESTS"
    assert 0 < int(slowed.headers["retry-after"]) <= 60
    assert elsewhere.status_code == 200
    assert console.status_code == 429
    assert "retry-after" in console.headers
