"""Before a second run reads what the first one recorded: every service has folded the stream up to its
last event (checkpoints aside: no view applies them), so an act already there is seen and not sent again."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nats.js.errors import NotFoundError

from ess_core.security.identities import OBSERVER
from ess_ops.demo.client import Api, until
from ess_ops.nats.connect import connect_as

CHECKPOINT_SUBJECT = ".checkpoint_recorded"
WALK_BACK = 500


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


async def caught_up(api: Api, services: Iterable[tuple[str, str]], seq: int) -> None:
    for where in services:

        async def applied(where: tuple[str, str] = where) -> bool | None:
            status = await api.get(where, "/status", "operator")
            return True if status.get("applied_position", 0) >= seq else None

        await until(applied, f"{'-'.join(where)} to fold the stream up to sequence {seq}")
