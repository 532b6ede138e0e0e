"""What routes receive from the application: the database, the clock and the settings.

The providers are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
thread, and that hop (per dependency, per request) cost more than the rest of a health check.
"""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from watcher_server.common.schemas import Page, page_params
from watcher_server.db import Database
from watcher_server.settings import Settings


async def _database(request: Request) -> Database:
    return request.app.state.database


async def _now(request: Request) -> datetime:
    return request.app.state.clock()


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


DatabaseDep = Annotated[Database, Depends(_database)]
NowDep = Annotated[datetime, Depends(_now)]
SettingsDep = Annotated[Settings, Depends(_settings)]
PageDep = Annotated[Page, Depends(page_params)]
