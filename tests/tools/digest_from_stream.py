"""Recompute the shared view digest from the stream alone, as any partner could (docs/digest.md).

    python -m tests.tools.digest_from_stream --server nats://127.0.0.1:4222 --trust .ess/trust.json

It uses the contracts and the shared views (every partner has them), never a
service's code or database: it reads every event, verifies it, folds it into a scratch database and
prints the digest that every service's checkpoint must report once it has applied the same events.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import nats
import nats.errors

from ess_contracts.signing import TrustFile, TrustStore
from ess_core.messaging.digests import view_digest
from ess_ops.cli.broker import reader_login
from ess_ops.cli.project import read_events, scratch_fold
from ess_views import shared_views


async def digest_from_stream(server: str, trust_file: Path, state_dir: Path, attempts: int = 5) -> str:
    """`server`: one URL or several, comma-separated (a cluster's nodes). A cluster that has just lost or
    regained a node may refuse a reader while it elects a leader: the read is tried again. It logs in as
    `reader_login(state_dir)` says: a pilot's seed from the environment, else `ess up`'s observer."""
    trust = TrustStore(TrustFile.load(trust_file))
    login = reader_login(state_dir)
    for attempt in range(1, attempts + 1):
        try:
            nc = await nats.connect(server.split(","), connect_timeout=5, **login)
            try:
                items = await read_events(nc.jetstream(timeout=10), "ess.>", trust)
            finally:
                await nc.close()
            break
        except (nats.errors.Error, OSError, TimeoutError) as error:
            if attempt == attempts:
                raise
            print(f"attempt {attempt}: {type(error).__name__}: {error}", file=sys.stderr)
            await asyncio.sleep(2.0)
    async with scratch_fold(items) as conn:
        return await view_digest(conn, shared_views())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--trust", required=True, type=Path)
    parser.add_argument("--state-dir", type=Path, help="its observer seed [default: the trust file's folder]")
    args = parser.parse_args()
    print(asyncio.run(digest_from_stream(args.server, args.trust, args.state_dir or args.trust.parent)))


if __name__ == "__main__":
    main()
