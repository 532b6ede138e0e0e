"""What access control keeps per process: the key cache, the failure counts, the sessions."""

from dataclasses import dataclass

from watcher_server.auth.throttle import FailureThrottle
from watcher_server.auth.verifier import KeyVerifier
from watcher_server.clock import Clock
from watcher_server.db import Database
from watcher_server.settings import Settings
from watcher_server.ui.csrf import console_secret
from watcher_server.ui.session import ConsoleSessions


@dataclass(frozen=True)
class Gate:
    verifier: KeyVerifier
    throttle: FailureThrottle
    sessions: ConsoleSessions

    @classmethod
    def build(cls, settings: Settings, database: Database, clock: Clock) -> "Gate":
        return cls(
            KeyVerifier(database, clock),
            FailureThrottle(settings.watcher_auth_failures_per_minute),
            ConsoleSessions(
                console_secret(settings), round(settings.watcher_console_session_hours * 3600)
            ),
        )
