"""The benchmarks that need the intake service: their place in the harness, not yet their code.

3. Submissions: accepted submissions per second through intake's HTTP API (auth, validation, database,
   outbox) with 32 concurrent clients, SQLite and PostgreSQL.
4. End-to-end latency: from a submission's HTTP 2xx to the project being visible in every pilot's view,
   p50 and p99 at 100 submissions per second, against raw nats-py publish -> pull-consume latency measured
   in the same run. Goal: p50 within 10x raw.

Both start intake as a pilot runs it (the `ess` topology, one process per service), so they land with the
intake service. `pending()` gives the rows the report shows until then; replace each with a function that
returns the same keys plus the figures (`ours`, `baseline`, `ratio`).
"""

from __future__ import annotations

from typing import Any

REASON = "needs the intake service's HTTP API, being written now"


def pending() -> list[dict[str, Any]]:
    return [
        {
            "name": "submissions",
            "title": "Submissions accepted per second, 32 clients (HTTP, auth, validation, database, outbox)",
            "goal": "reported",
            "status": "pending",
            "reason": REASON,
        },
        {
            "name": "latency",
            "title": "End-to-end latency, submission 2xx to every pilot's view, p50/p99 at 100/s",
            "goal": "p50 within 10x raw nats-py publish->consume",
            "status": "pending",
            "reason": REASON,
        },
    ]
