"""The snapshot file, `ess-snapshot/1`: gzip of newline-delimited JSON, ASCII only.

    {"format": "ess-snapshot/1", "pilot": ..., "position": ..., "tables": {"<table>": <rows>, ...}, ...}
    {"table": "<table>", "columns": ["<column>", ...]}
    [<value>, ...]                                     one line per row, in primary-key order
    {"table": "<next table>", "columns": [...]}
    ...

Values are integers, text, booleans or null; bytes are lowercase hex text. Rows are ordered by primary key
in code point order (PostgreSQL sorts text with the "C" collation, SQLite's is binary), and the gzip
header carries no name and no time, so the same rows give the same bytes on either backend.

Writing and loading stream the rows (a thousand at a time): memory stays flat at millions of rows. Both
run inside the caller's transaction and neither begins nor commits one."""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import os
import re
import zlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Boolean, Column, Integer, LargeBinary, String, Table, func, literal, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

FORMAT = "ess-snapshot/1"
BATCH = 1000
"""Rows per fetch, per write to the file and per INSERT."""
INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
_HEX = re.compile(r"(?:[0-9a-f]{2})*")
T = TypeVar("T")


class SnapshotHeader(BaseModel):
    """The file's first line: whose views, at which stream position, under which catalogue and trust."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["ess-snapshot/1"] = "ess-snapshot/1"
    pilot: str
    service: str
    position: int = Field(ge=0, description="the stream sequence the views stand at")
    applied_events: int = Field(ge=0, description="how many events the service had applied there")
    catalogue_version: str
    trust_hash: str
    created_at: str = Field(pattern=INSTANT, description="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ")
    tables: dict[str, int] = Field(default_factory=dict, description="rows per table, set by the writer")


class SnapshotRefused(Exception):
    """A snapshot file that cannot be loaded as it is; `reason` names the line, table or column and rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def part_path(path: Path) -> Path:
    """Where a snapshot is written before it is complete (`SnapshotStore` never lists these)."""
    return path.with_name(path.name + ".part")


# Writing


