"""The `watcher` command: serve the API, migrate the database, print the version."""

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from watcher_server import __version__
from watcher_server.maintenance.limits import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MAX_RETENTION_DAYS,
    MIN_KIND_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
)
from watcher_server.settings import (
    MAX_WORKERS,
    Settings,
    SettingsError,
    WorkerCount,
    load_settings,
)

app = typer.Typer(help="Watcher: metadata for your data pipelines.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
jobs_app = typer.Typer(
    help="Background jobs: scheduled checks, alert delivery.", no_args_is_help=True
)
app.add_typer(jobs_app, name="jobs")
keys_app = typer.Typer(help="API keys (docs/access-control.md).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _configure_logging(settings: Settings) -> None:
    from watcher_server.observability.logs import configure_logging

    configure_logging(settings.log_level, settings.watcher_log_format)


def _parse_workers(value: str | None) -> WorkerCount | None:
    if value is None:
        return None
    try:
        return TypeAdapter(WorkerCount).validate_python(value.strip().lower())
    except ValidationError:
        raise typer.BadParameter(f"a number from 1 to {MAX_WORKERS}, or auto") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[
        str | None,  # a WorkerCount once its callback has checked it
        typer.Option(
            help="Processes serving the port: a number, or auto (one per core). "
            "Default: WATCHER_WORKERS, else 1.",
            callback=_parse_workers,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (the database must be migrated first).

    API keys are required unless WATCHER_AUTH=off or the host is a loopback address.
    """
    import uvicorn

    from watcher_server.auth.console import refusal_to_serve
    from watcher_server.auth.modes import resolved_for_host
    from watcher_server.serving import shared_by_workers, worker_count

    settings = resolved_for_host(_settings(), host)
    count = worker_count(workers or settings.watcher_workers)
    _require_migrated(settings)
    if refusal := refusal_to_serve(settings):
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(1)
    _configure_logging(settings)
    # Decided once, here, where the host is known; the workers inherit it.
    os.environ["WATCHER_AUTH"] = settings.watcher_auth or "off"
    with shared_by_workers(settings):
        uvicorn.run(
            "watcher_server.app:create_served_app",
            factory=True,
            workers=count,
            host=host,
            port=port,
            log_config=None,
            log_level=settings.log_level.lower(),
            access_log=False,
        )


def _migrated_settings() -> Settings:
    settings = _settings()
    _require_migrated(settings)
    return settings


@contextmanager
def _key_errors() -> Iterator[None]:
    """A key command that fails prints one line and exits 1."""
    from watcher_server.auth.console import KeysFailed

    try:
        yield
    except KeysFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option(help="A unique name, e.g. the client's: airflow.")],
    scope: Annotated[str, typer.Option(help="read, write or admin.")],
    expires_in: Annotated[
        str | None, typer.Option(help="Lifetime, e.g. 90d, 12h, 30m (default: never expires).")
    ] = None,
) -> None:
    """Create a key and print its token (shown this once: Watcher keeps only its hash)."""
    from watcher_server.auth import console

    with _key_errors():
        token = console.create(_migrated_settings(), name, scope, expires_in)
    typer.echo(token)
    typer.echo(f"key {name!r} created with scope {scope}: store the token now", err=True)


@keys_app.command("list")
def list_keys() -> None:
    """List the keys: name, scope, created, expires, last used, revoked (never a token)."""
    from watcher_server.auth import console

    with _key_errors():
        typer.echo(console.list_table(_migrated_settings()))


@keys_app.command("revoke")
def revoke_key(
    name_or_id: Annotated[str, typer.Argument(metavar="NAME_OR_ID", help="The key's name or id.")],
) -> None:
    """Revoke a key: every Watcher process refuses it within a second."""
    from watcher_server.auth import console

    with _key_errors():
        typer.echo(console.revoke(_migrated_settings(), name_or_id))


@jobs_app.command("run")
def run_jobs(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="WATCHER_JOBS_METRICS_PORT",
            min=1,
            max=65535,
            help="Serve these jobs' Prometheus metrics on this port (GET /metrics).",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(envvar="HOST", help="Interface the metrics port listens on.")
    ] = "127.0.0.1",
) -> None:
    """Run the scheduled checks and the alert delivery in this process, without the HTTP API.

    For deployments that set WATCHER_BACKGROUND_JOBS=false on their API processes. Stops on
    Ctrl-C or SIGTERM.
    """
    from watcher_server.jobs.standalone import run_until_stopped

    settings = _settings()
    _configure_logging(settings)
    _require_migrated(settings)
    metrics_address = (host, metrics_port) if metrics_port is not None else None
    asyncio.run(run_until_stopped(settings, metrics_address))


def _require_migrated(settings: Settings) -> None:
    from watcher_server.db import migrate

    current, head = migrate.current_revision(settings.database_url), migrate.head_revision()
    if current != head:
        typer.echo(
            f"error: the database is at revision {current or 'none'}, this Watcher needs {head}; "
            "run `watcher db upgrade` first",
            err=True,
        )
        raise typer.Exit(1)


def _migrate(step: Callable[[str, str], None], revision: str) -> None:
    """Run an upgrade or downgrade; an unknown or unreachable revision is one line, exit 2."""
    from alembic.util import CommandError

    try:
        step(_settings().database_url, revision)
    except CommandError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@db_app.command()
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database up to `revision` (default: the latest)."""
    from watcher_server.db import migrate

    _migrate(migrate.upgrade, revision)
    typer.echo(f"database at revision {migrate.current_revision(_settings().database_url)}")


@db_app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")]) -> None:
    """Migrate the database down to `revision` (`base` removes every Watcher table)."""
    from watcher_server.db import migrate

    _migrate(migrate.downgrade, revision)
    typer.echo(
        f"database at revision {migrate.current_revision(_settings().database_url) or 'base'}"
    )


@db_app.command()
def current() -> None:
    """Print the database's revision and the latest one this Watcher knows."""
    from watcher_server.db import migrate

    settings = _settings()
    typer.echo(
        f"current: {migrate.current_revision(settings.database_url) or 'none'}\n"
        f"head: {migrate.head_revision()}"
    )


def _kind_days(deleted: str) -> typer.models.OptionInfo:
    """The option of a kind's own retention: `deleted` says which of its rows go."""
    return typer.Option(
        min=MIN_KIND_RETENTION_DAYS,
        max=MAX_RETENTION_DAYS,
        help=f"Delete {deleted} (at least 1; default: --retention-days).",
    )


@app.command()
def cleanup(
    retention_days: Annotated[
        int,
        typer.Option(
            min=MIN_RETENTION_DAYS,
            max=MAX_RETENTION_DAYS,
            help="Delete runs that started more than this many days ago (at least 90).",
        ),
    ],
    timeliness_log_retention_days: Annotated[
        int | None,
        _kind_days(
            "timeliness log rows written more than this many days ago, once their run ended"
        ),
    ] = None,
    freshness_log_retention_days: Annotated[
        int | None, _kind_days("resolved freshness episodes begun more than this many days ago")
    ] = None,
    anomaly_result_retention_days: Annotated[
        int | None, _kind_days("anomaly results detected more than this many days ago")
    ] = None,
    alert_retention_days: Annotated[
        int | None,
        _kind_days("delivered or undeliverable alerts raised more than this many days ago"),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH_SIZE, help="Most rows per committed transaction.")
    ] = DEFAULT_BATCH_SIZE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as POST /log_cleanup answers it.")
    ] = False,
) -> None:
    """Delete old runs and expired logs in batches, as POST /log_cleanup does."""
    from watcher_server.maintenance.console import CleanupFailed, run_cleanup
    from watcher_server.maintenance.retention import Retention

    retention = Retention(
        retention_days,
        timeliness_log=timeliness_log_retention_days,
        freshness_log=freshness_log_retention_days,
        anomaly_result=anomaly_result_retention_days,
        alert=alert_retention_days,
    )
    try:
        run_cleanup(_settings(), retention, batch_size, dry_run=dry_run, as_json=as_json)
    except CleanupFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def version() -> None:
    """Print Watcher's version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
