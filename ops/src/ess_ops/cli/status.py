"""`ess status`: the broker, the stream and every service, read from outside the services; a probe.

Services of this `ess up` are read from their own databases, read-only (`read_status`), so the numbers
are the service's own record even when its HTTP API is busy: applied position and lag behind the
stream (with the age of the oldest message it has not applied), outbox backlog and the age of its oldest
unpublished event (its id is a UUIDv7: the time it was recorded), parked events and dead letters. Every
other service (another pilot's, or without `ess up` at all: `--server`) is known from its latest signed
checkpoint on the stream, verified against the trust file.

Unhealthy (non-zero exit): `ess up` gone, broker down, stream missing, a service process gone or not
answering /healthz, a database that cannot be read, a service further behind the stream than
`--max-lag-seconds`, an unpublished event older than `--max-outbox-age`, any dead letter, a checkpoint
that does not verify, or another pilot's service behind the stream whose last checkpoint is older than
`--max-lag-seconds`.

Module-level imports stay light: `ess` imports this module to register the command.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ess_ops.cli.status_model import (
    BrokerState,
    PeerState,
    Report,
    ServiceState,
    StreamLimit,
    StreamState,
    Thresholds,
)

if TYPE_CHECKING:
    from nats.js import JetStreamContext

    from ess_contracts.signing import TrustStore
    from ess_core.messaging.stream_usage import LimitUse
    from ess_core.service.checkpoint_comparison import Checkpoint
    from ess_ops.cli.runfile import RunInfo, ServiceInfo

BOOKKEEPING_SUBJECT = ".checkpoint_recorded"
WALK_BACK = 200  # at most this many checkpoints looked past, from the end, for the last event


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, round((now - moment).total_seconds(), 3))


async def _last_event_seq(js: JetStreamContext, stream: str, last_seq: int) -> int:
    """The last sequence that is not a checkpoint (checkpoints are never applied to a view)."""
    from nats.js.errors import NotFoundError

    seq = last_seq
    while seq > 0 and last_seq - seq < WALK_BACK:
        try:
            msg = await js.get_msg(stream, seq)
        except NotFoundError:
            seq -= 1
            continue
        if not (msg.subject or "").endswith(BOOKKEEPING_SUBJECT):
            return seq
        seq -= 1
    return seq


@dataclass
class Reading:
    """What one connection to the broker tells: broker, stream, the latest checkpoints (None when not
    read) and the stream time of each position asked for."""

    broker: BrokerState
    stream: StreamState
    checkpoints: tuple[list[Checkpoint], list[str]] | None = None
    times: dict[int, datetime] = field(default_factory=dict)


def _limit(use: LimitUse) -> StreamLimit:
    return StreamLimit(limit=use.limit, used=use.used, maximum=use.maximum, ratio=use.ratio, alarm=use.alarm)


async def _broker(
    url: str, login: Mapping[str, Any], stream_name: str, trust: TrustStore | None, positions: list[int]
) -> Reading:
    from nats.errors import Error as NatsError
    from nats.js.errors import NotFoundError

    from ess_core.messaging.stream_usage import stream_usage
    from ess_core.service.checkpoint_comparison import latest_checkpoints
    from ess_ops.cli.broker import connect

    reading = Reading(BrokerState(url=url), StreamState(name=stream_name))
    try:
        async with connect(url, login) as nc:
            js = nc.jetstream()
            account = await js.account_info()
            reading.broker = reading.broker.model_copy(
                update={
                    "ok": True,
                    "streams": account.streams,
                    "consumers": account.consumers,
                    "storage_bytes": account.storage,
                }
            )
            try:
                live = await js.stream_info(stream_name)
            except NotFoundError:
                reading.stream = reading.stream.model_copy(update={"error": "stream not found"})
                return reading
            last = live.state.last_seq
            reading.stream = reading.stream.model_copy(
                update={
                    "ok": True,
                    "messages": live.state.messages,
                    "last_seq": last,
                    "consumers": live.state.consumer_count,
                    "subjects": list(live.config.subjects or []),
                    "last_event_seq": await _last_event_seq(js, stream_name, last) if last else 0,
                    "limits": [_limit(use) for use in stream_usage(live)],
                }
            )
            if trust is not None:
                reading.checkpoints = await latest_checkpoints(js, trust)
            reading.times = await _stream_times(js, stream_name, [p for p in positions if p <= last])
    except (NatsError, OSError, TimeoutError) as exc:
        reading.broker = reading.broker.model_copy(update={"error": str(exc) or type(exc).__name__})
    return reading


async def _stream_times(js: JetStreamContext, stream: str, positions: list[int]) -> dict[int, datetime]:
    from nats.js.errors import NotFoundError

    found = {}
    for seq in sorted(set(positions)):
        try:
            msg = await js.get_msg(stream, seq)
        except NotFoundError:
            continue
        if msg.time is not None:
            found[seq] = msg.time
    return found


async def _service(s: ServiceInfo, probe_id: str) -> ServiceState:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from ess_core.messaging.db import make_engine
    from ess_core.messaging.schema import outbox
    from ess_core.service.status import read_status
    from ess_ops.cli.runfile import alive
    from ess_ops.cli.services import http_ok

    state = ServiceState(
        pilot=s.pilot,
        service=s.service,
        pid=s.pid,
        alive=alive(s.pid),
        http_url=s.http_url,
        http_ok=await asyncio.to_thread(http_ok, s.http_url),
        log=s.log,
    )
    database = s.database_url.split("///", 1)[-1]
    if s.database_url.startswith("sqlite") and not await asyncio.to_thread(Path(database).exists):
        return state.model_copy(update={"error": f"database {database} does not exist"})
    engine = make_engine(s.database_url, writer=False)
    try:
        async with engine.connect() as conn:
            st = await read_status(conn)
            oldest = await conn.scalar(
                select(outbox.c.event_id)
                .where(outbox.c.stream_seq.is_(None))
                .order_by(outbox.c.position)
                .limit(1)
            )
    except (SQLAlchemyError, OSError) as exc:
        return state.model_copy(update={"error": f"database unreadable: {str(exc).splitlines()[0]}"})
    finally:
        await engine.dispose()
    return state.model_copy(
        update={
            "outbox_total": st.outbox_total,
            "outbox_backlog": st.outbox_backlog,
            "applied_position": st.applied_position,
            "applied_events": st.applied_events,
            "parked": st.parked,
            "dead_letters": st.dead_letters,
            "probe_applied": probe_id in st.probes,
            "probes": len(st.probes),
            "outbox_oldest_age_seconds": _age(_uuid7_time(oldest), datetime.now(UTC)) if oldest else None,
        }
    )


def _uuid7_time(event_id: str) -> datetime | None:
    """A UUIDv7's first 48 bits are the Unix time in milliseconds when it was made."""
    try:
        millis = int(event_id.replace("-", "")[:12], 16)
    except ValueError:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC)


