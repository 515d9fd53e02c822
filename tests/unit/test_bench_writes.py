"""Gathered writes (what makes replay fast) leave the same rows as writing event after event."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, PrimaryKeyConstraint, String, Table, select
from sqlalchemy.ext.asyncio import create_async_engine

from ess_core.messaging.view_idiom import (
    InsertIgnore,
    Replace,
    Update,
    Upsert,
    Write,
    execute_waves,
    execute_writes,
    gather,
)

toy = MetaData()
state = Table(
    "toy_state",
    toy,
    Column("owner", String(16), nullable=False),
    Column("item", Integer, nullable=False),
    Column("value", Integer, nullable=False),
    Column("note", String(16), nullable=False),
    PrimaryKeyConstraint("owner", "item"),
)
log = Table("toy_log", toy, Column("entry", String(32), primary_key=True), Column("owner", String(16)))
line = Table(
    "toy_line",
    toy,
    Column("owner", String(16), nullable=False),
    Column("item", Integer, nullable=False),
    Column("code", String(8), nullable=False),
    Column("amount", Integer, nullable=False),
    PrimaryKeyConstraint("owner", "item", "code"),
)

Step = tuple[str, Sequence[Write]]  # (issuer, writes of one event)


def _event(rnd: random.Random, owner: str, n: int, partial: bool) -> Sequence[Write]:
    """Writes like a view's: rows keyed by their owner (the issuer), several kinds, sometimes the same
    row twice in one event, always in an order that matters; `partial`: some updates name part of the
    key (the owner's rows), which `gather` takes as writing the whole table."""
    item = rnd.randrange(3)
    kind = rnd.randrange(4)
    entry = InsertIgnore(log, [{"entry": f"{owner}-{n}", "owner": owner}], ("entry",))
    if kind == 0:
        return [
            entry,
            Upsert(state, [{"owner": owner, "item": item, "value": n, "note": "up"}], ("owner", "item")),
        ]
    if kind == 1:
        return [Update(state, {"owner": owner, "item": item}, {"value": n, "note": "set"}), entry]
    if kind == 2:
        row = {"owner": owner, "item": item, "value": -n, "note": "first"}
        return [
            InsertIgnore(state, [row, {**row, "value": n}]),
            Update(state, {"owner": owner} if partial else {"owner": owner, "item": item}, {"note": f"n{n}"}),
        ]
    rows = [
        {"owner": owner, "item": item, "value": n, "note": "a"},
        {"owner": owner, "item": item, "value": n + 1, "note": "b"},
    ]
    return [Upsert(state, rows, ("owner", "item")), entry]


def _batch(seed: int, issuers: int, partial: bool) -> list[Step]:
    rnd = random.Random(seed)
    owners = [f"o{i}" for i in range(issuers)]
    return [(owner, _event(rnd, owner, n, partial)) for n, owner in enumerate(rnd.choices(owners, k=120))]


async def _rows(url: str, steps: list[Step], gathered: str) -> tuple[list[Any], int]:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(toy.create_all)
    sent = 0
    async with engine.begin() as conn:
        if gathered == "rows":  # what the runner does
            sent = await execute_waves(conn, gather(writes for _, writes in steps))
        elif gathered == "issuers":  # the k-th event of each issuer in wave k
            count: dict[str, int] = {}
            waves = []
            for owner, writes in steps:
                count[owner] = count.get(owner, -1) + 1
                waves.append((count[owner], writes))
            sent = await execute_waves(conn, waves)
        else:
            for _, writes in steps:
                await execute_writes(conn, writes)
    async with engine.connect() as conn:
        tables = (state, log, line)
        rows = [list(await conn.execute(select(t).order_by(*t.primary_key.columns))) for t in tables]
    await engine.dispose()
    return rows, sent


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("issuers", [3, 60])
@pytest.mark.parametrize("how", ["rows", "issuers"])
@pytest.mark.parametrize("partial", [True, False])
async def test_gathered_writes_leave_the_rows_of_one_event_after_another(
    tmp_path: Path, seed: int, issuers: int, how: str, partial: bool
) -> None:
    steps = _batch(seed, issuers, partial)
    one_by_one, _ = await _rows(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", steps, gathered="none")
    gathered, sent = await _rows(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", steps, gathered=how)
    assert gathered == one_by_one
    if issuers > 20 and not (
        how == "rows" and partial
    ):  # the point, with many issuers a batch: far fewer statements than writes
        assert sent < sum(len(w) for _, w in steps) / 3


def _lines(seed: int, issuers: int) -> list[Step]:
    """Events that set an act's child lines again (`Replace`), sometimes to none, with an upsert beside."""
    rnd = random.Random(seed)
    steps: list[Step] = []
    for n, owner in enumerate(rnd.choices([f"o{i}" for i in range(issuers)], k=150)):
        item = rnd.randrange(3)
        codes = rnd.sample(["a", "b", "c", "d"], rnd.randrange(4))
        lines = [{"code": code, "amount": n} for code in codes]
        upsert = Upsert(state, [{"owner": owner, "item": item, "value": n, "note": "act"}], ("owner", "item"))
        steps.append((owner, [upsert, Replace(line, {"owner": owner, "item": item}, lines)]))
    return steps


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("issuers", [2, 60])
async def test_replaced_child_rows_gathered_end_as_one_event_after_another(
    tmp_path: Path, seed: int, issuers: int
) -> None:
    steps = _lines(seed, issuers)
    one_by_one, _ = await _rows(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", steps, gathered="none")
    gathered, sent = await _rows(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", steps, gathered="rows")
    assert gathered == one_by_one and gathered[2]
    if issuers > 20:
        assert sent < sum(len(w) for _, w in steps) / 3


def test_a_table_replaced_and_written_otherwise_in_one_batch_is_refused() -> None:
    replace = Replace(line, {"owner": "o1", "item": 1}, [{"code": "a", "amount": 1}])
    upsert = Upsert(line, [{"owner": "o1", "item": 1, "code": "a", "amount": 2}], ("owner", "item", "code"))
    with pytest.raises(ValueError, match="toy_line is written with Replace and with other writes"):
        gather([[replace], [upsert]])
