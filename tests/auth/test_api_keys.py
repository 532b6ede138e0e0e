"""Keys over HTTP: created by an admin, their token answered once, used, revoked, expired."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.auth.conftest import ADMIN_TOKEN, bearer, create_key
from tests.clock import MovableClock
from tests.conftest import app_client
from watcher_server.settings import Settings

ADMIN = bearer(ADMIN_TOKEN)


async def test_a_new_key_works_at_once_and_its_token_is_never_shown_again(
    anonymous: httpx.AsyncClient,
) -> None:
    key = await create_key(anonymous, "read")

    assert key["token"].startswith("wat_")
    assert len(key["token"]) >= 40
    by_header = await anonymous.get("/pipeline", headers={"X-API-Key": key["token"]})
    by_bearer = await anonymous.get(
        "/pipeline", headers={"Authorization": f"bearer {key['token']}"}
    )
    assert (by_header.status_code, by_bearer.status_code) == (200, 200)
    listed = (await anonymous.get("/api_key", headers=ADMIN)).json()
    [mine] = [row for row in listed if row["id"] == key["id"]]
    assert key["token"] not in str(listed)
    assert set(mine) == {
        "id", "name", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"
    }  # fmt: skip
    assert mine["last_used_at"] is not None


async def test_missing_unknown_expired_and_revoked_keys_get_the_same_401(
    anonymous: httpx.AsyncClient,
) -> None:
    revoked = await create_key(anonymous, "write")
    assert (await anonymous.delete(f"/api_key/{revoked['id']}", headers=ADMIN)).status_code == 200
    expiring = await create_key(anonymous, "write", expires_in=1)
    await asyncio.sleep(1.1)  # a revocation and an expiry are both seen within a second

    answers = [
        await anonymous.get("/pipeline", headers=headers)
        for headers in (
            {},
            bearer("wat_" + "x" * 43),
            bearer("not a token"),
            bearer(expiring["token"]),
            bearer(revoked["token"]),
            {"Authorization": "Basic dXNlcjpwYXNz"},
        )
    ]

    assert {(a.status_code, a.headers["www-authenticate"], a.text) for a in answers} == {
        (401, "Bearer", answers[0].text)
    }
    assert answers[0].json()["code"] == "UNAUTHORIZED"


async def test_a_revoked_key_is_refused_within_a_second(anonymous: httpx.AsyncClient) -> None:
    key = await create_key(anonymous, "read")
    probe = "/pipeline/987654321"  # cheap: 404 to a key, 401 without one
    assert (await anonymous.get(probe, headers=bearer(key["token"]))).status_code == 404

    revoked = await anonymous.delete(f"/api_key/{key['id']}", headers=ADMIN)
    revoked_at = last_accepted = time.monotonic()
    while time.monotonic() - revoked_at < 3:
        sent_at = time.monotonic()
        if (await anonymous.get(probe, headers=bearer(key["token"]))).status_code == 401:
            break
        last_accepted = sent_at
        await asyncio.sleep(0.02)

    assert last_accepted - revoked_at < 1.0
    assert sent_at - revoked_at < 1.5  # and then refused
    again = await anonymous.delete(f"/api_key/{key['id']}", headers=ADMIN)
    assert revoked.json()["revoked_at"] is not None
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


async def test_too_small_a_scope_is_403_naming_the_scope(
    anonymous: httpx.AsyncClient, tokens_by_scope: dict[str, str]
) -> None:
    read, write = bearer(tokens_by_scope["read"]), bearer(tokens_by_scope["write"])

    create = await anonymous.post(
        "/pipeline", json={"name": "x", "pipeline_type_name": "t"}, headers=read
    )
    cleanup = await anonymous.post("/log_cleanup", json={"retention_days": 400}, headers=write)

    assert (create.status_code, create.json()["code"]) == (403, "FORBIDDEN")
    assert "write scope" in create.json()["message"]
    assert cleanup.status_code == 403
    assert "admin scope" in cleanup.json()["message"]


async def test_an_expiry_is_kept_to_the_second(anonymous: httpx.AsyncClient) -> None:
    at = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    by_date = await create_key(anonymous, "read", expires_at=at.isoformat())
    before = datetime.now(UTC)
    by_duration = await create_key(anonymous, "read", expires_in="90d")

    assert datetime.fromisoformat(by_date["expires_at"]) == at
    expires = datetime.fromisoformat(by_duration["expires_at"])
    assert timedelta(days=90) <= expires - before <= timedelta(days=90, seconds=1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "read"}, "name"),
        ({"name": "  ", "scope": "read"}, "name"),
        ({"name": "k", "scope": "owner"}, "scope"),
        ({"name": "k", "scope": "read", "expires_in": "soon"}, "expires_in"),
        ({"name": "k", "scope": "read", "expires_in": 0}, "expires_in"),
        ({"name": "k", "scope": "read", "expires_in": "999999999w"}, "expires_in"),
        ({"name": "k", "scope": "read", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "k", "scope": "read", "expires_at": "tomorrow"}, "expires_at"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    anonymous: httpx.AsyncClient, body: dict, field: str
) -> None:
    response = await anonymous.post("/api_key", json=body, headers=ADMIN)

    assert response.status_code == 422
    assert response.json()["message"].startswith(f"{field}:")


async def test_both_expiries_and_a_taken_name_are_refused(anonymous: httpx.AsyncClient) -> None:
    key = await create_key(anonymous, "read")
    both = await anonymous.post(
        "/api_key",
        json={
            "name": "both",
            "scope": "read",
            "expires_in": 60,
            "expires_at": "2099-01-01T00:00:00Z",
        },
        headers=ADMIN,
    )
    taken = await anonymous.post(
        "/api_key", json={"name": key["name"], "scope": "admin"}, headers=ADMIN
    )
    missing = await anonymous.delete("/api_key/987654321", headers=ADMIN)

    assert (both.status_code, both.json()["message"]) == (
        422,
        "give expires_at or expires_in, not both",
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "CONFLICT")
    assert missing.status_code == 404


async def test_a_use_is_recorded_about_once_a_minute(auth_settings: Settings) -> None:
    clock = MovableClock(datetime(2030, 1, 1, 12, tzinfo=UTC))
    async with app_client(auth_settings, clock=clock) as http:
        key = await create_key(http, "read")

        async def last_used() -> str | None:
            await http.get("/pipeline", headers=bearer(key["token"]))
            listed = (await http.get("/api_key", headers=ADMIN)).json()
            return next(row["last_used_at"] for row in listed if row["id"] == key["id"])

        first = await last_used()
        clock.advance(seconds=59)
        await asyncio.sleep(1.01)  # past the cache: the row is read again
        unchanged = await last_used()
        clock.advance(seconds=2)
        later = await last_used()

    assert first == unchanged == "2030-01-01T12:00:00Z"
    assert later == "2030-01-01T12:01:01Z"


async def test_the_document_names_each_operations_scope(anonymous: httpx.AsyncClient) -> None:
    document = (await anonymous.get("/openapi.json")).json()

    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    start = document["paths"]["/start_pipeline_execution"]["post"]
    assert start["security"] == [{"bearer": []}, {"apiKey": []}]
    assert {"401", "403", "429"} <= set(start["responses"])
    assert "`write` scope" in start["description"]
    assert "`admin` scope" in document["paths"]["/api_key"]["get"]["description"]
    assert document["paths"]["/health"]["get"]["security"] == []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation["security"]:
                assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
