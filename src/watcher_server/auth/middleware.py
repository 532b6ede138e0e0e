"""The access check in front of every route: pure ASGI, so a request that passes costs a scope
lookup, a hash and a dict lookup (auth/verifier.py), not a dependency per route."""

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from watcher_server.auth.context import current_key
from watcher_server.auth.gate import Gate
from watcher_server.auth.scopes import Scope as KeyScope
from watcher_server.auth.scopes import required_scope
from watcher_server.auth.service import KeyState
from watcher_server.errors import error_body
from watcher_server.ui import access

CONSOLE_PREFIX = "/ui"
UNAUTHENTICATED = (
    "a valid API key is required: send it as 'Authorization: Bearer <token>' or 'X-API-Key'"
)


class AccessControl:
    """Refuses a request that lacks the scope its route needs (auth/scopes.py): 401 without a
    usable key, 403 with too small a scope, 429 after too many failures from one address.
    Console pages answer the same statuses as pages, the 401 being the sign-in form."""

    def __init__(self, app: ASGIApp, *, gate: Gate) -> None:
        self.app = app
        self.verifier = gate.verifier
        self.throttle = gate.throttle
        self.sessions = gate.sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        needed = required_scope(scope["method"], path)
        if needed is None:
            await self.app(scope, receive, send)
            return
        console = path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")
        if not console and not self.throttle.counting:
            # Nearly every request: an API call with a key checked less than a second ago.
            key = self._recent_key(scope["headers"])
            if key is not None and key.scope.allows(needed):
                await self.app(scope, receive, send)
                return
        refusal, key = await self._check(scope, needed, console)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        token = current_key.set(key)
        try:
            await self.app(scope, receive, send)
        finally:
            current_key.reset(token)

    async def _check(
        self, scope: Scope, needed: KeyScope, console: bool
    ) -> tuple[Response | None, KeyState | None]:
        address = scope["client"][0] if scope.get("client") else "unknown"
        if wait := self.throttle.retry_after(address):
            return _too_many(wait, console), None
        presented, key = await self._key(scope["headers"], console)
        if key is None:
            if presented:  # a wrong guess; a request that sent no key guesses nothing
                self.throttle.failed(address)
            if console:
                return access.sign_in_page(Request(scope), status=401), None
            return _unauthenticated(), None
        if not key.scope.allows(needed):
            return _forbidden(key, needed, console), None
        return None, key

    def _recent_key(self, headers: Sequence[tuple[bytes, bytes]]) -> KeyState | None:
        """The key of the request's header token, when the verifier vouched for it just now."""
        token = _header_token(headers)
        return None if token is None else self.verifier.recent(token)

    async def _key(
        self, headers: Sequence[tuple[bytes, bytes]], console: bool
    ) -> tuple[bool, KeyState | None]:
        """Whether the request presents a key (a header's token, else on the console its
        session), and the usable key it is."""
        token = _header_token(headers)
        if token is not None:
            return True, await self.verifier.by_token(token)
        cookies = next((value for name, value in headers if name == b"cookie"), None)
        if console and cookies is not None:
            key_id = self.sessions.key_id(cookies.decode("latin-1"))
            if key_id is not None:
                return True, await self.verifier.by_id(key_id)
        return False, None


def _header_token(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The token of the first `Authorization: Bearer` or `X-API-Key` header, if any."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
        elif name == b"x-api-key":
            return value.decode("latin-1").strip()
    return None


def _route_path(scope: Scope) -> str:
    """The path the routes see: without the root path a proxy mounts Watcher under."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _unauthenticated() -> Response:
    return JSONResponse(
        error_body(UNAUTHENTICATED, "UNAUTHORIZED"),
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _forbidden(key: KeyState, needed: KeyScope, console: bool) -> Response:
    message = f"this needs a key with the {needed} scope; key {key.name!r} has {key.scope}"
    if console:
        return access.refused_page(403, "Not allowed", message)
    return JSONResponse(error_body(message, "FORBIDDEN"), status_code=403)


def _too_many(wait: int, console: bool) -> Response:
    message = f"too many failed authentications from this address; retry in {wait} s"
    headers = {"Retry-After": str(wait)}
    if console:
        return access.refused_page(429, "Too many attempts", message, headers=headers)
    return JSONResponse(error_body(message, "TOO_MANY_REQUESTS"), status_code=429, headers=headers)