def _with_lag(
    s: ServiceState, stream: StreamState, waiting: dict[int, datetime], now: datetime
) -> ServiceState:
    if stream.last_seq is None or s.applied_position is None:
        return s
    lag = max(0, stream.last_seq - s.applied_position)
    since = waiting.get(s.applied_position + 1) if lag else None
    return s.model_copy(update={"lag": lag, "lag_seconds": _age(since, now) if lag else 0.0})


def _peers(
    checkpoints: tuple[list[Checkpoint], list[str]] | None,
    local: set[str],
    stream: StreamState,
    now: datetime,
) -> list[PeerState]:
    if checkpoints is None:
        return []
    found, unverified = checkpoints
    peers = []
    for c in found:
        if c.service in local:
            continue
        f = c.figures
        last_event = stream.last_event_seq or 0
        peers.append(
            PeerState(
                pilot=c.event.pilot,
                service=c.event.service,
                checkpoint_seq=c.stream_seq,
                checkpoint_age_seconds=_age(c.event.occurred_at, now),
                applied_position=f.stream_sequence,
                applied_events=f.applied_events,
                lag=max(0, last_event - f.stream_sequence),
                parked=f.parked,
                dead_letters=f.dead_letters,
                view_digest=f.view_digest,
            )
        )
    for line in unverified:
        subject, _, reason = str(line).partition(": ")
        parts = subject.split(".")
        pilot, service = (parts[1], parts[2]) if len(parts) == 6 else ("?", subject)
        peers.append(PeerState(pilot=pilot, service=service, verified=False, error=reason))
    return sorted(peers, key=lambda p: (p.pilot, p.service))


