"""Configuration is read the way the original Watcher's deployments expect."""

from pathlib import Path

import pytest

from watcher_server.db.url import normalize_database_url
from watcher_server.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts with no Watcher variables and no .env in the working directory."""
    import os

    for name in list(os.environ):
        if (
            name.upper().endswith(("DATABASE_URL", "LOG_LEVEL", "SLACK_WEBHOOK_URL", "ENV_STATE"))
            or "WATCHER_" in name.upper()
        ):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///watcher.db", "sqlite+aiosqlite:///watcher.db"),
        ("sqlite+aiosqlite:////var/lib/w.db", "sqlite+aiosqlite:////var/lib/w.db"),
        ("postgresql://u:p@db:5432/w", "postgresql+asyncpg://u:p@db:5432/w"),
        ("postgres://u@db/w", "postgresql+asyncpg://u@db/w"),
        ("postgresql+psycopg2://u@db/w", "postgresql+asyncpg://u@db/w"),
        ("postgresql+asyncpg://u@db/w", "postgresql+asyncpg://u@db/w"),
        ("postgresql://u@db/w?sslmode=require", "postgresql+asyncpg://u@db/w?ssl=require"),
    ],
)
def test_database_urls_get_an_async_driver(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def test_defaults_need_no_setup() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///watcher.db"
    assert settings.watcher_timeliness_check_schedule == "*/15 * * * *"
    assert settings.watcher_freshness_check_schedule == "0 * * * *"
    assert settings.watcher_timeliness_check_lookback_minutes == 60
    assert settings.log_level == "INFO"


def test_env_state_prefers_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV_STATE", "Prod")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///plain.db")
    monkeypatch.setenv("PROD_DATABASE_URL", "postgresql://u@prod/w")
    monkeypatch.setenv("DEV_DATABASE_URL", "sqlite:///dev.db")
    monkeypatch.setenv("LOG_LEVEL", "debug")  # no PROD_ value: falls back to the plain one

    settings = load_settings()

    assert settings.database_url == "postgresql://u@prod/w"
    assert settings.log_level == "DEBUG"


def test_dotenv_is_read_with_the_same_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text(
        "ENV_STATE=dev\nDEV_SLACK_WEBHOOK_URL=https://hooks.example/dev\n"
        "WATCHER_AUTO_CREATE_ANOMALY_DETECTION_RULES=true\n"
    )
    settings = load_settings()
    assert str(settings.slack_webhook_url) == "https://hooks.example/dev"
    assert settings.watcher_auto_create_anomaly_detection_rules is True

    monkeypatch.setenv("DEV_SLACK_WEBHOOK_URL", "https://hooks.example/from-env")
    assert str(load_settings().slack_webhook_url) == "https://hooks.example/from-env"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://u@h/db"),
        ("DATABASE_URL", "not a url"),
        ("WATCHER_TIMELINESS_CHECK_SCHEDULE", "every minute"),
        ("WATCHER_TIMELINESS_CHECK_LOOKBACK_MINUTES", "2"),
        ("LOG_LEVEL", "chatty"),
        ("WATCHER_LOG_FORMAT", "xml"),
        ("WATCHER_WORKERS", "0"),
        ("WATCHER_WORKERS", "many"),
        ("ENV_STATE", "staging"),
        ("SLACK_WEBHOOK_URL", "not-a-url"),
        ("WATCHER_AUTO_CREATE_ANOMALY_DETECTION_RULES", "maybe"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"invalid setting {variable}:")
    assert "\n" not in message


def test_pgbouncer_is_refused_in_front_of_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///watcher.db")
    monkeypatch.setenv("DATABASE_PGBOUNCER", "true")
    with pytest.raises(SettingsError, match=r"invalid setting DATABASE_PGBOUNCER: .*PostgreSQL"):
        load_settings()
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@bouncer:6432/w")
    assert load_settings().database_pgbouncer is True


@pytest.mark.parametrize(("value", "expected"), [(" 4 ", 4), ("AUTO", "auto"), ("1", 1)])
def test_workers_are_a_number_or_auto(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: object
) -> None:
    monkeypatch.setenv("WATCHER_WORKERS", value)
    assert load_settings().watcher_workers == expected
