"""How close the shared stream is to each of its limits (deploy/stream.json), read from its info.

The stream refuses at a limit and never drops (`discard: new`): past it no pilot's event is stored until
the operator raises the limit. So the alarm must ring before, at `ALARM_RATIO` of any limit, in every
pilot's services (`/metrics`) and in `ess status` (docs/decisions/0001-stream-limits.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js.api import StreamInfo

ALARM_RATIO = 0.8


@dataclass(frozen=True)
class LimitUse:
    limit: str  # "bytes", "messages" or "consumers"
    used: int
    maximum: int | None  # None: the stream sets no such limit

    @property
    def ratio(self) -> float | None:
        return None if self.maximum is None else self.used / self.maximum

    @property
    def alarm(self) -> bool:
        return self.ratio is not None and self.ratio >= ALARM_RATIO


def _set(limit: int | None) -> int | None:
    """JetStream says -1 (or 0 for consumers) for no limit."""
    return limit if limit is not None and limit > 0 else None


def stream_usage(info: StreamInfo) -> list[LimitUse]:
    config, state = info.config, info.state
    return [
        LimitUse("bytes", state.bytes, _set(config.max_bytes)),
        LimitUse("messages", state.messages, _set(config.max_msgs)),
        LimitUse("consumers", state.consumer_count, _set(config.max_consumers)),
    ]
