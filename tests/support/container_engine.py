"""The container engine and images for the container tests (see /work/shared/CONTAINERS.md).

`engine_for_tests` picks the engine as `ess_ops.deploy.engine.container_engine` does (DOCKER_HOST, the
default Docker socket, else podman's API service started on a private socket) and exports what testcontainers
and the docker SDK read for the session; at the end it removes the session's leftover containers (the
reaper, Ryuk, is off under podman) and stops the service. `images_for_tests` builds the missing images in
a child process with a budget of its own (ESS_TEST_IMAGES_BUDGET_S, 20 minutes unless set: a first build on a
new machine takes minutes), before any test starts, so no test's timeout pays for it.
ESS_TEST_NATS_IMAGE and ESS_TEST_POSTGRES_IMAGE replace the local NATS and PostgreSQL images (e.g. the
official `nats:2.15.1` and `postgres:15` where a registry is reachable).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ess_ops.deploy.engine import Engine, NoContainerEngine, container_engine
from ess_ops.deploy.images import EXIT_UNAVAILABLE, BuildUnavailable, Images

__all__ = [
    "BuildUnavailable",
    "Engine",
    "ImagesNotBuilt",
    "NoContainerEngine",
    "engine_for_tests",
    "images_for_tests",
]

NATS_IMAGE_ENV = "ESS_TEST_NATS_IMAGE"
POSTGRES_IMAGE_ENV = "ESS_TEST_POSTGRES_IMAGE"
IMAGES_BUDGET_ENV = "ESS_TEST_IMAGES_BUDGET_S"
IMAGES_BUDGET_S = 1200.0
SUITE_REPORT: list[str] = []  # what the container suite did, for the summary at the end of `make test`


@contextmanager
def engine_for_tests(repo_root: Path) -> Iterator[Engine]:
    """The engine, its variables in os.environ for the duration; NoContainerEngine says why there is none."""
    with container_engine(repo_root) as engine:
        SUITE_REPORT.append(f"ran with {engine.cli} at {engine.docker_host}")
        saved = {name: os.environ.get(name) for name in engine.env}
        os.environ.update(engine.env)
        _reread_testcontainers_config()
        try:
            yield engine
        finally:
            _remove_session_containers()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            _reread_testcontainers_config()


class ImagesNotBuilt(RuntimeError):
    """The build failed or outlasted its budget; the message says which, and how long it ran."""


def images_for_tests(engine: Engine, repo_root: Path) -> Images:
    """Build what is missing (`python -m ess_ops.deploy.images`; its progress goes to this stderr) within
    the budget; the build's whole process group is killed when the budget is spent."""
    budget = float(os.environ.get(IMAGES_BUDGET_ENV) or IMAGES_BUDGET_S)
    command = [
        sys.executable,
        "-m",
        "ess_ops.deploy.images",
        "--engine",
        engine.cli,
        "--repo",
        str(repo_root),
    ]
    started = time.monotonic()
    proc = subprocess.Popen(
        command, env={**os.environ, **engine.env}, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        output, _ = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise ImagesNotBuilt(
            f"the image build outlasted its budget, {IMAGES_BUDGET_ENV}={budget:.0f} s"
        ) from None
    took = time.monotonic() - started
    if proc.returncode == EXIT_UNAVAILABLE:
        raise BuildUnavailable("this machine lacks what the build needs (its reason is printed above)")
    if proc.returncode != 0:
        raise ImagesNotBuilt(
            f"the image build failed with code {proc.returncode} after {took:.0f} s (see above)"
        )
    refs = dict(line.split("=", 1) for line in output.splitlines() if line.startswith("ESS_"))
    SUITE_REPORT.append(f"images ready in {took:.0f} s (budget {budget:.0f} s, {IMAGES_BUDGET_ENV})")
    return Images(
        nats=os.environ.get(NATS_IMAGE_ENV) or refs["ESS_NATS_IMAGE"],
        postgres=os.environ.get(POSTGRES_IMAGE_ENV) or refs["ESS_POSTGRES_IMAGE"],
        services=refs["ESS_SERVICES_IMAGE"],
    )


def _reread_testcontainers_config() -> None:
    """testcontainers reads TESTCONTAINERS_CONNECTION_MODE when it is first imported (collection time, before
    this fixture), and TESTCONTAINERS_RYUK_DISABLED once: read both again from os.environ."""
    from testcontainers.core.config import get_user_overwritten_connection_mode, testcontainers_config

    testcontainers_config.connection_mode_override = get_user_overwritten_connection_mode()
    testcontainers_config.ryuk_disabled = os.environ.get("TESTCONTAINERS_RYUK_DISABLED", "").lower() == "true"


def _remove_session_containers() -> None:
    """Containers this session's testcontainers left behind (a test interrupted mid-way)."""
    import docker
    from docker.errors import DockerException
    from testcontainers.core.labels import LABEL_SESSION_ID, SESSION_ID

    try:
        client = docker.from_env(timeout=10)
    except DockerException:
        return
    try:
        ours = {"label": f"{LABEL_SESSION_ID}={SESSION_ID}"}
        for container in client.containers.list(all=True, filters=ours):
            container.remove(force=True, v=True)
    except DockerException:
        pass
    finally:
        client.close()
