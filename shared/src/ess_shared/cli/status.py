"""`ess status`: the broker, the stream and every service of the run, read from outside the services.

Each service's database is read read-only (`read_status`), so the numbers are the service's own record
even when its HTTP API is busy. Unhealthy (non-zero exit): `ess up` gone, broker down, stream missing,
a service process gone or not answering /healthz, a database that cannot be read.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError
from sqlalchemy.exc import SQLAlchemyError

from ess_shared.cli.broker import connect
from ess_shared.cli.runfile import RunInfo, ServiceInfo, alive
from ess_shared.cli.services import http_ok
from ess_shared.cli.status_model import BrokerState, Report, ServiceState, StreamState
from ess_shared.messaging.db import make_engine
from ess_shared.service.status import read_status


async def _broker(info: RunInfo) -> tuple[BrokerState, StreamState]:
    broker, stream = BrokerState(url=info.nats.url), StreamState(name=info.stream)
    try:
        async with connect(info.nats.url) as nc:
            js = nc.jetstream()
            account = await js.account_info()
            broker = broker.model_copy(
                update={
                    "ok": True,
                    "streams": account.streams,
                    "consumers": account.consumers,
                    "storage_bytes": account.storage,
                }
            )
            try:
                live = await js.stream_info(info.stream)
            except NotFoundError:
                return broker, stream.model_copy(update={"error": "stream not found"})
    except (NatsError, OSError, TimeoutError) as exc:
        return broker.model_copy(update={"error": str(exc) or type(exc).__name__}), stream
    return broker, stream.model_copy(
        update={
            "ok": True,
            "messages": live.state.messages,
            "last_seq": live.state.last_seq,
            "consumers": live.state.consumer_count,
            "subjects": list(live.config.subjects or []),
        }
    )


async def _service(s: ServiceInfo, probe_id: str, last_seq: int | None) -> ServiceState:
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
    except (SQLAlchemyError, OSError) as exc:
        return state.model_copy(update={"error": f"database unreadable: {str(exc).splitlines()[0]}"})
    finally:
        await engine.dispose()
    lag = None if last_seq is None else max(0, last_seq - st.applied_position)
    return state.model_copy(
        update={
            "outbox_total": st.outbox_total,
            "outbox_backlog": st.outbox_backlog,
            "applied_position": st.applied_position,
            "applied_events": st.applied_events,
            "lag": lag,
            "parked": st.parked,
            "dead_letters": st.dead_letters,
            "probe_applied": probe_id in st.probes,
            "probes": len(st.probes),
        }
    )


def _problems(
    info: RunInfo, broker: BrokerState, stream: StreamState, services: list[ServiceState]
) -> list[str]:
    problems = [] if alive(info.pid) else [f"ess up (pid {info.pid}) is not running: run.json is stale"]
    if not broker.ok:
        problems.append(f"broker {broker.url} unreachable: {broker.error}")
    elif not stream.ok:
        problems.append(f"stream {stream.name}: {stream.error}")
    for s in services:
        name = f"{s.pilot}-{s.service}"
        if not s.alive:
            problems.append(f"{name}: process {s.pid} is gone (log {s.log})")
        elif not s.http_ok:
            problems.append(f"{name}: {s.http_url}/healthz does not answer (log {s.log})")
        if s.error:
            problems.append(f"{name}: {s.error}")
    return problems


async def collect(info: RunInfo) -> Report:
    broker, stream = await _broker(info)
    services = list(
        await asyncio.gather(*(_service(s, info.probe_id, stream.last_seq) for s in info.services))
    )
    problems = _problems(info, broker, stream, services)
    return Report(
        healthy=not problems,
        problems=problems,
        run_pid=info.pid,
        probe_id=info.probe_id,
        broker=broker,
        stream=stream,
        services=services,
    )
