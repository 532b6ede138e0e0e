"""Configuration from the environment and `.env`, compatible with the original Watcher's variables.

`ENV_STATE=dev|test|prod` makes `DEV_`/`TEST_`/`PROD_`-prefixed variables win over unprefixed ones.
"""

import os
from typing import Annotated, Literal

from croniter import croniter
from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from watcher_server.auth.tokens import looks_like_token
from watcher_server.db.url import normalize_database_url, parse_database_url
from watcher_server.maintenance.limits import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MAX_RETENTION_DAYS,
    MIN_KIND_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
)

EnvState = Literal["dev", "test", "prod"]
AuthMode = Literal["required", "off"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["json", "text"]
MAX_WORKERS = 256
WorkerCount = Annotated[int, Field(ge=1, le=MAX_WORKERS)] | Literal["auto"]
MAX_LOOKBACK_MINUTES = 366 * 24 * 60
# A kind's own log cleanup retention; unset (or empty) keeps it as long as runs.
KindRetentionSetting = (
    Annotated[int, Field(ge=MIN_KIND_RETENTION_DAYS, le=MAX_RETENTION_DAYS)] | None
)


class Settings(BaseSettings):
    """Every setting Watcher reads; see `.env.example` for what each one does."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    env_state: EnvState | None = None
    database_url: str = "sqlite:///watcher.db"
    database_pool_size: int = Field(default=20, ge=1, le=200)
    # SQLite: how long a write waits for another process's write lock before answering 503.
    database_busy_timeout_seconds: float = Field(default=30, ge=0, le=3600)
    # DATABASE_URL names a transaction pooler (PgBouncer), not PostgreSQL itself (db/database.py).
    database_pgbouncer: bool = False
    slack_webhook_url: AnyHttpUrl | None = None
    log_level: LogLevel = "INFO"
    # json | text; unset: text when stderr is a terminal, JSON lines otherwise.
    watcher_log_format: LogFormat | None = None
    # One log line per request (method, route, status, duration), off by default.
    watcher_access_log: bool = False
    # GET /metrics and the per-request measurements; false removes both.
    watcher_metrics: bool = True
    # Processes `watcher serve` runs on one port: a number or "auto" (one per core).
    watcher_workers: WorkerCount = 1
    watcher_auto_create_anomaly_detection_rules: bool = False
    # How often the anomaly detection job looks for successful runs to test (seconds).
    watcher_anomaly_detection_poll_seconds: float = Field(default=0.5, ge=0.05, le=60)
    # load_lineage of new pipelines. etl-watcher-sdk 0.1.43 crashes on its first sync of a
    # pipeline that declares no lineage when this is true; see .env.example.
    watcher_default_load_lineage: bool = True
    # Caps of GET /lineage/{address_id}: deeper or larger graphs are cut and marked truncated.
    watcher_lineage_max_depth: int = Field(default=50, ge=1, le=10_000)
    watcher_lineage_max_nodes: int = Field(default=2_000, ge=1, le=1_000_000)
    # An end this much before its run's start (a caller's clock behind the server's, which
    # chose the start) ends the run at its start instead of being refused; 0 refuses them all.
    watcher_end_before_start_tolerance_seconds: float = Field(default=300, ge=0, le=86_400)
    watcher_timeliness_check_lookback_minutes: int = Field(
        default=60, ge=5, le=MAX_LOOKBACK_MINUTES
    )
    # Five-field cron (UTC); empty turns the scheduled check off.
    watcher_timeliness_check_schedule: str | None = "*/15 * * * *"
    watcher_freshness_check_schedule: str | None = "0 * * * *"
    # The scheduler and the alert delivery loop run inside `watcher serve` unless this is false
    # (then run them with `watcher jobs run`).
    watcher_background_jobs: bool = True
    watcher_alert_webhook_url: AnyHttpUrl | None = None
    watcher_alert_webhook_secret: SecretStr | None = None
    # Signs the web console's form tokens (docs/console.md); set it when several processes
    # serve the console, so that a form one of them rendered is accepted by the others.
    watcher_console_secret: SecretStr | None = None
    # Access control (docs/access-control.md). Unset: `watcher serve` requires keys unless it
    # listens on a loopback address only; an app built without it (tests) has it off.
    watcher_auth: AuthMode | None = None
    # A token (wat_...) that becomes an admin key at start-up, for containers.
    watcher_bootstrap_admin_key: SecretStr | None = None
    # Wrong keys a client address may send per minute before it is answered 429.
    watcher_auth_failures_per_minute: int = Field(default=20, ge=1, le=1_000_000)
    # How long a console sign-in lasts.
    watcher_console_session_hours: float = Field(default=12, gt=0, le=24 * 366)
    watcher_alert_poll_seconds: float = Field(default=2.0, ge=0.05, le=60)
    watcher_alert_retry_max_seconds: float = Field(default=60.0, ge=0.1, le=3600)
    watcher_alert_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Scheduled log cleanup: off unless a schedule is set; see .env.example.
    watcher_log_cleanup_schedule: str | None = None
    watcher_log_cleanup_retention_days: int = Field(
        default=365, ge=MIN_RETENTION_DAYS, le=MAX_RETENTION_DAYS
    )
    watcher_log_cleanup_timeliness_log_retention_days: KindRetentionSetting = None
    watcher_log_cleanup_freshness_log_retention_days: KindRetentionSetting = None
    watcher_log_cleanup_anomaly_result_retention_days: KindRetentionSetting = None
    watcher_log_cleanup_alert_retention_days: KindRetentionSetting = None
    watcher_log_cleanup_batch_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1, le=MAX_BATCH_SIZE)
    # Accepted so existing deployments keep starting; Watcher has no Celery or Redis to watch.
    watcher_celery_queue_health_check_schedule: str | None = None
    redis_url: str | None = None
    profiling_enabled: bool = False
    # Exports traces (OTLP/HTTP) of requests and their database statements; see
    # docs/operations.md.
    open_telemetry_flag: bool = False
    open_telemetry_trace_endpoint: str | None = None
    open_telemetry_log_endpoint: str | None = None
    open_telemetry_authorization_token: str | None = None
    logfire_token: str | None = None
    logfire_console: bool | None = None

    @field_validator("env_state", "watcher_auth", "watcher_workers", mode="before")
    @classmethod
    def _lower_choice(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("watcher_bootstrap_admin_key")
    @classmethod
    def _check_bootstrap_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not looks_like_token(value.get_secret_value()):
            raise ValueError(
                "must be a token: wat_ and at least 32 letters, digits, - or _ "
                "(e.g. wat_ and the output of `openssl rand -hex 32`)"
            )
        return value

    @field_validator("watcher_log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        return (value.strip().lower() or None) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        normalize_database_url(value)  # raises ValueError with the reason
        return value

    @field_validator("database_pgbouncer")
    @classmethod
    def _pgbouncer_needs_postgresql(cls, value: bool, info: ValidationInfo) -> bool:
        url = info.data.get("database_url")
        if value and url is not None and parse_database_url(url).get_backend_name() != "postgresql":
            raise ValueError("PgBouncer stands in front of PostgreSQL; DATABASE_URL is not one")
        return value

    @field_validator("watcher_timeliness_check_schedule", "watcher_freshness_check_schedule")
    @classmethod
    def _check_cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a five-field cron expression")
        return value

    # An empty variable is unset: a schedule is then off, the others take their default.
    @field_validator(
        "watcher_auth",
        "watcher_bootstrap_admin_key",
        "watcher_timeliness_check_schedule",
        "watcher_freshness_check_schedule",
        "watcher_log_cleanup_schedule",
        "watcher_log_cleanup_timeliness_log_retention_days",
        "watcher_log_cleanup_freshness_log_retention_days",
        "watcher_log_cleanup_anomaly_result_retention_days",
        "watcher_log_cleanup_alert_retention_days",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("watcher_log_cleanup_schedule")
    @classmethod
    def _check_optional_cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a five-field cron expression (or empty: off)")
        return value

    @property
    def async_database_url(self) -> str:
        return normalize_database_url(self.database_url)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        prefix = _env_state_prefix()
        if prefix is None:
            return init_settings, env_settings, dotenv_settings, file_secret_settings
        return (
            init_settings,
            EnvSettingsSource(settings_cls, env_prefix=prefix, case_sensitive=False),
            env_settings,
            DotEnvSettingsSource(settings_cls, env_prefix=prefix, case_sensitive=False),
            dotenv_settings,
            file_secret_settings,
        )


def _env_state_prefix() -> str | None:
    """The prefix ENV_STATE selects, read from the environment first and then `.env`."""
    state = os.environ.get("ENV_STATE")
    if state is None:
        state = DotEnvSettingsSource(Settings, case_sensitive=False).env_vars.get("env_state")
    if not state or state.strip().lower() not in ("dev", "test", "prod"):
        return None  # an invalid value is reported by the env_state field itself
    return f"{state.strip().upper()}_"


class SettingsError(Exception):
    """A setting has a value Watcher cannot use; the message names the variable."""


def load_settings() -> Settings:
    """Read settings, turning a validation failure into one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"invalid setting {variable}: {error['msg']}")
        raise SettingsError("; ".join(lines)) from None
