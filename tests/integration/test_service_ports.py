"""Ports of supervised services: each child inherits a socket its parent bound (port 0) before starting
it, so however many start at once no two ever serve on one port; and health means that the service on a
child's port says it is that child (pilot and service in /status), so a port answered by another process
is named, not taken for healthy."""

from __future__ import annotations

from pathlib import Path

import pytest

from ess_ops.cli.services import Child, NotThisService, spawn, stop_all, wait_healthy

REPO = Path(__file__).resolve().parents[2]
STAND_IN = "tests.support.port_child"
CHILDREN, ROUNDS = 14, 8
PILOTS = ("region", "state", "bdt")


def start(tmp_path: Path, names: list[tuple[str, str]], claimed_pilot: str | None = None) -> list[Child]:
    children = []
    for pilot, service in names:
        env = {"ESS_PILOT": claimed_pilot or pilot, "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
        log = tmp_path / f"{pilot}-{service}.log"
        children.append(spawn(pilot, service, "", log, env, module=STAND_IN, cwd=REPO))
    return children


@pytest.mark.timeout(300)
def test_many_children_started_at_once_never_share_a_port(tmp_path: Path) -> None:
    names = [(PILOTS[n % 3], f"svc{n}") for n in range(CHILDREN)]
    for round_ in range(ROUNDS):
        children = start(tmp_path / str(round_), names)
        try:
            exited, pending = wait_healthy(children, 60, lambda: False, lambda _: "no token needed")
            assert not exited and not pending, [c.describe_exit("at start") for c in exited + pending]
            ports = [child.port for child in children]
            assert len(set(ports)) == CHILDREN, sorted(ports)
        finally:
            stop_all(children, grace=5)


def test_a_port_answered_by_another_service_is_named(tmp_path: Path) -> None:
    children = start(tmp_path, [("bdt", "evaluation")], claimed_pilot="state")
    try:
        with pytest.raises(NotThisService, match="answers as state-evaluation, not as bdt-evaluation"):
            wait_healthy(children, 30, lambda: False, lambda _: "no token needed")
    finally:
        stop_all(children, grace=5)
