"""Provision the ESS stream from ``deploy/stream.json``: create it, or report and repair drift.

The file is in the server's own JSON form (durations in nanoseconds), as ``nats stream add --config`` takes.
Only the fields the file sets are compared and enforced; the others keep their live values.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from nats.errors import Error as NatsError
from nats.js import JetStreamManager
from nats.js.api import (
    DiscardPolicy,
    PersistMode,
    RetentionPolicy,
    StorageType,
    StoreCompression,
    StreamConfig,
    StreamInfo,
)
from nats.js.errors import APIError, NotFoundError

from ess_core.privacy.key_store import STREAM as KEY_STREAM
from ess_core.privacy.key_store import provision_key_store

STREAM_CONFIG_RELPATH = Path("deploy") / "stream.json"
ERR_STREAM_NAME_IN_USE = 10058
LEADER_WAIT_S = 30.0

_FIELDS = {f.name for f in dataclasses.fields(StreamConfig)}
_ENUMS: dict[str, type[Enum]] = {
    "retention": RetentionPolicy,
    "storage": StorageType,
    "discard": DiscardPolicy,
    "compression": StoreCompression,
    "persist_mode": PersistMode,
}

Outcome = Literal["created", "unchanged", "updated", "drift", "missing"]


class ProvisionError(RuntimeError):
    """The stream config file is invalid, or the server refused or did not apply the desired config."""


@dataclass(frozen=True)
class Drift:
    field: str
    live: object
    desired: object

    def __str__(self) -> str:
        return f"{self.field}: live {self.live!r}, desired {self.desired!r}"


@dataclass(frozen=True)
class ProvisionReport:
    """``created``; ``unchanged``; ``updated`` (drift found and repaired); ``drift`` (found, not applied);
    ``missing`` (stream absent and ``apply`` false)."""

    stream: str
    outcome: Outcome
    drifts: tuple[Drift, ...] = ()

    def __str__(self) -> str:
        return "\n".join([f"stream {self.stream}: {self.outcome}", *(f"  {d}" for d in self.drifts)])


def load_stream_config(path: Path) -> StreamConfig:
    """Read a stream config file. Fields the file omits are None: neither sent nor compared."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"cannot read stream config {path}: {exc}") from exc
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ProvisionError(f"{path}: expected a JSON object with a stream name")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise ProvisionError(f"{path}: unknown stream config fields {unknown}")
    given = set(raw)
    try:
        for name, enum in _ENUMS.items():
            if raw.get(name) is not None:
                raw[name] = enum(raw[name])
    except ValueError as exc:
        raise ProvisionError(f"{path}: {exc}") from exc
    parsed: StreamConfig = StreamConfig.from_response(raw)  # nanoseconds -> seconds, nested types
    unset: dict[str, Any] = {name: None for name in _FIELDS - given}
    return parsed.evolve(**unset)