def _problems(report: Report, run_alive: bool | None) -> list[str]:
    t = report.thresholds
    problems = []
    if run_alive is False:
        problems.append(f"ess up (pid {report.run_pid}) is not running: run.json is stale")
    broker, stream = report.broker, report.stream
    if not broker.ok:
        problems.append(f"broker {broker.url} unreachable: {broker.error}")
    elif not stream.ok:
        problems.append(f"stream {stream.name}: {stream.error}")
    for limit in stream.limits:
        if limit.alarm:
            problems.append(
                f"stream {stream.name}: {limit.limit} at {limit.ratio:.0%} of its limit ({limit.used} of "
                f"{limit.maximum}); at the limit it refuses every pilot's events: raise it (`ess provision`)"
            )
    for s in report.services:
        name = f"{s.pilot}-{s.service}"
        if not s.alive:
            problems.append(f"{name}: process {s.pid} is gone (log {s.log})")
        elif not s.http_ok:
            problems.append(f"{name}: {s.http_url}/healthz does not answer (log {s.log})")
        if s.error:
            problems.append(f"{name}: {s.error}")
        if s.lag and s.lag_seconds is not None and s.lag_seconds > t.max_lag_seconds:
            problems.append(
                f"{name}: {s.lag} stream messages behind, the oldest waiting {s.lag_seconds:.1f} s "
                f"(limit {t.max_lag_seconds:g} s)"
            )
        age = s.outbox_oldest_age_seconds
        if s.outbox_backlog and age is not None and age > t.max_outbox_age_seconds:
            problems.append(
                f"{name}: {s.outbox_backlog} events not published, the oldest recorded {age:.1f} s ago "
                f"(limit {t.max_outbox_age_seconds:g} s)"
            )
        if s.dead_letters:
            problems.append(f"{name}: {s.dead_letters} dead letters (see `ess dlq`)")
    for p in report.peers:
        name = f"{p.pilot}-{p.service}"
        if not p.verified:
            problems.append(f"{name}: latest checkpoint does not verify: {p.error}")
            continue
        if p.dead_letters:
            problems.append(f"{name}: {p.dead_letters} dead letters (its checkpoint #{p.checkpoint_seq})")
        age = p.checkpoint_age_seconds
        if p.lag and age is not None and age > t.max_lag_seconds:
            problems.append(
                f"{name}: behind the stream (applied up to {p.applied_position} of {stream.last_event_seq}) "
                f"and silent for {age:.0f} s (limit {t.max_lag_seconds:g} s)"
            )
    return problems


