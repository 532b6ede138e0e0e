"""HTTP routes of /api_key (admin keys only: see auth/scopes.py)."""

from fastapi import APIRouter

from watcher_server.auth import service
from watcher_server.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from watcher_server.common.responses import errors
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, NowDep

router = APIRouter(tags=["access"])


@router.post("/api_key", status_code=201, response_model=ApiKeyCreated, responses=errors(409))
async def create_api_key(body: ApiKeyCreate, db: DatabaseDep, now: NowDep) -> ApiKeyCreated:
    """Create a key; the answer holds its token, which is never shown again.

    Without `expires_at` or `expires_in` the key never expires; names are unique (409).
    """
    created = await service.create_key(db, body, now)
    return ApiKeyCreated(**ApiKeyOut.model_validate(created.row).model_dump(), token=created.token)


@router.get("/api_key", response_model=list[ApiKeyOut])
async def list_api_keys(db: DatabaseDep) -> list[ApiKeyOut]:
    """Every key, revoked and expired ones included, by id; never a token."""
    return [ApiKeyOut.model_validate(row) for row in await service.list_keys(db)]


@router.delete("/api_key/{key_id}", response_model=ApiKeyOut, responses=errors(404))
async def revoke_api_key(key_id: Id, db: DatabaseDep, now: NowDep) -> ApiKeyOut:
    """Revoke a key: within a second no process accepts it (its row is kept, for the record)."""
    return ApiKeyOut.model_validate(await service.revoke_key(db, key_id, now))
