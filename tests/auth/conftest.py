"""An app that requires API keys, on the run's database, and keys of each scope for it."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import app_client
from watcher_server.auth import tokens
from watcher_server.settings import Settings

# Made fresh per run: the bootstrap key of the app below.
ADMIN_TOKEN = tokens.generate()


@pytest.fixture(scope="session")
def auth_settings(settings: Settings) -> Settings:
    """Keys required; failures never throttled (tests/auth/test_throttle.py tests that)."""
    return settings.model_copy(
        update={
            "watcher_auth": "required",
            "watcher_bootstrap_admin_key": SecretStr(ADMIN_TOKEN),
            "watcher_auth_failures_per_minute": 1_000_000,
        }
    )


@pytest.fixture(scope="session")
async def anonymous(auth_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app that requires keys, sending none unless a request adds one."""
    async with app_client(auth_settings) as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_key(http: httpx.AsyncClient, scope: str, **fields: object) -> dict:
    """A new key of `scope` through the API (as the bootstrap admin); its body, token included."""
    body = {"name": f"{scope} {uuid.uuid4().hex[:10]}", "scope": scope, **fields}
    response = await http.post("/api_key", json=body, headers=bearer(ADMIN_TOKEN))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="session")
async def tokens_by_scope(anonymous: httpx.AsyncClient) -> dict[str, str]:
    return {
        "read": (await create_key(anonymous, "read"))["token"],
        "write": (await create_key(anonymous, "write"))["token"],
        "admin": ADMIN_TOKEN,
    }
