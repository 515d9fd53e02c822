"""Request limits before authentication, against the seven service processes (`ess_core.service.limits`):
a huge body without a token is refused before it is read, with and without `Content-Length`, and the
service's memory does not grow with it; oversized headers and a body sent too slowly are refused too.

The requests go over raw sockets, as an attacker's would: the client sends until the service answers,
so a service that reads the whole body shows as a refusal that comes late (or never) and as memory."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ess_ops.cli.services import Child
from tests.support.deployment import Deployment, deployment

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

SERVICES = [
    ("region", "intake"),
    *((pilot, "funding") for pilot in ("region", "state", "bdt")),
    *((pilot, "evaluation") for pilot in ("region", "state", "bdt")),
]
# A route of each kind that reads a JSON body (intake's file routes allow more; see the last test).
BODY_ROUTE = {"intake": "/networks", "funding": "/projects/p1/decisions", "evaluation": "/strategy"}
HUGE = 200 * 1024 * 1024
CHUNK = 1024 * 1024
RSS_GROWTH_LIMIT = 20 * 1024 * 1024
BODY_TIMEOUT_S = 2


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(tmp_path_factory.mktemp("limits") / "ess", secure=True) as running:
        for name in SERVICES:
            running.extra_env[name] = {"ESS_HTTP_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S)}
        running.start_all(SERVICES)
        yield running


def rss(child: Child) -> int:
    for line in Path(f"/proc/{child.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {child.name}")


def answer_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        part = sock.recv(4096)
        if not part:
            break
        data += part
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data.split()[1])


def send_until_answered(
    child: Child, path: str, head: dict[str, str], body: Iterator[bytes]
) -> tuple[int, int]:
    """Send the request until the service answers; the answer's status and the body bytes sent."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    sent = 0
    with socket.create_connection(("127.0.0.1", child.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for piece in body:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        return answer_status(sock), sent


def plain(total: int) -> Iterator[bytes]:
    for _ in range(total // CHUNK):
        yield b" " * CHUNK


def chunked(total: int) -> Iterator[bytes]:
    for piece in plain(total):
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_huge_body_without_a_token_is_refused_before_it_is_read(system: Deployment, framing: str) -> None:
    for name in SERVICES:
        child = system.children[name]
        before = rss(child)
        if framing == "content-length":
            status, sent = send_until_answered(
                child, BODY_ROUTE[name[1]], {"Content-Length": str(HUGE)}, plain(HUGE)
            )
        else:
            status, sent = send_until_answered(
                child, BODY_ROUTE[name[1]], {"Transfer-Encoding": "chunked"}, chunked(HUGE)
            )
        grown = rss(child) - before
        assert status == 413, (child.name, framing, status)
        assert sent < HUGE // 4, f"{child.name} let {sent / CHUNK:.0f} MiB in before answering"
        assert grown < RSS_GROWTH_LIMIT, f"{child.name}: RSS grew by {grown / CHUNK:.1f} MiB"


def test_intakes_file_routes_refuse_a_declared_huge_body_at_once(system: Deployment) -> None:
    child = system.children[("region", "intake")]
    status, sent = send_until_answered(child, "/projects", {"Content-Length": str(HUGE)}, plain(HUGE))
    assert status == 413 and sent < HUGE // 4, (status, sent)


def test_oversized_headers_are_refused(system: Deployment) -> None:
    for name in SERVICES:
        child = system.children[name]
        with socket.create_connection(("127.0.0.1", child.port), timeout=30) as sock:
            sock.sendall(
                f"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {'a' * 64 * 1024}\r\n\r\n".encode()
            )
            assert answer_status(sock) == 431, child.name


def test_a_body_slower_than_the_read_timeout_is_refused(system: Deployment) -> None:
    for name in SERVICES:
        child = system.children[name]
        with socket.create_connection(("127.0.0.1", child.port), timeout=30) as sock:
            head = f"POST {BODY_ROUTE[name[1]]} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"
            sock.sendall(head.encode() + b"{")
            start = time.monotonic()
            status = None
            while time.monotonic() - start < BODY_TIMEOUT_S * 5:
                if select.select([sock], [], [], 0.5)[0]:
                    status = answer_status(sock)
                    break
                sock.sendall(b" ")  # one byte at a time: never done within the timeout
        assert status == 408, (child.name, status)
        assert time.monotonic() - start < BODY_TIMEOUT_S * 3, child.name
        assert child.healthy(), child.name
