"""Protection of the console's forms against cross-site request forgery.

A browser gets a random token in a cookie (SameSite=Strict, HttpOnly); each form carries the
HMAC of that token under the console's secret. A POST is accepted when the two match and, if
the browser sent an Origin, it is the console's own. Another site can neither read the cookie
nor compute its HMAC, and SameSite keeps the cookie off its requests anyway.
"""

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

COOKIE = "watcher_console"
FIELD = "csrf_token"
COOKIE_PATH = "/ui"
# Used when WATCHER_CONSOLE_SECRET is not set: forms then work within one process's lifetime.
_PROCESS_SECRET = secrets.token_bytes(32)


def console_secret(settings: object) -> bytes:
    """WATCHER_CONSOLE_SECRET, or this process's own random secret when it is not set."""
    configured = getattr(settings, "watcher_console_secret", None)
    return configured.get_secret_value().encode() if configured else _PROCESS_SECRET


def _secret(request: Request) -> bytes:
    return console_secret(request.app.state.settings)


def browser_token(request: Request) -> str:
    """The browser's cookie token, or a new one (set on the response by `remember`)."""
    token = request.cookies.get(COOKIE)
    if token and len(token) <= 100:
        return token
    new = getattr(request.state, "new_console_token", None) or secrets.token_urlsafe(32)
    request.state.new_console_token = new
    return new


def form_token(request: Request) -> str:
    """What a form of this browser's pages must send back."""
    token = browser_token(request)
    return hmac.new(_secret(request), token.encode(), hashlib.sha256).hexdigest()


def remember(request: Request, response: Response) -> Response:
    """Set the cookie when this request created the browser's token."""
    new = getattr(request.state, "new_console_token", None)
    if new:
        response.set_cookie(
            COOKIE, new, path=COOKIE_PATH, httponly=True, samesite="strict", secure=False
        )
    return response


def is_genuine(request: Request, sent: str | None) -> bool:
    """Whether a POST comes from one of this browser's console pages."""
    token = request.cookies.get(COOKIE)
    if not token or not sent or not same_origin(request):
        return False
    expected = hmac.new(_secret(request), token.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sent)


def same_origin(request: Request) -> bool:
    """Whether the browser sent no Origin or this console's own."""
    origin = request.headers.get("origin")
    return not origin or origin == f"{request.url.scheme}://{request.url.netloc}"
