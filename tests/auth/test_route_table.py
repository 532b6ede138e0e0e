"""Every route of the application, today's and any added later, against the scopes of
docs/access-control.md: open ones answer without a key, the others 401 without one, 403
with too small a scope, and serve the right one."""

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.routing import BaseRoute, Mount

from tests.auth.conftest import bearer
from watcher_server.app import create_app
from watcher_server.settings import Settings

# The rules, written out here rather than imported, so that the test checks them.
OPEN = {"/", "/health", "/ready", "/docs", "/docs/oauth2-redirect", "/redoc", "/scalar"}
OPEN |= {"/openapi.json", "/ui/login", "/ui/logout"}
OPEN_ASSETS = ("/static-offline-docs/", "/scalar/assets/", "/ui/static/")
ADMIN = ("/log_cleanup", "/api_key")
SMALLER = {"write": "read", "admin": "write"}
# Path parameters get an id nothing has, so no request changes a stored row.
ABSENT_ID = "987654321"


def walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, inside included routers and mounts too."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's record of an included router
            yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            directory = getattr(route.app, "directory", None)
            asset = next(p.name for p in sorted(_files(directory)))
            yield "GET", f"{prefix}{route.path}/{asset}"
        else:
            for method in sorted(getattr(route, "methods", None) or ["GET"]):
                yield method, prefix + route.path


def _files(directory: object) -> list[Path]:
    return [path for path in Path(str(directory)).iterdir() if path.is_file()]


def needed_scope(method: str, path: str) -> str | None:
    if path in OPEN or path.startswith(OPEN_ASSETS):
        return None
    if path.split("/{")[0].rstrip("/") in ADMIN:
        return "admin"
    return "read" if method in ("GET", "HEAD") else "write"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", ABSENT_ID, path)


def refused_for_scope(response: httpx.Response) -> bool:
    """A 403 of access control (not, say, a console form's CSRF refusal)."""
    return response.status_code == 403 and "scope" in response.text


@pytest.fixture(scope="session")
def routes(auth_settings: Settings) -> list[tuple[str, str]]:
    return sorted(set(walk(create_app(auth_settings).routes)))


async def test_the_walk_finds_every_kind_of_route(routes: list[tuple[str, str]]) -> None:
    assert {
        ("POST", "/start_pipeline_execution"),
        ("GET", "/pipeline/{pipeline_id}"),
        ("POST", "/log_cleanup"),
        ("DELETE", "/api_key/{key_id}"),
        ("POST", "/ui/pipelines/{pipeline_id:int}/{action}"),
        ("GET", "/ready"),
    } <= set(routes)
    assert any(path.startswith("/ui/static/") for _, path in routes)
    assert len(routes) > 50


async def test_every_route_asks_for_its_scope(
    anonymous: httpx.AsyncClient, tokens_by_scope: dict[str, str], routes: list[tuple[str, str]]
) -> None:
    wrong: list[str] = []
    for method, template in routes:
        path, needed = concrete(template), needed_scope(method, template)
        without = await anonymous.request(method, path, json={})
        if needed is None:
            if without.status_code in (401, 403):
                wrong.append(f"{method} {template}: open, answered {without.status_code}")
            continue
        if without.status_code != 401 or without.headers.get("www-authenticate") != "Bearer":
            wrong.append(f"{method} {template}: no key, answered {without.status_code}")
        if needed in SMALLER:
            smaller = SMALLER[needed]
            below = await anonymous.request(
                method, path, json={}, headers=bearer(tokens_by_scope[smaller])
            )
            if not refused_for_scope(below) or needed not in below.text:
                wrong.append(f"{method} {template}: {smaller} key, answered {below.status_code}")
        right = await anonymous.request(
            method, path, json={}, headers=bearer(tokens_by_scope[needed])
        )
        if right.status_code == 401 or refused_for_scope(right):
            wrong.append(f"{method} {template}: {needed} key, answered {right.status_code}")
    assert wrong == []
