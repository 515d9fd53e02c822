"""Steering sessions as recorded: when, who was there, and what was decided or recommended per action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ess_evaluation.domain.strategy import ActionDef


@dataclass(frozen=True)
class SessionItem:
    action_code: str
    kind: str
    text: str
    progress: str | None = None


@dataclass(frozen=True)
class Session:
    session_id: str
    pilot: str
    held_on: date
    kind: str
    pilots_present: tuple[str, ...]
    items: tuple[SessionItem, ...] = ()


class SessionRefused(ValueError):
    pass


def check_session(recording_pilot: str, session: Session, actions: Mapping[str, ActionDef]) -> None:
    """A pilot records the sessions it attended, about actions the strategy defines."""
    if recording_pilot not in session.pilots_present:
        raise SessionRefused(
            f"pilot '{recording_pilot}' records only sessions it attended; present: "
            + ", ".join(session.pilots_present)
        )
    unknown = sorted({item.action_code for item in session.items} - set(actions))
    if unknown:
        raise SessionRefused(f"no action defined with code {', '.join(unknown)}")
