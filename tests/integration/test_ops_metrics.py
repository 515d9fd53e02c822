"""GET /metrics: a scenario's events consumed by type and view, published by type, handler latency,
outbox backlog, projection lag, parked and dead letters, with the scenario's values; operators only."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from ess_contracts.codec import encode
from ess_contracts.signing import Signer, TrustFile, generate_seed
from ess_core.auth import LocalIssuer
from ess_core.service.http import build_app
from ess_core.service.metrics import available
from ess_core.service.migrate import upgrade
from ess_core.service.settings import ServiceSettings
from ess_funding.bootstrap import service
from tests.support.events import decided, event, qualified, submitted

pytestmark = pytest.mark.skipif(
    not available(),
    reason="prometheus-client is not installed: add `prometheus-client>=0.21` to shared/pyproject.toml",
)


def _value(text: str, name: str, **labels: str) -> float | None:
    """The sample `name{labels...}` (labels in any order, others allowed) in the exposition text."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics_show_the_scenario(
    tmp_path: Path, js_stream: tuple[Client, JetStreamContext], nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, js = js_stream
    seed = generate_seed()
    (tmp_path / "region.seed").write_text(seed)
    region = Signer(seed)
    TrustFile(pilots={}).add_key("region", region.public_key, date(2026, 1, 1)).save(tmp_path / "trust.json")
    issuer = LocalIssuer.generate()
    monkeypatch.setenv("ESS_AUTH_PUBLIC_KEY_FILE", str(issuer.save(tmp_path / "auth")))
    url = f"sqlite+aiosqlite:///{tmp_path / 'region-funding.db'}"
    await upgrade(url, service)
    settings = ServiceSettings(
        pilot="region",
        service="funding",
        database_url=url,
        nats_url=nats_url,
        signing_seed_file=tmp_path / "region.seed",
        trust_file=tmp_path / "trust.json",
        checkpoint_seconds=3600,
    )
    runtime = service.runtime(settings)
    app = build_app(service, runtime)
    await runtime.start()
    operator = issuer.mint("ops", "state", ("operator",))  # another pilot's operator may read
    staff = issuer.mint("staff", "region", ("instructor",))
    try:
        for e in (
            event(submitted(), "region", "intake", "region-P-1", 1),
            event(qualified(), "region", "intake", "region-P-1", 2),
        ):
            wire = encode(e, region)
            await js.publish(wire.subject, wire.data, headers=wire.headers, stream="ESS")
        async with runtime.transaction() as conn:
            await runtime.outbox.record(conn, "region-P-1", [decided("d1", 10_000_00)])
        deadline = time.monotonic() + 15
        while runtime.runner.committed_seq < 3:
            assert time.monotonic() < deadline, "the service did not apply the scenario"
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as http:
            refused = await http.get("/metrics", headers={"Authorization": f"Bearer {staff}"})
            answer = await http.get("/metrics", headers={"Authorization": f"Bearer {operator}"})
            stored = (await js.stream_info("ESS")).state.bytes
            await shrink(js, max_bytes=int(stored / 0.85))  # the operator's limit, nearly reached
            alarmed = (await http.get("/metrics", headers={"Authorization": f"Bearer {operator}"})).text
    finally:
        await runtime.stop()
    assert refused.status_code == 403
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    base = {"pilot": "region", "service": "funding"}
    assert _value(text, "ess_events_consumed_total", view="project", type="project_submitted", **base) == 1
    assert _value(text, "ess_events_consumed_total", view="project", type="project_qualified", **base) == 1
    assert _value(text, "ess_events_consumed_total", view="project", type="project_decision_recorded") == 1
    assert _value(text, "ess_view_handler_seconds_count", view="project", **base) == 3
    assert _value(text, "ess_events_published_total", type="project_decision_recorded", **base) == 1
    assert _value(text, "ess_events_recorded_total", type="project_decision_recorded", **base) == 1
    assert (
        _value(text, "ess_events_published_total", type="project_submitted", **base) is None
    )  # not funding's
    assert _value(text, "ess_outbox_backlog", **base) == 0
    assert _value(text, "ess_projection_applied_events", **base) == 3
    assert _value(text, "ess_projection_applied_position", **base) == 3
    assert _value(text, "ess_stream_last_sequence", **base) == 3
    assert _value(text, "ess_projection_lag", **base) == 0
    assert _value(text, "ess_parked", kind="gap", **base) == 0
    assert _value(text, "ess_dead_letters", **base) == 0
    turns = _value(text, "ess_sqlite_write_turns_total", **base)  # migrations, the act, batches, marks
    assert turns is not None and turns >= 3
    waited = _value(text, "ess_sqlite_write_wait_seconds_total", **base)
    assert waited is not None and waited >= 0
    # The shared stream against its limits (deploy/stream.json: 1 GiB, 64 consumers, no message count).
    assert _value(text, "ess_stream_limit_used", limit="bytes", **base) == stored
    assert _value(text, "ess_stream_limit_max", limit="bytes", **base) == 1 << 30
    assert _value(text, "ess_stream_limit_alarm", limit="bytes", **base) == 0
    assert _value(text, "ess_stream_limit_used", limit="consumers", **base) == 1
    assert _value(text, "ess_stream_limit_max", limit="consumers", **base) == 64
    assert _value(text, "ess_stream_limit_max", limit="messages", **base) is None
    ratio = _value(alarmed, "ess_stream_limit_used_ratio", limit="bytes", **base)
    assert ratio is not None and 0.8 <= ratio < 0.9
    assert _value(alarmed, "ess_stream_limit_alarm", limit="bytes", **base) == 1
    assert _value(alarmed, "ess_stream_limit_alarm", limit="consumers", **base) == 0


async def shrink(js: JetStreamContext, *, max_bytes: int) -> None:
    config = (await js.stream_info("ESS")).config
    config.max_bytes = max_bytes
    await js.update_stream(config)
