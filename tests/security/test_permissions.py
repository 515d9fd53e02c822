"""The broker permissions written by `ess_core.security.permissions`, checked against the real
nats-server: each allowed subject works, each forbidden one is refused by the server, and the refusal
is asserted through the client's error callback (a refused publish only times out on the client)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from nats.errors import NoRespondersError
from nats.js.api import StreamConfig

from ess_core.messaging.reader import read_stream
from ess_core.security.identities import generate_user_seed, user_public_key
from ess_ops.nats.natsserver import NatsServer
from tests.security.conftest import SecureBroker
from tests.support.faults_identities import connected

pytestmark = pytest.mark.timeout(60)

OWN = "ess.region.intake.project.p1.project_submitted"
OTHERS = "ess.bdt.funding.project.p1.project_decision_recorded"


async def test_a_pilot_publishes_its_own_subjects_only(secure_broker: SecureBroker) -> None:
    async with connected(secure_broker.url, secure_broker.identities, "region") as region:
        js = region.js
        ack = await js.publish(OWN, b"{}", stream="ESS")
        assert ack.seq == 1
        started = time.monotonic()
        refused = asyncio.create_task(js.publish(OTHERS, b"{}", stream="ESS", timeout=5))
        violation = await region.violation(OTHERS, limit=1.0)
        assert time.monotonic() - started < 1.0, "the violation must come from the server at once"
        assert 'publish to "ess.bdt.funding' in violation
        refused.cancel()
        info = await js.stream_info("ESS", subjects_filter="ess.>")
        assert set(info.state.subjects or {}) == {OWN}


async def test_a_pilot_uses_its_own_consumer_and_not_another_pilots(secure_broker: SecureBroker) -> None:
    ids = secure_broker.identities
    async with (
        connected(secure_broker.url, ids, "region") as region,
        connected(secure_broker.url, ids, "bdt") as bdt,
    ):
        await region.js.publish(OWN, b"{}", stream="ESS")
        mine = await bdt.js.pull_subscribe("ess.>", durable="bdt-funding", stream="ESS")
        [message] = await mine.fetch(1, timeout=2)
        assert message.reply.startswith("$JS.ACK.ESS.bdt-funding.")
        await message.ack_sync()
        info = await bdt.js.consumer_info("ESS", "bdt-funding")
        assert info.ack_floor.stream_seq == 1 and info.num_ack_pending == 0

        await region.js.pull_subscribe("ess.>", durable="region-intake", stream="ESS")
        stolen = await bdt.js.pull_subscribe_bind("region-intake", stream="ESS")
        with pytest.raises(TimeoutError):
            await stolen.fetch(1, timeout=0.5)
        await bdt.violation("$JS.API.CONSUMER.MSG.NEXT.ESS.region-intake")
        for create in ("region-intake", "bdt-other"):  # another's name, or not one of its services
            with pytest.raises(TimeoutError):
                await bdt.js.pull_subscribe("ess.>", durable=create, stream="ESS")
            await bdt.violation(f"$JS.API.CONSUMER.INFO.ESS.{create}")
        await bdt.nc.publish("$JS.ACK.ESS.region-intake.1.1.1.0.0", b"+ACK")
        await bdt.violation("$JS.ACK.ESS.region-intake")
        with pytest.raises(TimeoutError):
            await bdt.js.delete_consumer("ESS", "region-intake")
        await bdt.violation("$JS.API.CONSUMER.DELETE.ESS.region-intake")
        assert await bdt.js.delete_consumer("ESS", "bdt-funding")  # its own: ess view rebuild


async def test_only_the_operator_changes_streams(secure_broker: SecureBroker) -> None:
    ids = secure_broker.identities
    async with connected(secure_broker.url, ids, "state") as state:
        js = state.js
        for action, subject in (
            (js.add_stream(StreamConfig(name="MINE", subjects=["mine.>"])), "STREAM.CREATE.MINE"),
            (js.update_stream(StreamConfig(name="ESS", subjects=["ess.>"], description="x")), "UPDATE.ESS"),
            (js.delete_stream("ESS"), "STREAM.DELETE.ESS"),
        ):
            with pytest.raises(TimeoutError):
                await action
            await state.violation(subject)
    async with connected(secure_broker.url, ids, "operator") as operator:
        js = operator.js
        live = (await js.stream_info("ESS")).config
        info = await js.update_stream(live.evolve(description="by operator"))
        assert info.config.description == "by operator"
        await operator.nc.publish(OWN, b"{}")  # the operator issues no event
        await operator.violation(OWN)


async def test_a_pilot_reads_the_stream_like_ess_view_digest_and_project_show(
    secure_broker: SecureBroker,
) -> None:
    ids = secure_broker.identities
    async with connected(secure_broker.url, ids, "region") as region:
        js = region.js
        for n in range(3):
            await js.publish(OWN, json.dumps(n).encode(), stream="ESS")
        assert (await js.account_info()).streams == 2  # ESS and the key store bucket, KV_ESS_KEYS
        assert (await js.stream_info("ESS")).state.messages == 3
        assert (await js.get_last_msg("ESS", OWN)).seq == 3
        assert (await js.get_msg("ESS", seq=1, direct=True)).seq == 1
        assert (await js.get_msg("ESS", subject=OWN, direct=True)).seq == 3
        assert [json.loads(m.data) async for m in read_stream(js, "ess.>")] == [0, 1, 2]
        assert region.errors == []


def consumer_requests(victim: str) -> list[tuple[str, dict[str, object]]]:
    """Every consumer API request of nats-server 2.15 that touches `victim` or lists the stream's
    consumers: create (the name in the body, in the subject, with a filter, the legacy durable form),
    delete, info, pull, pause, unpin, leader step-down, and the consumer list and names."""
    config = {
        "name": victim,
        "durable_name": victim,
        "filter_subject": "ess.bdt.>",
        "max_ack_pending": 7,
        "inactive_threshold": 5_000_000_000,
        "ack_policy": "explicit",
        "deliver_policy": "all",
    }
    body = {"stream_name": "ESS", "config": config}
    api = "$JS.API.CONSUMER"
    return [
        (f"{api}.CREATE.ESS", body),
        (f"{api}.CREATE.ESS.{victim}", body),
        (f"{api}.CREATE.ESS.{victim}.ess.bdt.>", body),
        (f"{api}.DURABLE.CREATE.ESS.{victim}", body),
        (f"{api}.DELETE.ESS.{victim}", {}),
        (f"{api}.INFO.ESS.{victim}", {}),
        (f"{api}.MSG.NEXT.ESS.{victim}", {"batch": 1, "expires": 100_000_000}),
        (f"{api}.PAUSE.ESS.{victim}", {"pause_until": "2099-01-01T00:00:00Z"}),
        (f"{api}.UNPIN.ESS.{victim}", {"group": "g"}),
        (f"{api}.LEADER.STEPDOWN.ESS.{victim}", {}),
        (f"{api}.LIST.ESS", {}),
        (f"{api}.NAMES.ESS", {}),
    ]


async def test_no_pilot_nor_the_observer_can_take_over_another_pilots_consumer(
    secure_broker: SecureBroker,
) -> None:
    """The consumer takeover: every consumer API subject, by each other pilot and by the observer,
    against region's durable consumer; its configuration stays byte for byte what it was."""
    ids = secure_broker.identities
    async with connected(secure_broker.url, ids, "region") as region:
        await region.js.pull_subscribe("ess.>", durable="region-funding", stream="ESS")
        before = (await region.js.consumer_info("ESS", "region-funding")).config.as_dict()
        for attacker in ("state", "bdt", "observer"):
            async with connected(secure_broker.url, ids, attacker) as other:
                for subject, body in consumer_requests("region-funding"):
                    with pytest.raises((TimeoutError, NoRespondersError)):
                        await other.nc.request(subject, json.dumps(body).encode(), timeout=0.5)
                    await other.violation(subject)
        after = (await region.js.consumer_info("ESS", "region-funding")).config.as_dict()
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)