async def write_snapshot(
    conn: AsyncConnection, tables: Sequence[Table], header: SnapshotHeader, path: Path
) -> SnapshotHeader:
    """Every row of `tables` as `conn`'s transaction sees them, into `path` (atomically: a reader finds
    the whole file or none). Returns the header written, with its row counts."""
    names = [table.name for table in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"a table is named twice among {names}")
    for table in tables:
        for column in table.columns:
            _kind(column)  # refuse a column type the format cannot carry before writing anything
    counts = {table.name: await _count(conn, table) for table in tables}
    written = header.model_copy(update={"tables": counts})
    part = part_path(path)
    try:
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        with part.open("wb") as raw:
            # No name, no time, one level: the same rows give the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as out:
                await _write(out, [written.model_dump_json().encode()])
                for table in tables:
                    await _write_table(conn, table, out, counts[table.name])
            await asyncio.to_thread(_sync, raw)
        await asyncio.to_thread(_publish, part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return written


async def _count(conn: AsyncConnection, table: Table) -> int:
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _write_table(conn: AsyncConnection, table: Table, out: gzip.GzipFile, expected: int) -> None:
    columns = [column.name for column in table.columns]
    await _write(out, [_line({"table": table.name, "columns": columns})])
    binary = [i for i, column in enumerate(table.columns) if _kind(column) is bytes]
    query = select(table).order_by(*_order(conn, table)).execution_options(yield_per=BATCH)
    rows = 0
    result = await conn.stream(query)
    async for partition in result.partitions(BATCH):
        await _write(out, [_line(_encoded(row, binary)) for row in partition])
        rows += len(partition)
    if rows != expected:  # the count and the rows were read in two states: no transaction was pinned
        raise RuntimeError(f"{table.name}: counted {expected} rows, read {rows}; read in one transaction")


def _order(conn: AsyncConnection, table: Table) -> list[ColumnElement[Any]]:
    """The primary key (every column for a table without one), text in code point order on both backends."""
    key = list(table.primary_key.columns) or list(table.columns)
    if conn.dialect.name != "postgresql":
        return list(key)  # SQLite compares text as bytes: UTF-8 byte order is code point order
    return [column.collate("C") if _kind(column) is str else column for column in key]


def _encoded(row: Sequence[Any], binary: list[int]) -> list[Any]:
    values = list(row)
    for i in binary:
        if values[i] is not None:
            values[i] = bytes(values[i]).hex()  # asyncpg may hand a memoryview
    return values


def _line(value: object) -> bytes:
    # ASCII only: text that is not valid UTF-8 (a lone surrogate SQLite took) still writes and reads back.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()


async def _write(out: gzip.GzipFile, lines: list[bytes]) -> None:
    data = b"".join(line + b"\n" for line in lines)
    await _in_thread(out.write, data)  # compressing is the slow part: off the event loop


async def _in_thread(call: Callable[..., T], *args: Any) -> T:
    """`call` in a thread; cancelled, it still waits for the call to end, so that the file is not closed
    under a write or read still running (the thread cannot be stopped)."""
    task = asyncio.ensure_future(asyncio.to_thread(call, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


def _sync(raw: IO[bytes]) -> None:
    raw.flush()
    os.fsync(raw.fileno())


def _publish(part: Path, path: Path) -> None:
    os.replace(part, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)


# Reading


def read_header(path: Path) -> SnapshotHeader:
    """The first line of a snapshot file, checked."""
    try:
        with gzip.open(path, "rb") as file:
            first = file.readline()
    except (OSError, EOFError, zlib.error) as e:
        raise SnapshotRefused(f"{path.name} is not a gzip file: {e}") from e
    return _header(_json(first, 1))


def _header(found: Any) -> SnapshotHeader:
    if not isinstance(found, dict):
        raise SnapshotRefused("line 1: the header must be a JSON object")
    if found.get("format") != FORMAT:
        raise SnapshotRefused(f"line 1: unknown format {found.get('format')!r}; this reader knows {FORMAT}")
    try:
        return SnapshotHeader.model_validate(found)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in e.errors())
        raise SnapshotRefused(f"line 1: the header breaks its rules: {problems}") from e


def _json(line: bytes, number: int) -> Any:
    try:
        return json.loads(line.decode())  # UTF-8 (the format is ASCII), no other encoding guessed
    except ValueError as e:  # UnicodeDecodeError and JSONDecodeError alike
        raise SnapshotRefused(f"line {number} is not JSON: {e}") from e


async def _batches(path: Path) -> AsyncGenerator[tuple[int, list[Any]]]:
    """(the number of its first line, its lines parsed), a batch of lines at a time, read off the event
    loop: a national snapshot is tens of millions of lines, each a step through here."""
    if not await asyncio.to_thread(path.is_file):
        raise SnapshotRefused(f"{path} is not a file")
    first = 1
    with gzip.open(path, "rb") as file:
        while batch := await _in_thread(_read_lines, file, path.name):
            yield first, _parsed(batch, first)
            first += len(batch)


def _parsed(batch: list[bytes], first: int) -> list[Any]:
    """Each line as JSON; a line that is not, or is cut short (only the file's last can be), refused by
    its number, the first such in the file as read line by line."""
    try:
        values = [json.loads(raw.decode()) for raw in batch]  # as `_json`, without a call a line
    except ValueError:
        values = [_checked(raw, number) for number, raw in enumerate(batch, first)]
    _checked_end(batch[-1], first + len(batch) - 1)
    return values


def _checked(raw: bytes, number: int) -> Any:
    _checked_end(raw, number)
    return _json(raw, number)


def _checked_end(raw: bytes, number: int) -> None:
    if not raw.endswith(b"\n"):
        raise SnapshotRefused(f"line {number} is cut short: the file ends inside it")


def _read_lines(file: gzip.GzipFile, name: str) -> list[bytes]:
    try:
        return [line for _, line in zip(range(BATCH), file, strict=False)]
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError; a truncated file EOFError
        raise SnapshotRefused(f"{name} is not a gzip file, or not a whole one: {e}") from e


# Loading

Decode = Callable[[Any], Any]
Loaded = Callable[[Table, list[tuple[Any, ...]]], Awaitable[None]]
"""Told of each batch of rows once inserted, in the table's columns' order (the digest ledger hashes them)."""


class _Section:
    """One table's part of the file: its columns checked, its rows decoded and inserted a batch at a time."""

    def __init__(self, table: Table, expected: int, line: int, loaded: Loaded | None) -> None:
        self.table, self.expected, self.line, self.loaded = table, expected, line, loaded
        self.columns = list(table.columns)
        self.decoders = [_decoder(column) for column in self.columns]
        # A row of these columns is valid or not by its values' types alone: the combinations of types
        # found valid are kept, and a row of one of them goes in as it is, with no decoder called.
        self.by_type = all(_kind(column) is not bytes for column in self.columns)
        self.valid_types: set[tuple[type, ...]] = set()
        self.rows = 0
        self.batch: list[tuple[Any, ...]] = []

    def add(self, values: Any, number: int) -> None:
        if type(values) is not list:
            raise SnapshotRefused(f"{self._where(number)}: a row must be a JSON array")
        if len(values) != len(self.columns):
            count = len(self.columns)
            raise SnapshotRefused(
                f"{self._where(number)}: a row of {len(values)} values, the table has {count} columns"
            )
        self.rows += 1
        if self.rows > self.expected:
            raise SnapshotRefused(f"{self._where(number)}: more rows than the header's {self.expected}")
        if self.by_type:
            types = tuple(map(type, values))
            if types in self.valid_types:
                self.batch.append(tuple(values))
                return
        try:
            self.batch.append(tuple([decode(value) for decode, value in zip(self.decoders, values)]))  # noqa: B905 (lengths checked)
            if self.by_type:
                self.valid_types.add(types)
        except ValueError:
            for column, decode, value in zip(self.columns, self.decoders, values, strict=True):
                try:
                    decode(value)
                except ValueError as e:
                    raise SnapshotRefused(f"{self._where(number)}, column {column.name}: {e}") from e
            raise

    def _where(self, number: int) -> str:
        return f"line {number} (table {self.table.name})"

    async def flush(self, conn: AsyncConnection, number: int) -> None:
        if not self.batch:
            return
        try:  # the driver's own executemany: SQLAlchemy's parameters cost more than the insert
            await conn.exec_driver_sql(_insert_sql(conn.dialect, self.table), self.batch)
        except (IntegrityError, DataError) as e:
            first = str(e.orig).strip().splitlines()[0] if e.orig else str(e)
            raise SnapshotRefused(
                f"table {self.table.name}, rows up to line {number}: the database refused them ({first})"
            ) from e
        if self.loaded is not None:
            await self.loaded(self.table, self.batch)
        self.batch = []

    async def close(self, conn: AsyncConnection, number: int) -> None:
        await self.flush(conn, number)
        if self.rows != self.expected:
            where = f"table {self.table.name} (line {self.line})"
            raise SnapshotRefused(f"{where}: {self.rows} rows, the header says {self.expected}")
        await _advance_identity(conn, self.table)


async def load_snapshot(
    conn: AsyncConnection, tables: Sequence[Table], path: Path, loaded: Loaded | None = None
) -> SnapshotHeader:
    """Insert a snapshot's rows into `tables`, which must all be empty and all be in the file, in the
    caller's transaction, telling `loaded` of each batch; a refusal leaves rows inserted: the caller rolls
    back."""
    wanted = {table.name: table for table in tables}
    for table in tables:
        if (await conn.execute(select(literal(1)).select_from(table).limit(1))).first() is not None:
            raise SnapshotRefused(f"table {table.name} is not empty: a snapshot loads into empty tables only")
    header: SnapshotHeader | None = None
    section: _Section | None = None
    seen: set[str] = set()
    number = 0
    async with aclosing(_batches(path)) as batches:
        async for first, values in batches:
            for number, value in enumerate(values, first):
                if header is None:
                    header = _checked_header(_header(value), wanted)
                elif isinstance(value, dict):
                    if section is not None:
                        await section.close(conn, number - 1)
                    section = _open(value, number, header, wanted, seen, loaded)
                elif section is None:
                    raise SnapshotRefused(f"line {number}: a row before any table line")
                else:
                    section.add(value, number)
                    if len(section.batch) >= BATCH:
                        await section.flush(conn, number)
    if header is None:
        raise SnapshotRefused(f"{path.name} is empty: no header")
    if section is not None:
        await section.close(conn, number)
    missing = sorted(set(header.tables) - seen)
    if missing:
        raise SnapshotRefused(f"the header counts rows of {missing}, the file has no such table line")
    return header


def _checked_header(header: SnapshotHeader, wanted: dict[str, Table]) -> SnapshotHeader:
    unknown = sorted(set(header.tables) - set(wanted))
    if unknown:
        raise SnapshotRefused(f"line 1: the snapshot holds {unknown}, not among the tables loaded")
    absent = sorted(set(wanted) - set(header.tables))
    if absent:
        raise SnapshotRefused(f"line 1: the snapshot holds no {absent}: every table loaded must be in it")
    return header


def _open(
    value: dict[str, Any],
    number: int,
    header: SnapshotHeader,
    wanted: dict[str, Table],
    seen: set[str],
    loaded: Loaded | None,
) -> _Section:
    if set(value) != {"table", "columns"}:
        raise SnapshotRefused(f"line {number}: a table line holds exactly 'table' and 'columns'")
    name = value["table"]
    if name not in wanted:
        raise SnapshotRefused(f"line {number}: table {name!r} is not among the tables loaded")
    if name not in header.tables:
        raise SnapshotRefused(f"line {number}: table {name!r} is not counted in the header")
    if name in seen:
        raise SnapshotRefused(f"line {number}: table {name!r} appears twice")
    seen.add(name)
    table = wanted[name]
    columns = [column.name for column in table.columns]
    if value["columns"] != columns:
        raise SnapshotRefused(
            f"line {number}: table {name} has columns {value['columns']}, the database's are {columns}"
        )
    return _Section(table, header.tables[name], number, loaded)


async def _advance_identity(conn: AsyncConnection, table: Table) -> None:
    """PostgreSQL: an identity or serial key given explicit values stays behind them; move it past the
    highest, or the next row the service writes would collide (SQLite takes max + 1 by itself)."""
    column = table.autoincrement_column
    if conn.dialect.name != "postgresql" or column is None:
        return
    highest = select(func.max(column)).scalar_subquery()
    sequence = func.pg_get_serial_sequence(table.name, column.name)
    await conn.execute(select(func.setval(sequence, highest)).where(highest.is_not(None)))


# Column types


def _kind(column: Column[Any]) -> type:
    """The Python type a column holds; the format carries these four only."""
    kind = column.type
    if isinstance(kind, LargeBinary):
        return bytes
    if isinstance(kind, Boolean):
        return bool
    if isinstance(kind, Integer):
        return int
    if isinstance(kind, String):
        return str
    raise TypeError(f"column {column.table.name}.{column.name} is {kind!r}: a snapshot carries none such")


@functools.cache
def _insert_sql(dialect: Dialect, table: Table) -> str:
    """The insert of a whole row, its values in the table's column order, in the driver's own SQL."""
    return str(table.insert().compile(dialect=dialect))


def _decoder(column: Column[Any]) -> Decode:
    kind = _kind(column)
    nullable = bool(column.nullable)
    name = {bytes: "hex text", bool: "a boolean", int: "an integer", str: "text"}[kind]

    def decode(value: Any) -> Any:
        if value is None:
            if not nullable:
                raise ValueError("null in a column that may not be null")
            return None
        if kind is bytes:
            if type(value) is not str or not _HEX.fullmatch(value):
                raise ValueError(f"{value!r:.60} is not lowercase hex text of whole bytes")
            return bytes.fromhex(value)
        if type(value) is not kind:  # `type is`: true is not an integer here, 1 is not a boolean
            raise ValueError(f"{value!r:.60} is not {name}")
        return value

    return decode
