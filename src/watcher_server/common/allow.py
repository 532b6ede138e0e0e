"""The `Allow` header of a 405 answer: every method some route serves at the request's path."""

from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Starlette's router answers 405 from the first route whose path matches, so its `Allow`
    names that route's methods only; a path served by three routes needs all three."""
    routes = request.app.router.routes
    served = [m for m in _METHODS if any(_serves(route, request.scope, m) for route in routes)]
    return ", ".join(served)


def _serves(route: BaseRoute, scope: Scope, method: str) -> bool:
    match, _ = route.matches({**scope, "method": method})
    return match is Match.FULL