async def test_inboxes_are_private(secure_broker: SecureBroker) -> None:
    async with connected(secure_broker.url, secure_broker.identities, "state") as state:
        await state.nc.subscribe("_INBOX_region.>")
        await state.nc.flush()
        await state.violation('subscription to "_INBOX_region.>"')
        await state.nc.subscribe("_INBOX.>")  # nats-py's default prefix is nobody's
        await state.violation('subscription to "_INBOX.>"')
        await state.nc.subscribe("_INBOX_observer.>")
        await state.violation('subscription to "_INBOX_observer.>"')


async def test_nobody_logs_in_without_a_key(secure_broker: SecureBroker) -> None:
    import nats

    with pytest.raises(nats.errors.Error, match=r"[Aa]uthorization"):
        await nats.connect(secure_broker.url, allow_reconnect=False, max_reconnect_attempts=0)


async def test_the_observer_logs_in_with_its_own_key_and_only_reads(secure_broker: SecureBroker) -> None:
    async with (
        connected(secure_broker.url, secure_broker.identities, "region") as region,
        connected(secure_broker.url, secure_broker.identities, "observer") as observer,
    ):
        await region.js.publish(OWN, b"{}", stream="ESS")
        js = observer.js
        assert (await js.stream_info("ESS")).config.name == "ESS"
        assert [m.subject async for m in read_stream(js, "ess.>")] == [OWN]
        await observer.nc.publish(OWN, b"{}")
        await observer.violation(OWN)
        with pytest.raises(TimeoutError):
            await js.pull_subscribe("ess.>", durable="region-intake", stream="ESS")
        await observer.violation("$JS.API.CONSUMER.INFO.ESS.region-intake")


