"""The directory of support networks in intake's tables."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_intake.adapters.tables import network
from ess_intake.domain.orientation import NetworkProfile
from ess_intake.domain.requests import NetworkInput


def _csv(values: tuple[str, ...]) -> str:
    return ",".join(values)


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split(",")) if value else ()


def entry_columns(entry: NetworkInput) -> dict[str, object]:
    return {
        "name": entry.name,
        "siret": entry.siret,
        "stages": _csv(entry.stages),
        "needs": _csv(entry.needs),
        "departments": _csv(entry.departments),
        "account": entry.account,
        "email": entry.email,
    }


async def exists(conn: AsyncConnection, network_id: str) -> bool:
    return (
        await conn.scalar(select(network.c.network_id).where(network.c.network_id == network_id)) is not None
    )


async def insert_network(conn: AsyncConnection, network_id: str, entry: NetworkInput, on: str) -> None:
    row = {
        "network_id": network_id,
        **entry_columns(entry),
        "active": True,
        "registered_on": on,
        "updated_on": on,
    }
    await conn.execute(insert(network).values(row))


async def update_network(
    conn: AsyncConnection, network_id: str, entry: NetworkInput, active: bool, on: str
) -> None:
    values = {**entry_columns(entry), "active": active, "updated_on": on}
    await conn.execute(update(network).where(network.c.network_id == network_id).values(values))


_ACTIVE = select(network).where(network.c.active.is_(True))  # built once (see adapters/projects.py)


async def profiles(conn: AsyncConnection) -> list[NetworkProfile]:
    """The active networks, with what orienting to them and telling them needs (one read per act)."""
    rows = (await conn.execute(_ACTIVE)).mappings()
    return [_profile(r) for r in rows]


def _profile(row: RowMapping) -> NetworkProfile:
    return NetworkProfile(
        network_id=row["network_id"],
        stages=frozenset(_split(row["stages"])),
        needs=frozenset(_split(row["needs"])),
        departments=frozenset(_split(row["departments"])),
        active=row["active"],
        name=row["name"],
        email=row["email"],
    )


async def ids_for_account(conn: AsyncConnection, account: str) -> list[str]:
    """The networks a token subject answers for (usually one)."""
    query = select(network.c.network_id).where(network.c.account == account).order_by(network.c.network_id)
    return list(await conn.scalars(query))


async def read_all(conn: AsyncConnection, network_id: str | None = None) -> list[dict[str, object]]:
    query = select(network).order_by(network.c.network_id)
    if network_id is not None:
        query = query.where(network.c.network_id == network_id)
    rows = (await conn.execute(query)).mappings()
    return [
        {
            **r,
            "stages": _split(r["stages"]),
            "needs": _split(r["needs"]),
            "departments": _split(r["departments"]),
        }
        for r in rows
    ]
