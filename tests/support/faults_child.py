"""`python -m tests.support.faults_child ess_<service>`: a service exactly as `ess up` runs it, plus fault
hooks that only tests install. They wrap public library calls, never the service's own code:

- `ESS_FAULT_DIR/<pilot>-<service>.<flag>` files arm a SIGKILL of this very process at one point:
  `kill-before-publish` (its acts are committed in the outbox, none has reached the broker),
  `kill-after-publish` (the broker acked them, the relay has not marked them), `kill-before-ack` (a view
  batch is committed, its messages are not acked), `kill-after-send` (a notice reached the mail server,
  the sender has not marked it sent);
- `ESS_FAULT_ACK_WAIT` shortens the durable consumer's ack wait (deployment configuration), so a
  redelivery after a kill comes in seconds rather than 30;
- `ESS_FAULT_FOLD_DELAY=<seconds>` folds one event per batch, that long each: a replay slow enough to
  watch; the `fold-stall` flag then holds the fold still for as long as the flag file exists;
- `ESS_FAULT_UPGRADE=<type>:<version>` runs the service as the next release would: the catalogue knows
  `<type>` at `<version>`, with an upcaster from the previous one (what a release adding a version ships).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

FLAGS = Path(os.environ.get("ESS_FAULT_DIR", "/nonexistent"))


INSTANCE = f"{os.environ.get('ESS_PILOT', '')}-{os.environ.get('ESS_SERVICE_NAME', '')}"


def _armed(flag: str) -> bool:
    """`<pilot>-<service>.<flag>` arms one service; `<flag>` alone arms every service."""
    return (FLAGS / f"{INSTANCE}.{flag}").exists() or (FLAGS / flag).exists()


def _die(flag: str) -> None:
    (FLAGS / f"{INSTANCE}.{flag}.fired").write_text(str(os.getpid()))
    os.kill(os.getpid(), signal.SIGKILL)


def install() -> None:
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

    pilot = os.environ.get("ESS_PILOT", "")
    publish = JetStreamContext.publish

    async def faulty_publish(self: JetStreamContext, subject: str, *args: Any, **kwargs: Any) -> Any:
        own = subject.startswith(f"ess.{pilot}.") and ".checkpoint." not in subject
        if own and _armed("kill-before-publish"):
            _die("kill-before-publish")
        ack = await publish(self, subject, *args, **kwargs)
        if own and _armed("kill-after-publish"):
            _die("kill-after-publish")
        return ack

    JetStreamContext.publish = faulty_publish  # type: ignore[method-assign]
    publish_async = JetStreamContext.publish_async

    async def faulty_publish_async(self: JetStreamContext, subject: str, *args: Any, **kwargs: Any) -> Any:
        own = subject.startswith(f"ess.{pilot}.") and ".checkpoint." not in subject
        if own and _armed("kill-before-publish"):
            _die("kill-before-publish")
        future = await publish_async(self, subject, *args, **kwargs)
        if own and _armed("kill-after-publish"):  # the first PubAck back, before the relay marks any
            future.add_done_callback(lambda _: _die("kill-after-publish"))
        return future

    JetStreamContext.publish_async = faulty_publish_async  # type: ignore[method-assign]
    ack = Msg.ack

    async def faulty_ack(self: Msg) -> None:
        if _armed("kill-before-ack"):
            _die("kill-before-ack")
        await ack(self)

    Msg.ack = faulty_ack  # type: ignore[method-assign]
    send_notices()

    if os.environ.get("ESS_FAULT_ACK_WAIT"):
        from ess_core.messaging import recovery

        wait = float(os.environ["ESS_FAULT_ACK_WAIT"])
        init = recovery.GuardedRunner.__init__

        def short_wait(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **{**kwargs, "ack_wait": wait})

        recovery.GuardedRunner.__init__ = short_wait  # type: ignore[method-assign]

    if os.environ.get("ESS_FAULT_FOLD_DELAY"):
        slow_fold(float(os.environ["ESS_FAULT_FOLD_DELAY"]))

    if os.environ.get("ESS_FAULT_UPGRADE"):
        upgrade(os.environ["ESS_FAULT_UPGRADE"])


def send_notices() -> None:
    import smtplib

    send_message = smtplib.SMTP.send_message

    def faulty_send_message(self: smtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
        refused = send_message(self, *args, **kwargs)
        if _armed("kill-after-send"):
            _die("kill-after-send")
        return refused

    smtplib.SMTP.send_message = faulty_send_message  # type: ignore[method-assign]


def slow_fold(delay: float) -> None:
    import asyncio

    from ess_core.messaging import recovery

    init, handle = recovery.GuardedRunner.__init__, recovery.GuardedRunner.handle

    def one_at_a_time(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **{**kwargs, "batch_size": 1})

    async def slow_handle(self: Any, messages: Any) -> Any:
        await asyncio.sleep(delay)
        while _armed("fold-stall"):  # noqa: ASYNC110 (a file flag the test arms from outside)
            await asyncio.sleep(0.1)
        return await handle(self, messages)

    recovery.GuardedRunner.__init__ = one_at_a_time  # type: ignore[method-assign]
    recovery.GuardedRunner.handle = slow_handle  # type: ignore[method-assign]


def upgrade(spec: str) -> None:
    from ess_contracts import catalogue

    event_type, version = spec.split(":")
    cls = catalogue.PAYLOAD_TYPES[event_type]
    for old in range(cls.VERSION, int(version)):
        catalogue.UPCASTERS[(event_type, old)] = lambda payload: payload
    cls.VERSION = int(version)


if __name__ == "__main__":
    os.environ.setdefault("ESS_SERVICE_NAME", sys.argv[1].removeprefix("ess_"))
    INSTANCE = f"{os.environ.get('ESS_PILOT', '')}-{os.environ['ESS_SERVICE_NAME']}"
    install()
    from ess_ops.cli.child import main

    main(sys.argv)
