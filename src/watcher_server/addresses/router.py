"""HTTP routes of /address_type and /address."""

from fastapi import APIRouter, Response, status

from watcher_server.addresses import service
from watcher_server.addresses.schemas import (
    AddressCreate,
    AddressOut,
    AddressPatch,
    AddressTypeCreate,
    AddressTypeOut,
    AddressTypePatch,
)
from watcher_server.common.responses import errors, ok
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, NowDep, PageDep
from watcher_server.pipelines.schemas import IdOut

router = APIRouter(tags=["addresses"])


def _created_status(response: Response, created: bool) -> None:
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK


@router.post(
    "/address_type",
    status_code=201,
    response_model=IdOut,
    responses=ok(IdOut, "The type existed: nothing was created."),
)
async def create_address_type(
    body: AddressTypeCreate, response: Response, db: DatabaseDep, now: NowDep
) -> IdOut:
    """Get or create an address type by name: 201 when created, 200 when it existed."""
    type_id, created = await service.create_type(db, body, now)
    _created_status(response, created)
    return IdOut(id=type_id)


@router.get("/address_type", response_model=list[AddressTypeOut])
async def list_address_types(db: DatabaseDep, page: PageDep) -> list[AddressTypeOut]:
    """List address types by id."""
    rows = await service.list_types(db, page.limit, page.offset)
    return [AddressTypeOut.model_validate(row) for row in rows]


@router.get("/address_type/{type_id}", response_model=AddressTypeOut, responses=errors(404))
async def get_address_type(type_id: Id, db: DatabaseDep) -> AddressTypeOut:
    """One address type."""
    return AddressTypeOut.model_validate(await service.get_type(db, type_id))


@router.patch("/address_type", response_model=AddressTypeOut, responses=errors(404, 409))
async def patch_address_type(
    body: AddressTypePatch, db: DatabaseDep, now: NowDep
) -> AddressTypeOut:
    """Change an address type found by `id` or `name`."""
    return AddressTypeOut.model_validate(await service.patch_type(db, body, now))


@router.post(
    "/address",
    status_code=201,
    response_model=IdOut,
    responses=ok(IdOut, "The address existed: its declaration was synced."),
)
async def create_address(
    body: AddressCreate, response: Response, db: DatabaseDep, now: NowDep
) -> IdOut:
    """Get or create an address by name (and its type by name): 201 when created, 200 after.

    A re-post whose fields changed applies the fields it gives; for an address of group
    `database`, a `db.schema.table` name fills database_name, schema_name and table_name.
    """
    address_id, created = await service.create_address(db, body, now)
    _created_status(response, created)
    return IdOut(id=address_id)


@router.get("/address", response_model=list[AddressOut])
async def list_addresses(db: DatabaseDep, page: PageDep) -> list[AddressOut]:
    """List addresses by id."""
    rows = await service.list_addresses(db, page.limit, page.offset)
    return [AddressOut.model_validate(row) for row in rows]


@router.get("/address/{address_id}", response_model=AddressOut, responses=errors(404))
async def get_address(address_id: Id, db: DatabaseDep) -> AddressOut:
    """One address."""
    return AddressOut.model_validate(await service.get_address(db, address_id))


@router.patch("/address", response_model=AddressOut, responses=errors(404, 409))
async def patch_address(body: AddressPatch, db: DatabaseDep, now: NowDep) -> AddressOut:
    """Change an address found by `id` or `name`; any field, `address_metadata` included."""
    return AddressOut.model_validate(await service.patch_address(db, body, now))
