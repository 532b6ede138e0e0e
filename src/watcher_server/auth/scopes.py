"""Which scope a request needs, from its method and path alone.

The rule is generic so that a route added later is classified without a list to keep up to
date: reading (GET, HEAD) needs `read`, any other method `write`, except the few paths below
that are open (probes, API documentation, the console's login) or need `admin`.
"""

import enum


class Scope(enum.StrEnum):
    """What a key may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: "Scope") -> bool:
        # Ranked by value: an Enum member's hash is a Python call, on every request's path.
        return _RANK[self._value_] >= _RANK[needed._value_]


_RANK = {"read": 0, "write": 1, "admin": 2}

# Probes, the API's documentation (the schema holds no data) and the console's login.
OPEN_PATHS = frozenset(
    {
        "/",
        "/health",
        "/ready",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/scalar",
        "/openapi.json",
        "/ui/login",
        "/ui/logout",
    }
)
OPEN_PREFIXES = ("/static-offline-docs/", "/scalar/assets/", "/ui/static/")
# Log cleanup deletes history; key management hands out access.
ADMIN_PATHS = frozenset({"/log_cleanup", "/api_key"})
ADMIN_PREFIXES = ("/api_key/",)
READ_METHODS = frozenset({"GET", "HEAD"})


def required_scope(method: str, path: str) -> Scope | None:
    """The scope a request needs; None when the path is open to anyone."""
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    if path in ADMIN_PATHS or path.startswith(ADMIN_PREFIXES):
        return Scope.ADMIN
    return Scope.READ if method in READ_METHODS else Scope.WRITE
