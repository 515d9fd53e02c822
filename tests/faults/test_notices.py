"""Notices are sent once (issue 23): across a clean restart, none again; a SIGKILL between the mail server's
acceptance and the sender's mark sends it once more at most, under the same `Message-ID`, so a mail client
folds the two. Region's intake as a real process, a real SMTP server (aiosmtpd), a real nats-server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.test_crashes import arm, wait_fired
from tests.support.arrivals import arrived
from tests.support.deployment import deployment
from tests.support.intake_data import CONTACT, submission
from tests.support.smtp_sink import Inbox, smtp_sink

pytestmark = [pytest.mark.system, pytest.mark.timeout(180)]

INTAKE = ("region", "intake")


def test_a_notice_survives_a_crash_between_send_and_mark_as_one_message_id(tmp_path: Path) -> None:
    with smtp_sink() as (inbox, smtp), deployment(tmp_path / "ess", secure=True, fault_hooks=True) as system:
        system.extra_env[INTAKE] = {
            "ESS_SMTP_HOST": smtp.host,
            "ESS_SMTP_PORT": str(smtp.port),
            "ESS_SMTP_FROM": smtp.sender,
            "ESS_SMTP_STARTTLS": "false",
        }
        system.start(*INTAKE)
        with system.client(*INTAKE) as intake:
            project_id = intake.post("/projects", json=submission()).json()["project_id"]
            flag = arm(system, "region-intake", "kill-after-send")
            body = {"fields": ["budget"], "reasons": ["budget_inconsistent"]}
            asked = intake.post(f"/projects/{project_id}/correction-requests", json=body)
            assert asked.status_code == 200, asked.text
        wait_fired(system, "region-intake", "kill-after-send")
        assert (
            len(arrived(inbox.messages, 1)) == 1
        )  # the mail server has it; intake died before marking it sent
        flag.unlink()

        system.start(*INTAKE)
        first, again = arrived(inbox.messages, 2)
        assert first["Message-ID"] == again["Message-ID"] and again["To"] == CONTACT["email"]
        still(inbox, 2)

        system.stop(*INTAKE)  # a clean restart sends nothing again
        system.start(*INTAKE)
        still(inbox, 2)


def still(inbox: Inbox, count: int, seconds: float = 2.5) -> None:
    """No more than `count` messages for a while: several rounds of the sender."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert len(inbox.messages) == count, [m["Subject"] for m in inbox.messages]
        time.sleep(0.1)
