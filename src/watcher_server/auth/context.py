"""The key the current request was authenticated with, for the console's templates.

Set by the access control middleware around the rest of the request (same task, so the
route and its rendering see it); None when auth is off.
"""

from contextvars import ContextVar

from watcher_server.auth.service import KeyState

current_key: ContextVar[KeyState | None] = ContextVar("current_key", default=None)