_UNITS = {"": 1, "B": 1, "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}


def parse_size(text: str) -> int:
    """`200GiB`, `512MiB`, `1048576`: a positive number of bytes (binary units only, so no one wonders
    whether a GB is 10^9 or 2^30)."""
    found = re.fullmatch(r"\s*(\d+)\s*([KMGT]iB|B)?\s*", text, flags=re.IGNORECASE)
    if found is None or int(found[1]) == 0:
        raise ValueError(f"{text!r} is not a size: give bytes, or a number with KiB, MiB, GiB or TiB")
    return int(found[1]) * _UNITS[(found[2] or "").upper()]


def default_stream_config_path() -> Path:
    """``deploy/stream.json`` found by walking up from the working dir, then from this file."""
    starts = [Path.cwd().resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / STREAM_CONFIG_RELPATH
            if candidate.is_file():
                return candidate
    raise ProvisionError(f"{STREAM_CONFIG_RELPATH} not found above {starts[0]} or {starts[1]}")


def declared_fields(config: StreamConfig) -> dict[str, Any]:
    """The fields ``config`` sets: not None (a zero duplicate window means the server's default)."""
    values = {name: getattr(config, name) for name in sorted(_FIELDS) if name != "name"}
    if values.get("duplicate_window") == 0:
        values["duplicate_window"] = None
    return {name: value for name, value in values.items() if value is not None}


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _same(name: str, live: object, desired: object) -> bool:
    if name == "metadata" and isinstance(live, Mapping):  # the server adds its own _nats.* keys
        live = {k: v for k, v in live.items() if not str(k).startswith("_nats.")}
    return _plain(live) == _plain(desired)


def compare(live: StreamConfig, desired: StreamConfig) -> tuple[Drift, ...]:
    """Each field ``desired`` sets whose live value differs."""
    return tuple(
        Drift(name, _plain(getattr(live, name)), _plain(value))
        for name, value in declared_fields(desired).items()
        if not _same(name, getattr(live, name), value)
    )


async def _live_info(js: JetStreamManager, name: str) -> StreamInfo | None:
    try:
        return await js.stream_info(name)
    except NotFoundError:
        return None


def _check_applied(info: StreamInfo, desired: StreamConfig, action: str) -> None:
    left = compare(info.config, desired)
    if left:
        raise ProvisionError(
            f"stream {desired.name}: {action}, but the server kept: {'; '.join(map(str, left))}"
        )


async def await_leader(js: JetStreamManager, name: str, limit: float = LEADER_WAIT_S) -> StreamInfo:
    """The stream's info once it has a leader. A replicated stream answers nothing while its replicas
    elect one, which on a loaded cluster can outlast a client's request timeout: provisioning is done
    only when the stream serves."""
    deadline = time.monotonic() + limit
    while True:
        try:
            info = await asyncio.wait_for(js.stream_info(name), timeout=2)
            if info.cluster is None or info.cluster.leader:
                return info
        except NotFoundError as exc:  # deleted meanwhile: no leader will come
            raise ProvisionError(f"stream {name}: not found ({exc})") from exc
        except (TimeoutError, NatsError):  # no responders, no answer yet
            pass
        if time.monotonic() >= deadline:
            raise ProvisionError(
                f"stream {name}: no leader after {limit:.0f} s; is a majority of its replicas' nodes up?"
            )
        await asyncio.sleep(0.2)


async def provision(js: JetStreamManager, config: StreamConfig, *, apply: bool = True) -> ProvisionReport:
    """Create the stream when missing; otherwise report drift and, when ``apply``, update the stream,
    and create the key store bucket when missing. Returns once the stream has a leader."""
    report = await _provision(js, config, apply=apply)
    if report.outcome != "missing":
        await await_leader(js, report.stream)
    if apply:  # the key store beside it, with as many replicas (ess_core.privacy.key_store)
        await _provision_key_store(js, config.num_replicas or 1)
    return report


async def _provision_key_store(js: JetStreamManager, replicas: int, limit: float = LEADER_WAIT_S) -> None:
    """Creating a replicated stream on a loaded cluster can outlast the request's timeout while the server
    goes on creating it (a CI run saw it): ask again until it exists, then wait for its leader."""
    deadline = time.monotonic() + limit
    while True:
        try:
            await provision_key_store(js, replicas)
            break
        except TimeoutError:  # nats-py's timeout is one too
            if time.monotonic() >= deadline:
                raise ProvisionError(f"stream {KEY_STREAM}: not created after {limit:.0f} s") from None
    await await_leader(js, KEY_STREAM, limit)


async def _provision(js: JetStreamManager, config: StreamConfig, *, apply: bool) -> ProvisionReport:
    name = config.name
    if name is None:
        raise ProvisionError("stream config has no name")
    info = await _live_info(js, name)
    if info is None:
        if not apply:
            return ProvisionReport(name, "missing")
        try:
            created = await js.add_stream(config)
        except APIError as exc:
            if exc.err_code != ERR_STREAM_NAME_IN_USE:
                raise ProvisionError(f"stream {name}: the server refused to create it: {exc}") from exc
            info = await js.stream_info(name)  # created meanwhile by someone else: compare below
        else:
            _check_applied(created, config, "created")
            return ProvisionReport(name, "created")
    drifts = compare(info.config, config)
    if not drifts:
        return ProvisionReport(name, "unchanged")
    if not apply:
        return ProvisionReport(name, "drift", drifts)
    wanted = info.config.evolve(**declared_fields(config))
    try:
        updated = await js.update_stream(wanted)
    except APIError as exc:
        listed = "; ".join(map(str, drifts))
        raise ProvisionError(
            f"stream {name}: the server refused the update ({exc}); drift: {listed}"
        ) from exc
    _check_applied(updated, config, "updated")
    return ProvisionReport(name, "updated", drifts)


__all__ = [
    "Drift",
    "ProvisionError",
    "ProvisionReport",
    "await_leader",
    "compare",
    "declared_fields",
    "default_stream_config_path",
    "load_stream_config",
    "parse_size",
    "provision",
]
