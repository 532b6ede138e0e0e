"""The console's sign-in: a session cookie naming the key it was opened with.

The cookie holds the key's id, signed and timed by itsdangerous under the console's secret
(ui/csrf.py); it proves nothing by itself: every request looks the key up again (at most a
second old, auth/verifier.py), so revoking the key ends its sessions.
"""

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import cookie_parser
from starlette.responses import Response

COOKIE = "watcher_session"
COOKIE_PATH = "/ui"
_SALT = "watcher-console-session"


class ConsoleSessions:
    """Opens and reads session cookies that last `lifetime_seconds`."""

    def __init__(self, secret: bytes, lifetime_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.lifetime_seconds = lifetime_seconds

    def open(self, response: Response, key_id: int, *, https: bool) -> None:
        """Set the cookie of a session of key `key_id` on `response`."""
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(key_id),
            max_age=self.lifetime_seconds,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=https,
        )

    def key_id(self, cookie_header: str) -> int | None:
        """The key of the session a Cookie header carries, unless absent, forged or expired."""
        value = cookie_parser(cookie_header).get(COOKIE)
        if not value:
            return None
        try:
            key_id = self._serializer.loads(value, max_age=self.lifetime_seconds)
        except BadSignature:  # SignatureExpired is one
            return None
        return key_id if isinstance(key_id, int) else None


def close(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
