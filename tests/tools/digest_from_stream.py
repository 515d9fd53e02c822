"""Recompute the shared view digest from the stream alone, as any partner could (docs/digest.md).

    python -m tests.tools.digest_from_stream --server nats://127.0.0.1:4222 --trust .ess/trust.json

It uses the contracts and the shared fold (the `ess-shared` package every partner has), never a
service's code or database: it reads every event, verifies it, folds it into a scratch database and
prints the digest that every service's checkpoint must report once it has applied the same events.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import nats

from ess_shared.cli.project import read_events, scratch_fold
from ess_shared.contracts.signing import TrustFile, TrustStore
from ess_shared.messaging.views import view_digest
from ess_shared.views import shared_views


async def digest_from_stream(server: str, trust_file: Path) -> str:
    nc = await nats.connect(server)
    try:
        items = await read_events(nc.jetstream(), "ess.>", TrustStore(TrustFile.load(trust_file)))
    finally:
        await nc.close()
    async with scratch_fold(items) as conn:
        return await view_digest(conn, shared_views())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--trust", required=True, type=Path)
    args = parser.parse_args()
    print(asyncio.run(digest_from_stream(args.server, args.trust)))


if __name__ == "__main__":
    main()
