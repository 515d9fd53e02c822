"""`ess up`: the default topology on one machine, supervised until Ctrl-C or SIGTERM.

A signal only sets a flag; every wait checks it, and `shutdown` always runs: children get SIGTERM (their
own process groups), then SIGKILL after a grace period, then the nats-server stops and run.json goes.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from nats.aio.client import Client
from nats.errors import Error as NatsError

from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.ops import ProbeSent
from ess_contracts.signing import Signer
from ess_contracts.types import Pilot
from ess_core.security.identities import OBSERVER, OPERATOR
from ess_core.security.permissions import authorization_block
from ess_ops import keys
from ess_ops.cli import runfile, up_display
from ess_ops.cli.console import error, note, warn
from ess_ops.cli.services import (
    STOP_GRACE_SECONDS,
    Child,
    NotThisService,
    spawn,
    stop_all,
    wait_healthy,
)
from ess_ops.nats.connect import connect_as
from ess_ops.nats.natsserver import NatsServer, NatsServerError
from ess_ops.nats.provision import ProvisionError, ProvisionReport, load_stream_config, provision
from ess_ops.topology import PROBE_PILOT, STAFF_ROLES, STREAM, TOPOLOGY, StateDir, pilots


def new_probe_id() -> str:
    return f"probe-{secrets.token_hex(8)}"


async def publish_probe_on(nc: Client, stream: str, signer: Signer, pilot: Pilot, probe_id: str) -> int:
    """Publish one signed ProbeSent with a PubAck on an open connection; returns its stream sequence."""
    event = new_event(
        ProbeSent(note="ess up wiring check"), pilot=pilot, service="ops", aggregate_id=probe_id, sequence=1
    )
    wire = encode(event, signer)
    ack = await nc.jetstream().publish(wire.subject, wire.data, headers=wire.headers, stream=stream)
    return ack.seq


class UpError(RuntimeError):
    """`ess up` cannot go on; the message is the one line the user sees."""


class Stopper:
    def __init__(self) -> None:
        self.signum: int | None = None
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signum = signum

    def __call__(self) -> bool:
        return self.signum is not None


@dataclass
class Supervisor:
    state: StateDir
    stream_file: Path
    stopper: Stopper
    nats: NatsServer | None = None
    children: list[Child] = field(default_factory=list)
    consoles: list[Child] = field(default_factory=list)
    wrote_run_file: bool = False
    demo: bool = False

    def start(self, nats_port: int, ready_timeout: float) -> None:
        started = time.monotonic()
        for folder in (self.state.data, self.state.logs, self.state.nats):
            folder.mkdir(parents=True, exist_ok=True)
        # Keys first: the broker's users are written from the public NATS keys.
        signers = {pilot: keys.ensure_seed(self.state.seed(pilot)) for pilot in pilots()}
        encryption = {
            pilot: keys.ensure_encryption_key(self.state.encryption_key(pilot)) for pilot in pilots()
        }
        keys.ensure_trust(self.state.trust_file, {p: s.public_key for p, s in signers.items()}, encryption)
        identities = (OPERATOR, OBSERVER, *pilots())
        nats_keys = {i: keys.ensure_nats_seed(self.state.nats_seed(i)) for i in identities}
        users = keys.ensure_nats_users(self.state.nats_users, nats_keys)
        issuer, public_key = keys.ensure_issuer(self.state.auth)
        tokens = keys.mint_tokens(issuer, STAFF_ROLES, self.state.tokens)
        self.nats = NatsServer(
            self.state.nats,
            port=nats_port or None,
            server_name="ess-local",
            own_session=True,
            extra_config=authorization_block(users),
        )
        self.nats.start()
        note(f"keys         {self.state.keys} (seeds, 0600), trust file {self.state.trust_file}")
        note(f"nats users   {', '.join(identities)}: each its own permissions ({self.state.nats_users})")
        note(f"nats-server  {self.nats.url}  (monitor {self.nats.monitor_url}, store {self.nats.store_dir})")
        report = asyncio.run(self._provision())
        note(f"stream       {report} (as {OPERATOR})".replace("\n", "; "))
        if self.stopper():
            return
        # Published before the services start: each applies it as soon as its projection runner is up.
        probe_id = new_probe_id()
        seq = asyncio.run(self._probe(signers[PROBE_PILOT], probe_id))
        note(f"probe        {probe_id} published by {PROBE_PILOT} (stream sequence {seq})")
        for pilot, service in TOPOLOGY:
            if self.stopper():
                return
            self.children.append(self._spawn(pilot, service, public_key))
        operators: dict[str, str] = {
            pilot: tokens[f"{pilot}-operator"].read_text().strip() for pilot in pilots()
        }
        try:
            exited, pending = wait_healthy(
                self.children, ready_timeout, self.stopper, lambda child: operators[child.pilot]
            )
        except NotThisService as exc:
            raise UpError(str(exc)) from exc
        if exited:
            raise UpError(exited[0].describe_exit("before it was healthy"))
        if pending:
            names = ", ".join(f"{c.name} (log {c.log_path})" for c in pending)
            raise UpError(f"not healthy after {ready_timeout:.0f} s: {names}")
        if self.stopper():
            return
        note(f"services     {len(self.children)} healthy after {time.monotonic() - started:.1f} s")
        self._start_consoles(ready_timeout)
        consoles = {c.pilot: c.http_url for c in self.consoles}
        info = runfile.build(self.state, self.nats, self.children, probe_id, tokens, consoles)
        runfile.save(self.state.run_file, info)
        self.wrote_run_file = True
        up_display.show(info)
        if self.demo and not self.stopper():
            self._load_demo(info, tokens)

    async def _provision(self) -> ProvisionReport:
        """Only the operator identity creates or changes streams."""
        assert self.nats is not None
        seed = self.state.nats_seed(OPERATOR)
        async with connect_as(self.nats.url, OPERATOR, seed) as nc:
            return await provision(nc.jetstream(), load_stream_config(self.stream_file))

    async def _probe(self, signer: Signer, probe_id: str) -> int:
        """The probe is the probe pilot's event: published with that pilot's own NATS identity."""
        assert self.nats is not None
        seed = self.state.nats_seed(PROBE_PILOT)
        async with connect_as(self.nats.url, PROBE_PILOT, seed) as nc:
            return await publish_probe_on(nc, STREAM, signer, PROBE_PILOT, probe_id)

    def _spawn(self, pilot: str, service: str, public_key: Path) -> Child:
        assert self.nats is not None
        env = self.state.service_env(pilot, service, self.nats.url, public_key)
        return spawn(pilot, service, env["ESS_DATABASE_URL"], self.state.log(pilot, service), env)

    def _start_consoles(self, ready_timeout: float) -> None:
        """Each pilot's console, in front of its funding service, signing in the run's local people."""
        urls = {(c.pilot, c.service): c.http_url for c in self.children}
        for pilot in pilots():
            env = {**os.environ, "PYTHONUNBUFFERED": "1", "ESS_PILOT": pilot}
            env["ESS_CONSOLE_FUNDING_URL"] = urls[(pilot, "funding")]
            for service in ("intake", "evaluation"):
                if (pilot, service) in urls:
                    env[f"ESS_CONSOLE_{service.upper()}_URL"] = urls[(pilot, service)]
            env["ESS_CONSOLE_PEOPLE_DIR"] = str(self.state.tokens)
            self.consoles.append(spawn(pilot, "console", "", self.state.log(pilot, "console"), env))
        exited, pending = wait_healthy(self.consoles, ready_timeout, self.stopper)
        if exited or pending:
            raise UpError((exited or pending)[0].describe_exit("before it answered"))

    def _load_demo(self, info: runfile.RunInfo, tokens: dict[str, Path]) -> None:
        """The demo through the services' APIs; a failure is said and the services run on."""
        from ess_ops.demo.client import DemoError
        from ess_ops.demo.load import DEMO_FILE, DemoStopped, Run, load

        assert self.nats is not None
        note("")
        note("demo         loading through the services' APIs, as the run's local people…")
        run = Run(
            urls={(c.pilot, c.service): c.http_url for c in self.children},
            tokens=tokens,
            nats_url=self.nats.url,
            observer_seed=self.state.nats_seed(OBSERVER),
            stream=STREAM,
            state_dir=self.state.root,
        )
        try:
            summary = load(run, note, self.stopper)
        except DemoStopped:
            return
        except (DemoError, OSError, NatsError) as exc:
            warn(f"the demo did not load, the services run on: {exc}")
            return
        up_display.show_demo(summary.as_dict(), info.consoles, self.state.root / DEMO_FILE)

    def watch(self) -> None:
        """Until a signal: a child or the broker that exits on its own ends the run with an error."""
        while not self.stopper():
            for child in [*self.children, *self.consoles]:
                if child.exited() is not None and not self.stopper():
                    raise UpError(child.describe_exit("unexpectedly"))
            if self.nats is not None and not self.nats.running and not self.stopper():
                raise UpError(f"nats-server exited unexpectedly (log {self.nats.log_path})")
            time.sleep(0.2)

    @property
    def started(self) -> bool:
        return bool(self.children or self.consoles) or (self.nats is not None and self.nats.pid is not None)

    def shutdown(self) -> None:
        for child in stop_all([*self.consoles, *self.children]):
            grace = f"{STOP_GRACE_SECONDS:.0f} s"
            warn(f"{child.name} did not stop within {grace} of SIGTERM: killed (log {child.log_path})")
        if self.nats is not None:
            self.nats.stop()
        if self.wrote_run_file:
            self.state.run_file.unlink(missing_ok=True)


def run(state_dir: Path, nats_port: int, stream_file: Path, ready_timeout: float, demo: bool = False) -> int:
    """0 after a requested stop; 1, with one red line said before stopping, when something failed."""
    state = StateDir(state_dir.resolve())
    try:
        runfile.check_previous(state.run_file)
    except runfile.RunFileError as exc:
        error(str(exc))
        return 1
    supervisor = Supervisor(state, stream_file, Stopper(), demo=demo)
    code = 0
    try:
        supervisor.start(nats_port, ready_timeout)
        supervisor.watch()
    except (UpError, NatsServerError, ProvisionError, keys.KeysError, OSError, NatsError) as exc:
        error(str(exc) or type(exc).__name__)
        code = 1
    finally:
        if supervisor.started:
            note("stopping…")
        supervisor.shutdown()
    if supervisor.started:
        note("stopped: every process of this run has exited")
    return code
