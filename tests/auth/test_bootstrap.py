"""WATCHER_BOOTSTRAP_ADMIN_KEY: an admin key at start-up, once, however many processes start."""

import asyncio

import pytest
from pydantic import SecretStr

from tests.auth.conftest import bearer
from tests.conftest import app_client
from watcher_server.auth import tokens
from watcher_server.auth.service import bootstrap_name
from watcher_server.settings import Settings, SettingsError, load_settings


async def test_concurrent_starts_make_one_admin_key(auth_settings: Settings) -> None:
    token = tokens.generate()
    settings = auth_settings.model_copy(update={"watcher_bootstrap_admin_key": SecretStr(token)})
    apps = [app_client(settings) for _ in range(6)]

    clients = await asyncio.gather(*(app.__aenter__() for app in apps))
    try:
        listed = (await clients[0].get("/api_key", headers=bearer(token))).json()
    finally:
        for app in apps:
            await app.__aexit__(None, None, None)
    async with app_client(settings) as restarted:  # a restart changes nothing either
        relisted = (await restarted.get("/api_key", headers=bearer(token))).json()

    mine = [key for key in relisted if key["name"] == bootstrap_name(token)]
    assert [key["scope"] for key in mine] == ["admin"]
    assert len(relisted) == len(listed)


async def test_a_revoked_bootstrap_key_stays_revoked_after_a_restart(
    auth_settings: Settings,
) -> None:
    token = tokens.generate()
    settings = auth_settings.model_copy(update={"watcher_bootstrap_admin_key": SecretStr(token)})
    async with app_client(settings) as http:
        listed = (await http.get("/api_key", headers=bearer(token))).json()
        [key] = [row for row in listed if row["name"] == bootstrap_name(token)]
        await http.delete(f"/api_key/{key['id']}", headers=bearer(token))

    async with app_client(settings) as restarted:
        answer = await restarted.get("/pipeline", headers=bearer(token))

    assert answer.status_code == 401


@pytest.mark.parametrize("value", ["admin", "wat_short", "sk_" + "a" * 43])
def test_a_bootstrap_key_must_look_like_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, value: str
) -> None:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("WATCHER_BOOTSTRAP_ADMIN_KEY", value)

    with pytest.raises(SettingsError, match="invalid setting WATCHER_BOOTSTRAP_ADMIN_KEY"):
        load_settings()


def test_an_openssl_made_bootstrap_key_is_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("WATCHER_BOOTSTRAP_ADMIN_KEY", "wat_" + "0f" * 32)

    assert load_settings().watcher_bootstrap_admin_key is not None