async def test_nats_wildcards_are_whole_tokens_so_consumers_are_listed_by_name(tmp_path: object) -> None:
    """Why the generator names each consumer: `region-*` is a literal token, not a prefix match."""
    seed = generate_user_seed()
    permissions = {
        "publish": {"allow": ["$JS.API.CONSUMER.INFO.ESS.region-*"]},
        "subscribe": {"allow": [">"]},
    }
    users = json.dumps([{"nkey": user_public_key(seed), "permissions": permissions}])
    with NatsServer(extra_config=f"authorization {{ users = {users} }}") as server:
        errors: list[str] = []

        async def record(error: Exception) -> None:
            errors.append(str(error))

        import nats

        nc = await nats.connect(server.url, nkeys_seed_str=seed, error_cb=record, allow_reconnect=False)
        try:
            await nc.publish("$JS.API.CONSUMER.INFO.ESS.region-intake", b"")
            await nc.flush()
            await asyncio.sleep(0.2)
        finally:
            await nc.close()
    assert any("permissions violation" in e and "region-intake" in e for e in errors), errors


async def test_a_retired_key_no_longer_logs_in_and_stays_in_the_history(secure_broker: SecureBroker) -> None:
    from datetime import date

    import nats

    from ess_core.security.permissions import authorization_block

    ids = secure_broker.identities
    old_seed = ids.seed("region").read_text().strip()
    new_seed = generate_user_seed()
    rotated = ids.users.with_key("region", user_public_key(new_seed), date.today())
    [old, new] = rotated.history("region")
    assert old.key == user_public_key(old_seed) and old.retired == date.today() and new.retired is None
    secure_broker.server.stop()
    with NatsServer(extra_config=authorization_block(rotated)) as server:
        with pytest.raises(nats.errors.Error, match=r"[Aa]uthorization"):
            await nats.connect(
                server.url, nkeys_seed_str=old_seed, allow_reconnect=False, max_reconnect_attempts=0
            )
        nc = await nats.connect(server.url, nkeys_seed_str=new_seed, inbox_prefix="_INBOX_region")
        assert (await nc.jetstream().account_info()).streams == 0
        await nc.close()
