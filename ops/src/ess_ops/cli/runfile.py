"""`<state>/run.json`: what `ess up` started and where, for `ess status` and for people. It exists only while
`ess up` runs."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from ess_ops.topology import STREAM, StateDir

if TYPE_CHECKING:  # `ess status` reads run.json without loading the supervisor's modules
    from ess_ops.cli.services import Child
    from ess_ops.nats.natsserver import NatsServer


class NatsInfo(BaseModel):
    url: str
    monitor_url: str
    pid: int | None
    log: str
    store: str


class ServiceInfo(BaseModel):
    pilot: str
    service: str
    pid: int
    http_url: str
    database_url: str
    log: str

    @property
    def name(self) -> str:
        return f"{self.pilot}-{self.service}"


class RunInfo(BaseModel):
    pid: int
    state_dir: str
    started_at: str
    nats: NatsInfo
    stream: str
    probe_id: str
    trust_file: str
    tokens: dict[str, str]
    services: list[ServiceInfo]
    consoles: dict[str, str] = {}
    """Each pilot's console (its web pages), by pilot."""


class RunFileError(RuntimeError):
    pass


def save(path: Path, info: RunInfo) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(info.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)  # readers never see half a file


def load(path: Path) -> RunInfo:
    if not path.exists():
        raise RunFileError(f"{path} not found: is `ess up` running with this state dir?")
    try:
        return RunInfo.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise RunFileError(f"{path} is unreadable: {exc}") from exc


def alive(pid: int | None) -> bool:
    """Whether a process with this id exists (a zombie counts as gone where /proc tells)."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def leftovers(info: RunInfo) -> list[int]:
    """Processes of a previous run that are still alive."""
    pids = [info.pid, info.nats.pid, *(s.pid for s in info.services)]
    return [pid for pid in pids if pid is not None and alive(pid)]


def check_previous(path: Path) -> None:
    """Refuse to start over a run whose processes are still alive; forget a stale run.json."""
    if not path.exists():
        return
    try:
        info = load(path)
    except RunFileError:
        path.unlink(missing_ok=True)
        return
    if alive(info.pid) and info.pid != os.getpid():
        raise RunFileError(f"ess up is already running with state dir {path.parent} (pid {info.pid})")
    left = leftovers(info)
    if left:
        pids = " ".join(map(str, left))
        raise RunFileError(f"processes of an earlier ess up still run (pids {pids}): stop them: kill {pids}")
    path.unlink(missing_ok=True)


def build(
    state: StateDir,
    nats: NatsServer,
    children: Sequence[Child],
    probe_id: str,
    tokens: Mapping[str, Path],
    consoles: Mapping[str, str] | None = None,
) -> RunInfo:
    services = [
        ServiceInfo(
            pilot=c.pilot,
            service=c.service,
            pid=c.proc.pid,
            http_url=c.http_url,
            database_url=c.database_url,
            log=str(c.log_path),
        )
        for c in children
    ]
    return RunInfo(
        pid=os.getpid(),
        state_dir=str(state.root),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        nats=NatsInfo(
            url=nats.url,
            monitor_url=nats.monitor_url,
            pid=nats.pid,
            log=str(nats.log_path),
            store=str(nats.store_dir),
        ),
        stream=STREAM,
        probe_id=probe_id,
        trust_file=str(state.trust_file),
        tokens={pilot: str(path) for pilot, path in tokens.items()},
        services=services,
        consoles=dict(consoles or {}),
    )
