"""`python -m ess_evaluation.entrypoints.report --year YYYY --out DIR --database URL [--as-of YYYY-MM-DD]`:
write the annual report from an evaluation database (`index.html`, its charts as SVG under `charts/`, one
CSV per table and `SHA256SUMS`). It only reads: a running service may go on writing. `ess report` runs
this as a process, with the database of a running `ess up` when none is given."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from ess_core.messaging.db import make_engine
from ess_evaluation.adapters.report_files import INDEX, sha256, tables_sha256, write
from ess_evaluation.adapters.tables import action
from ess_evaluation.adapters.views import service_views
from ess_evaluation.service_layer.reporting import render_from


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check_sqlite_file(args.database)
        files = asyncio.run(_render(args.database, args.year, args.as_of))
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    written = write(files, args.out)
    print(f"report {args.year}: {len(written)} files in {args.out}")
    print(f"index.html sha256 {sha256(files[INDEX])}; tables sha256 {tables_sha256(files)}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ess_evaluation.entrypoints.report", description=__doc__)
    parser.add_argument("--year", type=int, required=True, choices=range(2000, 2101), metavar="YYYY")
    parser.add_argument("--out", type=Path, required=True, help="directory to write the report into")
    parser.add_argument("--database", required=True, help="an evaluation database URL (SQLAlchemy)")
    parser.add_argument("--as-of", type=date.fromisoformat, help="reviews as of this day (default: 31 Dec.)")
    return parser


async def _render(url: str, year: int, as_of: date | None) -> dict[str, bytes]:
    engine = make_engine(url, writer=False)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            if action.name not in names:
                raise LookupError(f"{_safe(url)} holds no evaluation view: is it an evaluation database?")
            return await render_from(conn, year, as_of, service_views())
    finally:
        await engine.dispose()


def _check_sqlite_file(url: str) -> None:
    """Opening a SQLite URL creates the file: refuse a path where no database is, rather than make one."""
    location = make_url(url)
    if location.get_backend_name() == "sqlite" and not Path(location.database or "").is_file():
        raise LookupError(f"no SQLite database at {location.database!r}")


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
