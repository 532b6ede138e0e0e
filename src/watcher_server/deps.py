"""What routes receive from the application: the database, the clock and the settings."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from watcher_server.common.schemas import Page
from watcher_server.db import Database
from watcher_server.settings import Settings


def _database(request: Request) -> Database:
    return request.app.state.database


def _now(request: Request) -> datetime:
    return request.app.state.clock()


def _settings(request: Request) -> Settings:
    return request.app.state.settings


DatabaseDep = Annotated[Database, Depends(_database)]
NowDep = Annotated[datetime, Depends(_now)]
SettingsDep = Annotated[Settings, Depends(_settings)]
PageDep = Annotated[Page, Depends()]
