"""Before a second run reads what the first one recorded: every service has published its outbox (a
service stopped right after an act publishes it once restarted) and folded the stream up to its last
event (checkpoints aside: no view applies them) with nothing parked: after a run stopped mid-load, a
batch that was not acked comes again only after the consumer's ack wait, and the events behind it wait
parked until then. So an act already there is seen and not sent again."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nats.js.errors import NotFoundError

from ess_core.security.identities import OBSERVER
from ess_ops.demo.client import Api, until
from ess_ops.nats.connect import connect_as

CHECKPOINT_SUBJECT = ".checkpoint_recorded"
WALK_BACK = 500
PARKED_LIMIT_S = 90.0  # beyond the consumers' ack wait, after which a batch not acked comes again


async def last_event_seq(nats_url: str, observer_seed: Path, stream: str) -> int:
    async with connect_as(nats_url, OBSERVER, observer_seed) as nc:
        js = nc.jetstream()
        last = (await js.stream_info(stream)).state.last_seq
        seq = last
        while seq > 0 and last - seq < WALK_BACK:
            try:
                msg = await js.get_msg(stream, seq)
            except NotFoundError:
                seq -= 1
                continue
            if not (msg.subject or "").endswith(CHECKPOINT_SUBJECT):
                return seq
            seq -= 1
        return seq


async def published(api: Api, services: Iterable[tuple[str, str]]) -> None:
    for where in services:

        async def empty(where: tuple[str, str] = where) -> bool | None:
            status = await api.get(where, "/status", "operator")
            return True if status.get("outbox_backlog", 0) == 0 else None

        await until(empty, f"{'-'.join(where)} to publish its outbox")


async def caught_up(api: Api, services: Iterable[tuple[str, str]], seq: int) -> None:
    for where in services:

        async def applied(where: tuple[str, str] = where) -> bool | None:
            status = await api.get(where, "/status", "operator")
            done = status.get("applied_position", 0) >= seq and not status.get("parked")
            return True if done else None

        what = f"{'-'.join(where)} to fold the stream up to sequence {seq}, nothing parked"
        await until(applied, what, PARKED_LIMIT_S)