async def collect(
    info: RunInfo | None,
    thresholds: Thresholds | None = None,
    *,
    server: str | None = None,
    trust_file: Path | None = None,
    state_dir: Path = Path(".ess"),
) -> Report:
    """The report for a run of `ess up` (`info`), or for a broker alone (`server`: checkpoints only).
    Reads the broker as `reader_login` says (by default, the observer of `state_dir`)."""
    from ess_contracts.signing import TrustFile, TrustStore
    from ess_contracts.subjects import STREAM
    from ess_ops.cli.broker import reader_login
    from ess_ops.cli.runfile import alive

    thresholds = thresholds or Thresholds()
    url = server or (info.nats.url if info else "")
    trust_path = trust_file or (Path(info.trust_file) if info else None)
    trust = None
    trust_problem = None
    if trust_path is not None:
        try:
            trust = TrustStore(TrustFile.load(trust_path))
        except (OSError, ValueError) as exc:
            trust_problem = f"trust file {trust_path} unreadable: {exc}"
    runs = [_service(s, info.probe_id) for s in info.services] if info else []
    services = list(await asyncio.gather(*runs))
    wanted = [s.applied_position + 1 for s in services if s.applied_position is not None]
    login = reader_login(Path(info.state_dir) if info else state_dir)
    reading = await _broker(url, login, info.stream if info else STREAM, trust, wanted)
    broker, stream = reading.broker, reading.stream
    now = datetime.now(UTC)
    services = [_with_lag(s, stream, reading.times, now) for s in services]
    local = {f"{s.pilot}-{s.service}" for s in services}
    report = Report(
        healthy=True,
        problems=[],
        run_pid=info.pid if info else None,
        probe_id=info.probe_id if info else None,
        broker=broker,
        stream=stream,
        services=services,
        peers=_peers(reading.checkpoints, local, stream, now),
        thresholds=thresholds,
        checked_at=now.isoformat(timespec="seconds"),
    )
    problems = _problems(report, alive(info.pid) if info else None)
    if trust_problem:
        problems.insert(0, trust_problem)
    return report.model_copy(update={"healthy": not problems, "problems": problems})


def command(
    state_dir: Annotated[Path, typer.Option("--state-dir", help="`ess up`'s state.")] = Path(".ess"),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    watch: Annotated[
        float | None, typer.Option("--watch", min=0.5, help="Refresh every SECONDS until Ctrl-C.")
    ] = None,
    max_lag: Annotated[
        float,
        typer.Option(
            "--max-lag-seconds", min=0, help="Unhealthy when a service's oldest unapplied message is older."
        ),
    ] = Thresholds().max_lag_seconds,
    max_outbox_age: Annotated[
        float,
        typer.Option(
            "--max-outbox-age", min=0, help="Unhealthy when an unpublished event is older (seconds)."
        ),
    ] = Thresholds().max_outbox_age_seconds,
    server: Annotated[
        str | None,
        typer.Option(
            envvar="ESS_NATS_URL", help="A broker without `ess up`: its stream and checkpoints only."
        ),
    ] = None,
    trust_file: Annotated[
        Path | None, typer.Option(envvar="ESS_TRUST_FILE", help="(default: ess up's)")
    ] = None,
) -> None:
    """Broker, stream and every service: applied position and lag, outbox backlog and its age, parked and
    dead letters (other pilots' services from their checkpoints). Exit 1 if unhealthy: a probe."""
    import json

    from ess_ops.cli import runfile, status_display
    from ess_ops.cli.console import fail

    thresholds = Thresholds(max_lag_seconds=max_lag, max_outbox_age_seconds=max_outbox_age)
    while True:
        try:
            info: RunInfo | None = runfile.load(state_dir / "run.json")
        except runfile.RunFileError as exc:
            if server is None:
                if as_json:
                    print(json.dumps({"healthy": False, "problems": [str(exc)]}))
                    raise typer.Exit(1) from exc
                fail(f"{exc} (or give --server to read a broker's stream and checkpoints)")
            info = None
        report = asyncio.run(
            collect(info, thresholds, server=server, trust_file=trust_file, state_dir=state_dir)
        )
        if watch is None:
            (status_display.show_json if as_json else status_display.show)(report)
            raise typer.Exit(0 if report.healthy else 1)
        status_display.show_watch(report, as_json, watch)
        try:
            time.sleep(watch)
        except KeyboardInterrupt:
            raise typer.Exit(0 if report.healthy else 1) from None
