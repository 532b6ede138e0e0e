"""A real HTTP server, in a thread, that receives alerts and can be made to fail."""

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class AlertReceiver:
    """`with AlertReceiver() as receiver:` answers 200 and records what it accepted.

    `receiver.failing = 503` makes it answer that status (nothing is recorded as accepted);
    `receiver.stop()` / `receiver.start()` make it unreachable and reachable again.
    """

    def __init__(self) -> None:
        self.failing: int | None = None
        self.accepted: list[Received] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        server = self._server
        serve = lambda: server.serve_forever(poll_interval=0.02)  # noqa: E731 - quick shutdown
        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "AlertReceiver":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def wait_for(self, count: int, within: float) -> float:
        """Seconds until `count` requests were accepted; fails after `within` seconds."""
        started = time.monotonic()
        async with asyncio.timeout(within):
            while len(self.accepted) < count:  # noqa: ASYNC110 - another thread appends
                await asyncio.sleep(0.02)
        return time.monotonic() - started

    def accepted_on(self, path: str) -> list[Received]:
        with self._lock:
            return [request for request in self.accepted if request.path == path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    status = receiver.failing
                    if status is None:
                        headers = {name.lower(): value for name, value in self.headers.items()}
                        receiver.accepted.append(Received(self.path, headers, body))
                    else:
                        receiver.refused += 1
                self.send_response(status or 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status is None else b"no")

            def log_message(self, *args: object) -> None:
                pass  # keep test output quiet

        return Handler
