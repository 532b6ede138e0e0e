"""Turn the database URLs users write into the async-driver URLs SQLAlchemy needs."""

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
_ALIASES = {"postgres": "postgresql"}


def parse_database_url(url: str) -> URL:
    """Parse `url`, picking asyncpg or aiosqlite when no driver (or a sync one) is named."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ValueError(
            "expected a URL such as sqlite:///watcher.db or postgresql://user@host:5432/db"
        ) from None
    backend = _ALIASES.get(parsed.get_backend_name(), parsed.get_backend_name())
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}; use sqlite or postgresql")
    parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    if backend == "postgresql" and "sslmode" in parsed.query:
        # libpq spells it sslmode; asyncpg accepts the same values under the name ssl.
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed


def normalize_database_url(url: str) -> str:
    """The async URL as a string, password included (it is handed to the engine only)."""
    return parse_database_url(url).render_as_string(hide_password=False)
