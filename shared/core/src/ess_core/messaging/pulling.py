"""Pulling batches from a durable consumer without starving on a large stream.

On a stream of millions of messages the broker can take longer than a pull request lives to find a
consumer's first message: about 2 s at ten million messages once it has rebuilt its index (the national
run, bench/README.md). Each expired request starts that search over, so a fold pulling every 0.5 s never
started. After a few empty pulls, one message is asked for with a longer wait, doubled at each empty
probe up to a minute: a pull of one returns as soon as a message is there, so an event arriving on a
quiet stream waits no longer than before, and an idle service sends fewer requests.
"""

from __future__ import annotations

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.client import JetStreamContext

EMPTY_BEFORE_PROBE = 3
PROBE_S = 5.0
PROBE_DOUBLINGS = 4  # 5 s, 10 s, 20 s, 40 s, then 60 s at most
PROBE_MAX_S = 60.0


class Puller:
    """`longest`: the longest wait, for a caller that must look at something else between pulls."""

    def __init__(
        self,
        sub: JetStreamContext.PullSubscription,
        batch: int,
        timeout: float,
        longest: float = PROBE_MAX_S,
    ) -> None:
        self.sub, self.batch, self.timeout, self.longest = sub, batch, timeout, longest
        self.empty = 0  # pulls in a row that brought nothing

    async def pull(self) -> list[Msg]:
        """The next batch, or nothing within the wait."""
        batch, timeout = self.batch, self.timeout
        if self.empty >= EMPTY_BEFORE_PROBE:
            doublings = min(self.empty - EMPTY_BEFORE_PROBE, PROBE_DOUBLINGS)
            batch, timeout = 1, min(PROBE_S * 2**doublings, self.longest)
        try:
            messages = await self.sub.fetch(batch, timeout=timeout)
        except (NatsTimeout, TimeoutError):
            messages = []
        self.empty = 0 if messages else self.empty + 1
        return messages
