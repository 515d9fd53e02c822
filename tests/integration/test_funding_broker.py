"""An event written straight into one pilot's outbox in another pilot's name is refused by the broker when
that pilot's relay publishes it with its own NATS identity (per-pilot users, as `ess up` runs them): it
never reaches the stream, so no view can apply it. The view side, for an event injected another way, is in
test_funding_services.py and the system tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from ess_contracts.signing import Signer, generate_seed
from ess_core.messaging.db import make_engine
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.relay import Relay
from ess_core.messaging.schema import outbox
from ess_core.service.migrate import upgrade
from ess_funding.bootstrap import service
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from tests.support.databases import BACKENDS, database_url
from tests.support.faults_identities import Identities, connected
from tests.support.funding_story import decision

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_row_in_another_pilots_name_is_refused_by_the_broker(backend: str, tmp_path: Path) -> None:
    identities = Identities.make(tmp_path / "ess" / "keys")
    server = NatsServer(tmp_path / "nats", extra_config=identities.authorization())
    server.start()
    try:
        async with (
            connected(server.url, identities, "operator") as operator,
            database_url(backend, tmp_path) as url,
        ):
            await provision(operator.nc.jetstream(), load_stream_config(default_stream_config_path()))
            await upgrade(url, service)
            engine = make_engine(url)
            state_key = Signer(generate_seed())
            async with engine.begin() as conn:  # someone with state's database, not bdt's key
                forged = decision("x1", 999_000_00, date(2026, 4, 1))
                # region's project: any pilot's funding may record a decision on it, so the outbox writes it
                await Outbox("bdt", "funding", state_key).record(conn, "region-p1", [forged])
            async with connected(server.url, identities, "state") as state:
                relay = Relay(engine, state.js, publish_timeout=1.0)  # state's relay, state's NATS user
                with pytest.raises(TimeoutError):
                    await relay.publish_pending()
                subject = "ess.bdt.funding.project.region-p1.project_decision_recorded"
                violation = await state.violation(subject)
            assert 'publish to "ess.bdt.funding.project.region-p1' in violation
            assert (await operator.js.stream_info("ESS")).state.messages == 0
            async with engine.connect() as conn:
                assert (await conn.scalars(select(outbox.c.stream_seq))).all() == [None]
            await engine.dispose()
    finally:
        server.close()
